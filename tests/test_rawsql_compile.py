"""``core.rawsql.compiled`` turns a ``{}`` template into the engine's SQL exactly as Piccolo's
``QueryString`` does: the hot paths run their statements without building a query object, and
must send the database the same SQL and arguments Piccolo would."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from piccolo.querystring import QueryString

from core.rawsql import compiled

TEMPLATES = [
    "SELECT 1",
    "SELECT * FROM t WHERE a = {}",
    "SELECT * FROM t WHERE a = {} AND b = {} LIMIT 1",
    "INSERT INTO t (a, b) VALUES ({}, {}), ({}, {})",
    "SELECT '{{}}' AS braces, a FROM t WHERE a IN (SELECT value FROM json_each({}))",
    "UPDATE t SET a = {} WHERE b = {}",
]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("engine", ["postgres", "sqlite"])
def test_a_template_compiles_as_piccolos(template: str, engine: str) -> None:
    args = list(range(template.count("{}") - 2 * template.count("{{}}")))
    ours = compiled(template, len(args), engine == "postgres")
    assert ours == QueryString(template, *args).compile_string(engine_type=engine)[0]


@given(
    pieces=st.lists(st.text(alphabet="abc =(),'\n", max_size=8), min_size=1, max_size=6),
    extra=st.integers(0, 2),
)
def test_any_template_compiles_as_piccolos(pieces: list[str], extra: int) -> None:
    template = "{}".join(pieces)
    args = list(range(len(pieces) - 1 + extra))  # more arguments than placeholders: ignored
    for engine in ("postgres", "sqlite"):
        expected = QueryString(template, *args).compile_string(engine_type=engine)[0]
        assert compiled(template, len(args), engine == "postgres") == expected
