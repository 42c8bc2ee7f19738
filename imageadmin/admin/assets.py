"""Admin for assets."""
