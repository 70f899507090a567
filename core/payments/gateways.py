"""The tenant's payment methods, built from its YAML: each enabled provider class (from the
``payment_providers`` hook) constructed with its settings, secrets read from the environment.

``mode: standin`` in a method's settings points it at the local stand-in gateway (the demo):
its keys come from ``var/payments_standin.json`` (generated once), not from the environment,
and it is reached in-process. Without it (``mode: live``, the default) every key must be set
through ``{$env: NAME}`` and the gateway is reached over HTTPS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.payments.provider import PaymentProvider
from core.tenancy.loader import resolve_secret

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager
    from core.settings import Settings
    from core.tenancy.model import Tenant

NOTIFY_PREFIX = "/payments/notify/"

_runtime: list[tuple[Settings, DoorstepPluginManager]] = []


def notify_path(identifier: str) -> str:
    return f"{NOTIFY_PREFIX}{identifier}"


def provider_classes(
    plugins: DoorstepPluginManager, tenant: Tenant
) -> dict[str, type[PaymentProvider]]:
    found: dict[str, type[PaymentProvider]] = {}
    for result in plugins.for_tenant(tenant).payment_providers():
        for cls in result or []:
            found.setdefault(cls.identifier, cls)
    return found


def is_standin(provider: PaymentProvider) -> bool:
    return provider.settings.get("mode") == "standin"


def enabled_methods(
    settings: Settings, plugins: DoorstepPluginManager, tenant: Tenant
) -> dict[str, PaymentProvider]:
    """The tenant's methods in its YAML's order, by identifier. A method no installed plugin
    provides is left out (the tenant's checkout simply does not offer it)."""
    classes = provider_classes(plugins, tenant)
    methods: dict[str, PaymentProvider] = {}
    for method in tenant.config.payments:
        cls = classes.get(method.provider)
        if cls is None:
            continue
        values: dict[str, Any] = {k: resolve_secret(v) for k, v in method.settings.items()}
        transport = None
        if values.get("mode") == "standin":
            from core.payments.standin.gateway import gateway_for

            gateway = gateway_for(settings.var_dir)
            values.update(gateway.base_settings(method.provider))
            transport = gateway.transport(method.provider)
        methods[method.provider] = cls(tenant, values, transport=transport)
    return methods


def use_runtime(settings: Settings, plugins: DoorstepPluginManager) -> None:
    """Where this process's payment methods come from when no request is at hand (after-sales
    refunds, the worker): set by ``create_app`` and the worker."""
    _runtime[:] = [(settings, plugins)]


def methods_for(tenant: Tenant) -> dict[str, PaymentProvider]:
    """The tenant's methods without a request (the runtime's settings, else the environment's)."""
    if _runtime:
        settings, plugins = _runtime[0]
    else:
        from core.plugins import build_plugin_manager
        from core.settings import get_settings

        settings, plugins = get_settings(), build_plugin_manager()
    return enabled_methods(settings, plugins, tenant)


def tenant_base_url(tenant: Tenant) -> str:
    """The tenant's own site, for gateway URLs made without a request."""
    host = tenant.config.hosts[0] if tenant.config.hosts else "localhost"
    return f"https://{host}"
