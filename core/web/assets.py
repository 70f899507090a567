"""Static assets: the tenant's compiled CSS, theme and tenant files, API-doc assets."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from core.tenancy.model import Tenant
from core.web.tenant import request_tenant

IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable"}
SHORT = {"cache-control": "public, max-age=300"}
SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")


def _file_response(folder: Path, name: str) -> Response[bytes]:
    """Serve ``folder/name`` if it is a file inside ``folder``; 404 otherwise."""
    if not name or set(name) - SAFE_NAME or ".." in name or name.startswith("/"):
        raise NotFoundException()
    path = (folder / name).resolve()
    if not path.is_file() or not path.is_relative_to(folder.resolve()):
        raise NotFoundException()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(path.read_bytes(), media_type=media_type, headers=SHORT)


@get(
    "/static/{filename:str}",
    dependencies={"tenant": Provide(request_tenant, sync_to_thread=False)},
    include_in_schema=False,
)
async def site_css(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], filename: FromPath[str]
) -> Response[str]:
    """The tenant's compiled stylesheet, ``site.<digest>.css``; any other digest is a 404.

    Litestar path parameters are whole segments, so the file name is matched here.
    """
    compiled = request.app.state.doorstep.css(tenant)
    if filename != compiled.filename:
        raise NotFoundException()
    return Response(compiled.text, media_type="text/css", headers=IMMUTABLE)


@get(
    "/static/theme/{name:path}",
    dependencies={"tenant": Provide(request_tenant, sync_to_thread=False)},
    include_in_schema=False,
)
async def theme_file(tenant: NamedDependency[Tenant], name: FromPath[str]) -> Response[bytes]:
    """A file of the tenant's theme, searched child theme first."""
    for theme in tenant.theme.chain:
        try:
            return _file_response(theme.path / "static", name.lstrip("/"))
        except NotFoundException:
            continue
    raise NotFoundException()


@get(
    "/static/tenant/{name:path}",
    dependencies={"tenant": Provide(request_tenant, sync_to_thread=False)},
    include_in_schema=False,
)
async def tenant_file(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], name: FromPath[str]
) -> Response[bytes]:
    """A file of this tenant's own folder (``tenants/<slug>/static``), never another's."""
    folder = request.app.state.doorstep.settings.tenants_dir / tenant.slug / "static"
    return _file_response(folder, name.lstrip("/"))


def api_doc_assets_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@get("/schema/assets/{name:path}", include_in_schema=False)
async def api_doc_asset(name: FromPath[str]) -> Response[bytes]:
    """Swagger UI's files, served locally (no CDN)."""
    return _file_response(api_doc_assets_dir(), name.lstrip("/"))


CORE_STATIC = Path(__file__).resolve().parent / "static"


@get("/static/core/{name:path}", include_in_schema=False)
async def core_file(name: FromPath[str]) -> Response[bytes]:
    """Core's own scripts (the live quote), the same for every tenant."""
    return _file_response(CORE_STATIC, name.lstrip("/"))
