"""The Django-side fixtures (moto's S3 server, roles, a browser) shared with tests/imageadmin."""

from tests.imageadmin.conftest import *  # noqa: F403
