"""imageadmin: an image CDN for Django shops, as a reusable Django app.

Presets, originals and variants in the admin; publishing to AWS; template tags and a JSON API for
front-ends; a model field for the shop's own models. The resizer itself is `resizer_lambda`.
"""

__version__ = "0.2.0"
