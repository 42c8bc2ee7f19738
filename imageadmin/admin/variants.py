"""Admin for variants."""
