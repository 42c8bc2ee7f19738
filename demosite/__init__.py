"""The demo site `make run` serves: a Django project with imageadmin installed, as a shop has it.

Not part of the app or its wheel: settings, root URLs, WSGI, the Celery app and the demo pages.
"""

from demosite.celery import app as celery_app

__all__ = ("celery_app",)
