"""Admin for jobs."""
