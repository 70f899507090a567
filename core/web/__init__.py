"""The web app: ``create_app()``, tenant resolution, templating, pages and the JSON API."""
