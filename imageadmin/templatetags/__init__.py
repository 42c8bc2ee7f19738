"""Template tags for front-ends: {% load images %}."""
