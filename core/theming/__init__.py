"""Themes: code-free folders of typed design tokens, templates and static files."""
