"""The Django side of the image CDN: presets, originals and variants in the admin."""
