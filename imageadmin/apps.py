"""App config."""

from django.apps import AppConfig
from django.core import checks


class ImageadminConfig(AppConfig):
    name = "imageadmin"
    verbose_name = "Images"

    def ready(self) -> None:
        from imageadmin import checks as imageadmin_checks
        from imageadmin import tasks  # noqa: F401  (registers the task names imageadmin.jobs sends)

        for check in imageadmin_checks.SETTINGS_CHECKS:
            checks.register(check)
        checks.register(imageadmin_checks.check_prefix_not_a_preset, checks.Tags.database)
        checks.register(imageadmin_checks.check_s3_endpoint_deploy, deploy=True)
