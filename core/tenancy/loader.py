"""Read tenant YAML files into ``Tenant``s, reporting every problem at once.

Each problem names the file, the key path and the reason. Nothing starts half-configured:
``load_registry`` raises ``TenantConfigError`` with the whole list if any file is wrong.
"""

from __future__ import annotations

import json
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
from core.tenancy.schema import EmailSettings, EnvSecret, PaymentMethod, TenantConfig
from core.theming.model import ThemeError, load_theme, token_problem

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}\Z")
HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})*\Z")
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


_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")
_PLAIN_KEY = re.compile(r"[A-Za-z_$][\w$-]*")


def _msgspec_problem(
    file: str, prefix: str, value: Any, type_: Any, exc: msgspec.ValidationError
) -> TenantProblem:
    """Turn msgspec's "Expected `int`, got `str` - at `$.a.b`" into key path + reason.

    msgspec writes a mapping key it does not name as ``[...]``; the key is found by checking
    the mapping's entries one at a time, so the path names the exact key to fix.
    """
    reason, _, where = str(exc).partition(" - at `")
    where = where.rstrip("`") or "$"
    if where.startswith("key` in `"):  # a mapping key of the wrong type
        where = where.removeprefix("key` in `")
        reason = f"invalid key: {reason}"
    parts = _pinpoint(value, type_, where)
    if field := re.fullmatch(r"Object contains unknown field `(.+)`", reason):
        parts.append(field.group(1))
        reason = "unknown key"
    elif field := re.fullmatch(r"Object missing required field `(.+)`", reason):
        parts.append(field.group(1))
        reason = "required key is missing"
    return TenantProblem(file, _key_path(prefix, parts), reason.replace("`", "'"))


def _key_path(prefix: str, parts: Sequence[str | int]) -> str:
    key = prefix
    for part in parts:
        if isinstance(part, int):
            key += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            key += f".{part}" if key else part
        else:
            key += f"[{json.dumps(part, ensure_ascii=False)}]"
    return key


def _pinpoint(value: Any, type_: Any, where: str) -> list[str | int]:
    """The parts of msgspec's error location ``where`` inside ``value``, ``[...]`` resolved."""
    parts: list[str | int] = []
    node = value
    body = where.removeprefix("$")
    for match in _PATH_PART.finditer(body):
        name, index = match.group(1), match.group(2)
        part: str | int | None
        if name is not None:
            part = name
        elif index is not None:
            part = int(index)
        else:
            part = _failing_key(value, type_, parts, node, "$" + body[: match.end()])
            if part is None:
                parts.append("...")
                return parts
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            parts.append(part)
            return parts
        parts.append(part)
    return parts


def _failing_key(
    value: Any, type_: Any, parts: Sequence[str | int], mapping: Any, where: str
) -> str | None:
    """The key of ``mapping`` (at ``parts`` in ``value``) whose entry fails at ``where``."""
    if not isinstance(mapping, dict):
        return None
    for key, item in mapping.items():
        try:
            msgspec.convert(_replaced(value, parts, {key: item}), type_)
        except msgspec.ValidationError as exc:
            if f"at `{where}" in str(exc):
                return str(key)
    return None


def _replaced(value: Any, parts: Sequence[str | int], new: Any) -> Any:
    """A copy of ``value`` with the item at ``parts`` replaced by ``new``."""
    if not parts:
        return new
    head, *rest = parts
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], rest, new)
    return copy


def parse_tenant_file(
    path: Path, verticals: Mapping[str, Vertical], themes_dir: Path
) -> tuple[Tenant | None, list[TenantProblem]]:
    """Parse and check one tenant file. Returns the tenant, or None and every problem.

    Keys with a wrong type are reported and left out; the other keys are still checked, so
    one run lists every problem of the file.
    """
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
    usable: dict[str, Any] = {}
    broken: set[str] = set()
    for name, info in fields.items():
        if name not in raw:
            if info.required:
                problems.append(TenantProblem(file, name, "required key is missing"))
                broken.add(name)
            continue
        try:
            msgspec.convert(raw[name], info.type)
        except msgspec.ValidationError as exc:
            problems.append(_msgspec_problem(file, name, raw[name], info.type, exc))
            broken.add(name)
        else:
            usable[name] = raw[name]

    # Stand-ins for broken required keys, so the remaining keys can still be checked.
    stand_ins = {"slug": path.stem, "name": {"en": path.stem}, "hosts": [], "theme": {"name": ""}}
    config = msgspec.convert(
        {**{k: v for k, v in stand_ins.items() if k in broken}, **usable}, TenantConfig
    )
    problems += _semantic_problems(file, path, config, broken)
    theme = None
    if "theme" not in broken:
        try:
            theme = load_theme(themes_dir, config.theme.name)
        except ThemeError as exc:
            problems.append(TenantProblem(file, "theme.name", str(exc)))
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
            problems.append(
                _msgspec_problem(file, f"verticals.{slug}", block, vertical.config_type, exc)
            )

    if problems or theme is None:
        return None, problems
    return Tenant(config=config, source=path, theme=theme, vertical_configs=vertical_configs), []


def _semantic_problems(
    file: str, path: Path, config: TenantConfig, broken: set[str]
) -> list[TenantProblem]:
    """Rules beyond types. Keys in ``broken`` (already reported) are not checked again."""
    problems: list[TenantProblem] = []

    def problem(key: str, reason: str) -> None:
        problems.append(TenantProblem(file, key, reason))

    def usable(*keys: str) -> bool:
        return not broken.intersection(keys)

    if usable("slug"):
        if not SLUG.match(config.slug):
            problem("slug", "use 2-40 lower-case letters, digits or '-', starting with a letter")
        elif path.stem != config.slug:
            problem("slug", f"must match the file name ({path.stem!r})")
    if usable("hosts"):
        if not config.hosts:
            problem("hosts", "at least one host name is required")
        for i, host in enumerate(config.hosts):
            if not HOSTNAME.match(host):
                problem(f"hosts[{i}]", f"{host!r} is not a lower-case host name without a port")
    if usable("locales"):
        if not config.locales:
            problem("locales", "at least one locale is required")
        for i, code in enumerate(config.locales):
            try:
                Locale.parse(code)
            except (ValueError, TypeError, UnknownLocaleError):
                problem(f"locales[{i}]", f"unknown locale {code!r}")
                continue
            if code not in SUPPORTED_LOCALES:
                problem(
                    f"locales[{i}]",
                    f"no translations for {code!r} (have: {', '.join(SUPPORTED_LOCALES)})",
                )
    if usable("name") and not (
        config.name.get("zh_CN", "").strip() or config.name.get("en", "").strip()
    ):
        problem("name", "give the name in zh_CN or en")
    if usable("timezone"):
        try:
            ZoneInfo(config.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problem("timezone", f"unknown time zone {config.timezone!r}")
    if usable("currency") and (
        not re.fullmatch(r"[A-Z]{3}", config.currency)
        or get_currency_name(config.currency, locale="en") == config.currency
    ):
        problem("currency", f"unknown ISO 4217 currency {config.currency!r}")
    if usable("travel_speed_kmh") and not 1 <= config.travel_speed_kmh <= 120:
        problem("travel_speed_kmh", "must be between 1 and 120")
    if usable("policies"):
        for name, (lat, lng) in config.policies.booking.district_centres.items():
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                problem(f"policies.booking.district_centres.{name}", "not a [lat, lng] point")
        if not 0 <= config.policies.booking.district_travel_minutes <= 240:
            problem("policies.booking.district_travel_minutes", "must be between 0 and 240")
    if usable("commission"):
        if not 0 <= config.commission.default_bps <= 10_000:
            problem("commission.default_bps", "must be between 0 and 10000 basis points")
        for slug, bps in config.commission.per_vertical.items():
            if usable("verticals") and slug not in config.verticals:
                problem(
                    f"commission.per_vertical.{slug}", "vertical is not enabled for this tenant"
                )
            if not 0 <= bps <= 10_000:
                problem(
                    f"commission.per_vertical.{slug}", "must be between 0 and 10000 basis points"
                )
    if usable("payments"):
        for i, method in enumerate(config.payments):
            problems += _payment_problems(file, f"payments[{i}]", method)
    if usable("email") and config.email is not None:
        problems += _email_problems(file, config.email)
    if usable("wording", "locales"):
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


def _email_problems(file: str, email: EmailSettings) -> list[TenantProblem]:
    problems = []
    if not 1 <= email.port <= 65535:
        problems.append(TenantProblem(file, "email.port", "must be between 1 and 65535"))
    if "@" not in email.sender:
        problems.append(TenantProblem(file, "email.sender", "must be an email address"))
    if email.password is not None and not os.environ.get(email.password.env):
        reason = f"environment variable {email.password.env} is not set"
        problems.append(TenantProblem(file, "email.password", reason))
    return problems


def resolve_secret(value: Any) -> Any:
    """The clear value of a setting: ``EnvSecret`` is read from the environment now."""
    if isinstance(value, EnvSecret):
        return os.environ[value.env]
    return value
