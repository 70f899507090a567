"""Every hook is documented in docs/hooks.md with its exact signature, under its banner,
and the firstresult hooks say so."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core import hookspecs
from tests.contracts.specs import ROOT, banner_of_each_hook, hook_functions, signature_text

HOOKS_DOC = ROOT / "docs" / "hooks.md"
FIRSTRESULT = "**firstresult**"
CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass
class HookSection:
    """One ``### <hook>`` section of the reference and the ``##`` banner it sits under."""

    banner: str
    body: list[str] = field(default_factory=list)

    def python_lines(self) -> set[str]:
        text = "\n".join(self.body) + "\n"
        return {line.strip() for block in CODE_BLOCK.findall(text) for line in block.splitlines()}


def hook_sections(markdown: str) -> dict[str, HookSection]:
    """``### name`` sections by name (the reference uses level-3 headings only for hooks)."""
    sections: dict[str, HookSection] = {}
    banner = ""
    current: HookSection | None = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            banner, current = line[3:].strip(), None
        elif line.startswith("### "):
            current = sections[line[4:].strip().strip("`")] = HookSection(banner)
        elif current is not None:
            current.body.append(line)
    return sections


def documentation_problems(markdown: str) -> list[str]:
    """What is wrong between the reference text and ``core/hookspecs.py`` (empty: nothing)."""
    sections = hook_sections(markdown)
    banners = banner_of_each_hook()
    problems = []
    for name, function in hook_functions().items():
        section = sections.get(name)
        if section is None:
            problems.append(f"{name}: no '### {name}' section")
            continue
        expected = signature_text(name, function)
        if expected not in section.python_lines():
            problems.append(f"{name}: signature not found, expected `{expected}`")
        if section.banner != banners[name]:
            problems.append(f"{name}: under '## {section.banner}', expected '## {banners[name]}'")
        firstresult = function.doorstep_spec["firstresult"]  # type: ignore[attr-defined]
        if firstresult != (FIRSTRESULT in "\n".join(section.body)):
            says = "does not say" if firstresult else "says"
            problems.append(f"{name}: {says} {FIRSTRESULT} but the hookspec is {firstresult=}")
    for name in sections.keys() - hook_functions().keys():
        problems.append(f"{name}: documented, but core/hookspecs.py has no such hook")
    return problems


def test_signatures_are_printed_as_written_in_the_hookspec() -> None:
    assert (
        signature_text("base_price", hookspecs.base_price)
        == "def base_price(tenant: Tenant, request: QuoteRequest) -> Money | None"
    )
    assert (
        signature_text("register_vertical", hookspecs.register_vertical)
        == "def register_vertical() -> Vertical | None"
    )


def test_every_hook_is_documented_with_its_exact_signature_under_its_banner() -> None:
    problems = documentation_problems(HOOKS_DOC.read_text(encoding="utf-8"))
    assert problems == [], "docs/hooks.md is out of date:\n" + "\n".join(problems)


def test_the_check_catches_a_changed_signature_a_missing_hook_and_an_invented_one() -> None:
    real = HOOKS_DOC.read_text(encoding="utf-8")
    changed = real.replace(
        "def base_price(tenant: Tenant, request: QuoteRequest) -> Money | None",
        "def base_price(tenant: Tenant, quote: QuoteRequest) -> Money | None",
    )
    changed = changed.replace("### geocoders", "### geocoder")
    changed = changed.replace("OSRM server, say). **firstresult**:", "OSRM server, say).")
    changed += "\n## Web, themes and CLI\n\n### refund_requested\n"
    problems = "\n".join(documentation_problems(changed))
    assert "base_price: signature not found" in problems
    assert "geocoders: no '### geocoders' section" in problems
    assert "travel_time_estimator: does not say **firstresult**" in problems
    assert "geocoder: documented, but core/hookspecs.py has no such hook" in problems
    assert "refund_requested: documented, but core/hookspecs.py has no such hook" in problems


def test_the_reference_covers_the_hooks_the_design_names() -> None:
    """DESIGN.md's list of hooks the core needs; the set may grow, never silently shrink."""
    named_in_design = {
        "register_vertical",
        "service_taxonomy",
        "intake_fields",
        "base_price",
        "price_adjustments",
        "required_certifications",
        "certification_checks",
        "validate_booking",
        "match_score_adjustments",
        "booking_event",
        "notification_channels",
        "payment_providers",
        "identity_verifiers",
        "theme_context",
        "register_routes",
        "register_cli_commands",
    }
    assert named_in_design <= hook_functions().keys()
