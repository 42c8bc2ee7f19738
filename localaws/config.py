"""`make run`'s settings and the environment every part of the local system runs with.

`LocalConfig` reads the IMAGEADMIN_* knobs (ports, data folder, Redis); `stack_env` turns them into
the one environment of every process: dummy credentials, the developer's own AWS configuration
removed (AWS_* variables, config and credential files), boto3 pointed at moto through
AWS_ENDPOINT_URL_S3/AWS_ENDPOINT_URL_CLOUDFRONT/AWS_ENDPOINT_URL_SQS, so nothing can reach a real
AWS account, the local edge as the CDN URL and the API host, and moto's queue of the bucket's
object events as IMAGEADMIN_EVENTS_QUEUE_URL.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
REGION = "us-east-1"


class StartupError(Exception):
    """The system cannot start; the message says why."""


@dataclass(frozen=True)
class LocalConfig:
    """`make run`'s knobs, from IMAGEADMIN_* environment variables."""

    data_dir: Path
    s3_port: int = 9000
    edge_port: int = 8080
    web_port: int = 8000
    bucket: str = "images"
    redis_url: str = "redis://127.0.0.1:6379/3"
    demo_photos: bool = True
    snapshot_seconds: float = 30
    missing_status: str = "403"
    broker_url: str = ""  # the developer's own CELERY_BROKER_URL, used as it is

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str]) -> LocalConfig:
        def port(name: str, default: int) -> int:
            try:
                return int(env.get(name, default))
            except ValueError as err:
                raise StartupError(f"{name} must be a port number, got {env[name]!r}") from err

        redis = env.get("IMAGEADMIN_REDIS_URL", cls.redis_url)
        return cls(
            data_dir=Path(env.get("IMAGEADMIN_DATA_DIR") or BASE_DIR / "var").resolve(),
            s3_port=port("IMAGEADMIN_S3_PORT", cls.s3_port),
            edge_port=port("IMAGEADMIN_EDGE_PORT", cls.edge_port),
            web_port=port("IMAGEADMIN_WEB_PORT", cls.web_port),
            bucket=env.get("IMAGEADMIN_BUCKET", cls.bucket),
            redis_url="" if redis.lower() in ("", "0", "off", "none") else redis,
            demo_photos=env.get("IMAGEADMIN_DEMO_PHOTOS", "1") not in ("0", "off", "no"),
            snapshot_seconds=float(env.get("IMAGEADMIN_SNAPSHOT_SECONDS", cls.snapshot_seconds)),
            missing_status=env.get("IMAGEADMIN_EDGE_MISSING_STATUS", cls.missing_status),
            broker_url=env.get("CELERY_BROKER_URL", ""),
        )

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def edge_url(self) -> str:
        return f"http://127.0.0.1:{self.edge_port}"


def redis_reachable(url: str) -> bool:
    """Return whether a Redis server answers PING at `url`'s host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def stack_env(
    config: LocalConfig,
    base: dict[str, str],
    distribution_id: str = "",
    broker: str = "",
    events_queue_url: str = "",
) -> dict[str, str]:
    """Return the environment of every part of the system (see the module docstring)."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_")}
    queue = "imageadmin-" + hashlib.sha256(str(config.data_dir).encode()).hexdigest()[:8]
    env.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL_S3=config.s3_url,
        AWS_S3_ENDPOINT_URL=config.s3_url,
        AWS_ENDPOINT_URL_CLOUDFRONT=config.s3_url,
        AWS_ENDPOINT_URL_SQS=config.s3_url,
        DJANGO_SETTINGS_MODULE="demosite.settings",
        DJANGO_DEBUG="1",
        IMAGEADMIN_DATA_DIR=str(config.data_dir),
        IMAGEADMIN_BUCKET=config.bucket,
        IMAGEADMIN_CDN_URL=config.edge_url,
        IMAGEADMIN_API_HOST=f"127.0.0.1:{config.edge_port}",
        IMAGEADMIN_API_PATH="default/resize",
        IMAGEADMIN_API_PROTOCOL="http",
        IMAGEADMIN_PUBLISH_SETTLE_SECONDS="0",
        IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID=distribution_id,
        IMAGEADMIN_EVENTS_QUEUE_URL=events_queue_url,
        IMAGEADMIN_EDGE_PORT=str(config.edge_port),
        IMAGEADMIN_EDGE_MISSING_STATUS=config.missing_status,
        IMAGEADMIN_CELERY_QUEUE=queue,
        PYTHONUNBUFFERED="1",
    )
    env.pop("CELERY_BROKER_URL", None)
    if broker:
        env["CELERY_BROKER_URL"] = broker
    return env


ENV_FILE = "stack.env"
# What a command in another terminal needs to reach the running stack (see write_env_file).
_SHARED_PREFIXES = ("AWS_", "IMAGEADMIN_", "DJANGO_", "CELERY_", "DATABASE_URL")


def write_env_file(data_dir: Path, env: dict[str, str]) -> Path:
    """Write the stack's environment to `<data>/stack.env`; return its path.

    `demosite.settings` reads it, so `manage.py publish` (or any command) run in a second
    terminal while `make run` is up talks to the same moto server, distribution, database and
    queue instead of failing with "Unable to locate credentials". It is removed at stop.
    """
    path = data_dir / ENV_FILE
    lines = [f"{k}={v}" for k, v in sorted(env.items()) if k.startswith(_SHARED_PREFIXES)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        "# Written by `make run` while it runs; removed when it stops.\n" + "\n".join(lines) + "\n"
    )
    tmp.replace(path)
    return path


def create_distribution(client: Any, bucket: str) -> str:
    """Create the CloudFront distribution the template would, in front of the website endpoint."""
    origin = f"{bucket}.s3-website-{REGION}.amazonaws.com"
    answer = client.create_distribution(
        DistributionConfig={
            "CallerReference": f"imageadmin-local-{time.time_ns()}",
            "Comment": "imageadmin local edge",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "website",
                        "DomainName": origin,
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "http-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "website",
                "ViewerProtocolPolicy": "allow-all",
                "MinTTL": 0,
            },
        }
    )
    return str(answer["Distribution"]["Id"])
