"""The API description at /schema, for the agencies' app generators; docs served without a CDN."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import WANJIA

CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
SRC_OR_HREF = re.compile(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def operations(schema: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """operationId -> "METHOD path"."""
    return {
        operation["operationId"]: f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_the_openapi_document_names_the_operations(client):
    response = client.get("/schema/openapi.json")

    assert response.status_code == 200
    found = operations(response.json())
    assert found["getTenant"] == "GET /api/v1/tenant"
    assert found["getHealth"] == "GET /health"


def test_every_operation_id_is_camel_case(client):
    found = operations(client.get("/schema/openapi.json").json())

    assert found
    assert [op for op in found if not CAMEL_CASE.match(op)] == []


def test_pages_and_assets_are_not_in_the_api_description(client):
    paths = client.get("/schema/openapi.json").json()["paths"]

    assert [p for p in paths if not p.startswith(("/api/", "/health"))] == []


def test_the_api_docs_page_loads_only_local_assets(client):
    response = client.get("/schema", headers={"host": WANJIA})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = SRC_OR_HREF.findall(response.text)
    assert "/schema/assets/swagger-ui-bundle.js" in links
    assert "/schema/assets/swagger-ui.css" in links
    remote = [link for link in links if not link.startswith("/") or link.startswith("//")]
    assert remote == []
    assert "https://" not in response.text
    assert "//cdn" not in response.text


JAVASCRIPT = {"text/javascript", "application/javascript"}


@pytest.mark.parametrize(
    ("asset", "media_types"),
    [
        ("swagger-ui-bundle.js", JAVASCRIPT),
        ("swagger-ui-standalone-preset.js", JAVASCRIPT),
        ("swagger-ui.css", {"text/css"}),
    ],
)
def test_each_api_docs_asset_is_served_with_its_type(client, asset, media_types):
    response = client.get(f"/schema/assets/{asset}")

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in media_types
    assert len(response.content) > 1000


def test_every_asset_the_docs_page_references_is_served(client):
    links = SRC_OR_HREF.findall(client.get("/schema").text)

    for link in links:
        assert client.get(link).status_code == 200, link
