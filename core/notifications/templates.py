"""Notification texts: Jinja templates per tenant and locale, found like pages are.

``notifications/<template>.<channel>.txt`` (a channel's own wording, e.g. a short SMS) is tried
before ``notifications/<template>.txt``, each through the lookup order of pages: tenant
override (``tenants/<slug>/templates``) -> theme -> plugins -> core; ``core:notifications/...``
names core's original, so an override can ``{% extends %}`` it and replace one block.

A rendered template's first line is the subject; the rest, after a blank line, the body.
Messages are plain text: nothing is HTML-escaped. Words go through the tenant's catalogs
(core, enabled plugins, then the tenant's own ``wording``), like pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from jinja2.sandbox import SandboxedEnvironment

from core.i18n.catalogs import build_translations
from core.i18n.formatting import format_money, format_when
from core.web.templating import CORE_TEMPLATES, template_folders

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager
    from core.settings import Settings
    from core.tenancy.model import Tenant

WHEN_FORMAT = {"zh_CN": "M月d日 EEEE HH:mm", "en": "EEE d MMM yyyy, HH:mm"}
"""Local start times in messages: ``3月11日 星期三 14:00`` / ``Wed 11 Mar 2026, 14:00``."""


@dataclass(frozen=True)
class RenderedText:
    subject: str
    body: str


class NotificationTemplates:
    """One cached sandboxed environment per (tenant, locale)."""

    def __init__(self, settings: Settings, plugins: DoorstepPluginManager) -> None:
        self.settings = settings
        self.plugins = plugins
        self._envs: dict[tuple[str, str], SandboxedEnvironment] = {}

    def environment(self, tenant: Tenant, locale: str) -> SandboxedEnvironment:
        key = (tenant.slug, locale)
        env = self._envs.get(key)
        if env is None:
            env = self._envs[key] = self._build(tenant, locale)
        return env

    def _build(self, tenant: Tenant, locale: str) -> SandboxedEnvironment:
        loader = ChoiceLoader(
            [
                PrefixLoader({"core": FileSystemLoader(CORE_TEMPLATES)}, delimiter=":"),
                FileSystemLoader(template_folders(self.settings, self.plugins, tenant)),
            ]
        )
        env = SandboxedEnvironment(
            loader=loader,
            autoescape=False,  # plain text for mail and SMS, never shown as HTML
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        verticals = self.plugins.verticals
        plugin_locales = [
            folder
            for slug in tenant.enabled_verticals
            if (folder := verticals[slug].locale_dir) is not None
        ]
        translations = build_translations(
            locale, plugin_locales, tenant.config.wording.get(locale, {})
        )
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        pattern = WHEN_FORMAT.get(locale, WHEN_FORMAT["en"])
        env.globals.update(
            tenant=tenant,
            locale=locale,
            brand=tenant.name(locale),
            support_phone=tenant.config.branding.support_phone,
            text=lambda value: tenant.config.text(value, locale),
            money=lambda fen: format_money(fen, tenant.config.currency, locale),
            when=lambda moment: format_when(moment, tenant.config.timezone, locale, pattern),
        )
        return env

    def render(
        self, tenant: Tenant, locale: str, template: str, channel: str, context: dict[str, Any]
    ) -> RenderedText:
        env = self.environment(tenant, locale)
        found = env.select_template(
            [f"notifications/{template}.{channel}.txt", f"notifications/{template}.txt"]
        )
        return split_subject(found.render(context))


def split_subject(text: str) -> RenderedText:
    """The first non-empty line is the subject; the rest is the body."""
    lines = text.strip().splitlines()
    subject = lines[0].strip() if lines else ""
    body = "\n".join(line.rstrip() for line in lines[1:]).strip()
    return RenderedText(subject=subject, body=body)
