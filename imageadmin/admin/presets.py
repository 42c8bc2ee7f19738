"""Admin for presets."""
