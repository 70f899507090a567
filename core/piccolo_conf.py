"""Piccolo's configuration module (``PICCOLO_CONF=core.piccolo_conf``)."""

from piccolo.conf.apps import AppRegistry

from core.db import APPS, engine_for
from core.settings import get_settings

DB = engine_for(get_settings())
APP_REGISTRY = AppRegistry(apps=list(APPS))
