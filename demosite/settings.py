"""The demo site's settings: the project `make run` and the tests serve, not part of the app.

A shop's own project needs only what docs/integrate.md lists; this one adds what running the
whole system on one machine takes, from the environment with embedded defaults: SQLite in
`var/`, a local S3 server on 127.0.0.1:9000 (what `make run` starts), Celery tasks in-process
unless CELERY_BROKER_URL names a broker. `imageadmin.checks` explains a misconfiguration through
Django's system checks (`imageadmin.E0xx`).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("IMAGEADMIN_DATA_DIR", BASE_DIR / "var"))


def _read_stack_env(path: Path) -> None:
    """Take the environment of a running `make run` from the file it writes (localaws.config).

    A command in a second terminal (`manage.py publish --dry-run`) then reaches the same local
    S3, distribution, database and queue. The file exists only while `make run` runs.
    """
    try:
        text = path.read_text()
    except OSError:
        return
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            os.environ[name.strip()] = value


if os.environ.get("IMAGEADMIN_STACK_ENV", "1") != "0":  # the tests set 0: they run their own
    _read_stack_env(DATA_DIR / "stack.env")


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return -1  # checks.py reports it with the variable's name


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "storages",
    "imageadmin",
    "demosite",
    "demosite.shop",  # a demo shop's own models with AssetField
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demosite.urls"
WSGI_APPLICATION = "demosite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has several processes on one file (web, worker, event consumer): WAL lets
    # readers go on while one writes, and a writer waits for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests get a database file, not memory: Django's live server shares one in-memory
    # connection between its request threads, and two requests at once (the preset page's
    # preview and impact) failed with sqlite3.InterfaceError about one run in five.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
LOGIN_URL = "admin:login"

# --- S3 -------------------------------------------------------------------------------------
# Originals and variants go through STORAGES["imageadmin"] (django-storages' S3Storage).
# AWS_S3_ENDPOINT_URL (or boto3's standard AWS_ENDPOINT_URL_S3) points at a local S3 server in
# development and tests.
BUCKET = os.environ.get("IMAGEADMIN_BUCKET", "images")
IMAGEADMIN_ORIGINALS_PREFIX = os.environ.get("IMAGEADMIN_ORIGINALS_PREFIX", "originals")
# Unset means AWS itself; `make run` and the tests set it (no silent default to a local server).
AWS_S3_ENDPOINT_URL = (
    os.environ.get("AWS_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3") or None
)
AWS_S3_REGION_NAME = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
STORAGES = {
    # The shop's own media (none here) stays on the file system; imageadmin has its own alias.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    },
    "imageadmin": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "object_parameters": {"CacheControl": "private, max-age=0"},
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- The CDN and the AWS resources publishing talks to ----------------------------------------
IMAGEADMIN_CDN_URL = os.environ.get("IMAGEADMIN_CDN_URL", "http://127.0.0.1:8080").rstrip("/")
IMAGEADMIN_API_HOST = os.environ.get("IMAGEADMIN_API_HOST", "127.0.0.1:8080")
IMAGEADMIN_API_PATH = os.environ.get("IMAGEADMIN_API_PATH", "default/resize")
IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = os.environ.get("IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID", "")
# The bucket's object events (the stack's EventsQueueUrl; `make run` creates one on moto).
IMAGEADMIN_EVENTS_QUEUE_URL = os.environ.get("IMAGEADMIN_EVENTS_QUEUE_URL", "")
IMAGEADMIN_PRESETS_KEY = os.environ.get("IMAGEADMIN_PRESETS_KEY", "_config/presets.json")
# The routing rules redirect a missing variant to <protocol>://<API host>/<API path>?key=...;
# http only for a local stack without TLS.
IMAGEADMIN_API_PROTOCOL = os.environ.get("IMAGEADMIN_API_PROTOCOL", "https")
# Lifecycle: a preset's variants expire this many days after they were made (Preset.expire_days
# overrides it per preset); they are remade on the next request.
IMAGEADMIN_VARIANT_EXPIRE_DAYS = _env_int("IMAGEADMIN_VARIANT_EXPIRE_DAYS", 30)
# Publishing waits this long after the presets JSON changed before it purges stale variants:
# the Lambda re-reads the JSON at most every PRESETS_TTL (60 s) and a render already running
# may take up to its 25 s timeout, so until then a container may still remake a purged variant
# with the old preset (and CloudFront would cache it for a year).
IMAGEADMIN_PUBLISH_SETTLE_SECONDS = _env_int("IMAGEADMIN_PUBLISH_SETTLE_SECONDS", 90)
# The front-end demo pages (/demo/): every asset through the template tags, public. On by default
# only with DEBUG.
DEMOSITE_PAGES = os.environ.get("IMAGEADMIN_DEMO_PAGES", "1" if DEBUG else "0") == "1"

# --- Uploads ----------------------------------------------------------------------------------
IMAGEADMIN_MAX_UPLOAD_BYTES = _env_int("IMAGEADMIN_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
IMAGEADMIN_MAX_UPLOAD_PIXELS = _env_int("IMAGEADMIN_MAX_UPLOAD_PIXELS", 75_000_000)
DATA_UPLOAD_MAX_NUMBER_FILES = 200
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery -----------------------------------------------------------------------------------
# Without a broker, tasks run in-process (eagerly) so the admin still works on one machine.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# One queue per system sharing a broker (`make run` names one per data folder).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("IMAGEADMIN_CELERY_QUEUE", "celery")
CELERY_BEAT_SCHEDULE = {
    "sync-variants-hourly": {"task": "imageadmin.tasks.sync_variants", "schedule": 3600.0},
}

# imageadmin's events as one JSON object per line on stderr (docs/integrate.md, "Logs"); `make
# run` shows their plain messages instead.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "imageadmin.logs.JsonFormatter"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {"imageadmin": {"handlers": ["json"], "level": "INFO"}},
}
