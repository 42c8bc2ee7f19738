"""`make run`: the system on one machine with embedded defaults and no AWS account.

Starts moto's S3 server on loopback (the bucket created), points boto3 at it through the standard
AWS_ENDPOINT_URL_S3, prepares the database with a demo admin account and serves Django. The local
CDN edge and the Celery worker join this in later issues.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    s3_port = int(os.environ.get("IMAGEADMIN_S3_PORT", "9000"))
    web_port = int(os.environ.get("IMAGEADMIN_WEB_PORT", "8000"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imageadmin.settings")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_ENDPOINT_URL_S3"] = f"http://127.0.0.1:{s3_port}"
    # Publishing on one machine: the local API speaks plain http, and no Lambda container caches
    # the presets JSON, so a publish need not wait for one to re-read it.
    os.environ.setdefault("IMAGEADMIN_API_PROTOCOL", "http")
    os.environ.setdefault("IMAGEADMIN_PUBLISH_SETTLE_SECONDS", "0")

    import boto3
    import django
    from django.conf import settings
    from django.core.management import call_command
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    server.start()
    django.setup()
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    boto3.client("s3").create_bucket(Bucket=settings.IMAGEADMIN_BUCKET)
    call_command("migrate", interactive=False, verbosity=0)

    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if not user_model.objects.filter(username="admin").exists():
        user_model.objects.create_superuser("admin", "admin@example.com", "admin")
    print(f"local S3:  http://127.0.0.1:{s3_port}  (bucket {settings.IMAGEADMIN_BUCKET!r})")
    print(f"admin:     http://127.0.0.1:{web_port}/admin/  (user admin, password admin)")
    sys.stdout.flush()
    try:
        call_command("runserver", f"127.0.0.1:{web_port}", use_reloader=False)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
