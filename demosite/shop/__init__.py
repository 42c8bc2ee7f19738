"""A tiny shop for the demo site: products with images from imageadmin, as a host project has."""
