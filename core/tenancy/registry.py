"""All tenants of this install, and Host -> tenant resolution."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from core.catalog.schemas import Vertical
from core.tenancy.loader import TenantConfigError, TenantProblem, parse_tenant_file
from core.tenancy.model import Tenant


class TenantRegistry:
    def __init__(self, tenants: Iterable[Tenant]) -> None:
        self._by_slug = {t.slug: t for t in tenants}
        self._by_host = {host: t for t in self._by_slug.values() for host in t.config.hosts}

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)

    def get(self, slug: str) -> Tenant | None:
        return self._by_slug.get(slug)

    def for_host(self, host_header: str) -> Tenant | None:
        """The tenant serving this Host header value; the port is ignored."""
        host = host_header.strip().lower()
        if host.startswith("["):  # IPv6 literal: never a tenant host
            return None
        host = host.rsplit(":", 1)[0] if ":" in host else host
        return self._by_host.get(host.rstrip("."))


def tenant_files(tenants_dir: Path) -> list[Path]:
    return sorted(p for p in tenants_dir.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


TenantCheck = Callable[[Tenant], list[TenantProblem]]
"""A further check of a parsed tenant (e.g. its prices against the catalogue's bands)."""


def check_files(
    files: Iterable[Path],
    verticals: Mapping[str, Vertical],
    themes_dir: Path,
    tenant_checks: Sequence[TenantCheck] = (),
) -> tuple[list[Tenant], list[TenantProblem]]:
    """Parse every file and check them together (slugs and hosts unique). Never raises."""
    tenants: list[Tenant] = []
    problems: list[TenantProblem] = []
    for path in files:
        tenant, found = parse_tenant_file(path, verticals, themes_dir)
        if tenant is not None:
            for check in tenant_checks:
                found += check(tenant)
        problems += found
        if tenant is not None and not found:
            tenants.append(tenant)
    slug_owner: dict[str, Tenant] = {}
    host_owner: dict[str, Tenant] = {}
    for tenant in tenants:
        if (other := slug_owner.setdefault(tenant.slug, tenant)) is not tenant:
            problems.append(
                TenantProblem(str(tenant.source), "slug", f"also used by {other.source}")
            )
        for i, host in enumerate(tenant.config.hosts):
            if (other := host_owner.setdefault(host, tenant)) is not tenant:
                problems.append(
                    TenantProblem(
                        str(tenant.source),
                        f"hosts[{i}]",
                        f"{host!r} is also claimed by {other.source}",
                    )
                )
    return tenants, sorted(problems)


def load_registry(
    tenants_dir: Path,
    verticals: Mapping[str, Vertical],
    themes_dir: Path,
    tenant_checks: Sequence[TenantCheck] = (),
) -> TenantRegistry:
    """Load every tenant file; raise ``TenantConfigError`` listing all problems if any."""
    if not tenants_dir.is_dir():
        raise TenantConfigError(
            [TenantProblem(str(tenants_dir), "", "no such folder of tenant files")]
        )
    files = tenant_files(tenants_dir)
    tenants, problems = check_files(files, verticals, themes_dir, tenant_checks)
    if problems:
        raise TenantConfigError(problems)
    return TenantRegistry(tenants)
