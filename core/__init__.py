"""Doorstep core: the platform that vertical plugins extend through pluggy hooks."""

import os

# Piccolo finds its engine through this module unless the environment names another.
os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")
