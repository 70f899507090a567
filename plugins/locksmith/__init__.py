"""The locksmith vertical: unlocking, lock changes and smart locks."""
