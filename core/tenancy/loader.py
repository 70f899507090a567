"""Read tenant YAML files into ``Tenant``s, reporting every problem at once.

Each problem names the file, the key path and the reason. Nothing starts half-configured:
``load_registry`` raises ``TenantConfigError`` with the whole list if any file is wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import yaml
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name

from core.catalog.schemas import Vertical
from core.i18n.catalogs import SUPPORTED_LOCALES
from core.tenancy.model import Tenant
from core.tenancy.schema import EnvSecret, PaymentMethod, TenantConfig
from core.theming.model import ThemeError, load_theme, token_problem

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})*$")
SECRET_KEY = re.compile(r"(key|secret|password|token|private|cert)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class TenantProblem:
    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key or '(file)'}: {self.reason}"


class TenantConfigError(Exception):
    def __init__(self, problems: Sequence[TenantProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _msgspec_problem(file: str, prefix: str, exc: msgspec.ValidationError) -> TenantProblem:
    """Turn msgspec's "Expected `int`, got `str` - at `$.a.b`" into key path + reason."""
    message = str(exc)
    reason, _, where = message.partition(" - at `")
    path = where.rstrip("`").removeprefix("$").removeprefix(".")
    key = ".".join(part for part in (prefix, path) if part).replace(".[", "[")
    return TenantProblem(file, key, reason.replace("`", "'"))


def parse_tenant_file(
    path: Path, verticals: Mapping[str, Vertical], themes_dir: Path
) -> tuple[Tenant | None, list[TenantProblem]]:
    """Parse and check one tenant file. Returns the tenant, or None and every problem."""
    file = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [TenantProblem(file, "", f"cannot read: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [TenantProblem(file, "", f"not valid YAML{where}: {problem}")]
    if raw is None:
        return None, [TenantProblem(file, "", "the file is empty")]
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        return None, [TenantProblem(file, "", f"expected a mapping of keys, got a {kind}")]

    problems: list[TenantProblem] = []
    fields = {f.encode_name: f for f in msgspec.structs.fields(TenantConfig)}
    for key in raw:
        if key not in fields:
            problems.append(
                TenantProblem(file, str(key), f"unknown key (known: {', '.join(fields)})")
            )
    for name, info in fields.items():
        if name not in raw:
            if info.required:
                problems.append(TenantProblem(file, name, "required key is missing"))
            continue
        try:
            msgspec.convert(raw[name], info.type)
        except msgspec.ValidationError as exc:
            problems.append(_msgspec_problem(file, name, exc))
    if problems:
        return None, problems

    config = msgspec.convert(raw, TenantConfig)
    problems += _semantic_problems(file, path, config, verticals)
    try:
        theme = load_theme(themes_dir, config.theme.name)
    except ThemeError as exc:
        problems.append(TenantProblem(file, "theme.name", str(exc)))
        theme = None
    for token, value in config.theme.tokens.items():
        if problem := token_problem(token, value):
            problems.append(TenantProblem(file, f"theme.tokens.{token}", problem))

    vertical_configs: dict[str, msgspec.Struct] = {}
    for slug, block in config.verticals.items():
        vertical = verticals.get(slug)
        if vertical is None:
            installed = ", ".join(sorted(verticals)) or "none"
            problems.append(
                TenantProblem(
                    file, f"verticals.{slug}", f"unknown vertical (installed: {installed})"
                )
            )
            continue
        try:
            vertical_configs[slug] = msgspec.convert(block or {}, vertical.config_type)
        except msgspec.ValidationError as exc:
            problems.append(_msgspec_problem(file, f"verticals.{slug}", exc))

    if problems or theme is None:
        return None, problems
    return Tenant(config=config, source=path, theme=theme, vertical_configs=vertical_configs), []


def _semantic_problems(
    file: str, path: Path, config: TenantConfig, verticals: Mapping[str, Vertical]
) -> list[TenantProblem]:
    problems: list[TenantProblem] = []

    def problem(key: str, reason: str) -> None:
        problems.append(TenantProblem(file, key, reason))

    if not SLUG.match(config.slug):
        problem("slug", "use 2-40 lower-case letters, digits or '-', starting with a letter")
    elif path.stem != config.slug:
        problem("slug", f"must match the file name ({path.stem!r})")
    if not config.hosts:
        problem("hosts", "at least one host name is required")
    for i, host in enumerate(config.hosts):
        if not HOSTNAME.match(host):
            problem(f"hosts[{i}]", f"{host!r} is not a lower-case host name without a port")
    if not config.locales:
        problem("locales", "at least one locale is required")
    for i, code in enumerate(config.locales):
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            problem(f"locales[{i}]", f"unknown locale {code!r}")
            continue
        if code not in SUPPORTED_LOCALES:
            problem(
                f"locales[{i}]",
                f"no translations for {code!r} (have: {', '.join(SUPPORTED_LOCALES)})",
            )
    if "zh_CN" not in config.name and "en" not in config.name:
        problem("name", "give the name in zh_CN or en")
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problem("timezone", f"unknown time zone {config.timezone!r}")
    if (
        not re.fullmatch(r"[A-Z]{3}", config.currency)
        or get_currency_name(config.currency, locale="en") == config.currency
    ):
        problem("currency", f"unknown ISO 4217 currency {config.currency!r}")
    if not 1 <= config.travel_speed_kmh <= 120:
        problem("travel_speed_kmh", "must be between 1 and 120")
    if not 0 <= config.commission.default_bps <= 10_000:
        problem("commission.default_bps", "must be between 0 and 10000 basis points")
    for slug, bps in config.commission.per_vertical.items():
        if slug not in config.verticals:
            problem(f"commission.per_vertical.{slug}", "vertical is not enabled for this tenant")
        if not 0 <= bps <= 10_000:
            problem(f"commission.per_vertical.{slug}", "must be between 0 and 10000 basis points")
    for i, method in enumerate(config.payments):
        problems += _payment_problems(file, f"payments[{i}]", method)
    for code in config.wording:
        if code not in config.locales:
            problem(f"wording.{code}", "locale is not among this tenant's locales")
    return problems


def _payment_problems(file: str, key: str, method: PaymentMethod) -> list[TenantProblem]:
    problems = []
    for name, value in method.settings.items():
        where = f"{key}.settings.{name}"
        if isinstance(value, EnvSecret):
            if not os.environ.get(value.env):
                problems.append(
                    TenantProblem(file, where, f"environment variable {value.env} is not set")
                )
        elif isinstance(value, str) and SECRET_KEY.search(name):
            problems.append(
                TenantProblem(file, where, "secrets must be given as {$env: NAME}, never inline")
            )
    return problems


def resolve_secret(value: Any) -> Any:
    """The clear value of a setting: ``EnvSecret`` is read from the environment now."""
    if isinstance(value, EnvSecret):
        return os.environ[value.env]
    return value
