"""Management commands of imageadmin."""
