"""The wheel in a fresh virtualenv runs a fresh shop project set up as docs/integrate.md says.

One module fixture builds the wheel with uv, installs it into a new virtualenv (the same
Python), runs `django-admin startproject shopproj` and `startapp shop`, writes every
`<!-- proof: ... -->` block of docs/integrate.md as its file (settings appended), adds the
production settings Django's own deploy checklist asks for, and runs `makemigrations shop`,
`migrate`, `check --deploy` and `shop_probe.py` there. Nothing from this repository is on that
project's path: it sees only what the wheel installed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import imageadmin
from resizer_lambda.presets import DEFAULT_CONFIG, output_token

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "integrate.md"
PROBE = Path(__file__).with_name("shop_probe.py")
CDN = "https://img.example.com"  # docs/integrate.md's IMAGEADMIN_CDN_URL
KEY = "originals/2026/01/red-shoe-ab12.jpg"
# The presets `migrate` creates (imageadmin/migrations/0003_default_presets.py, and the doc):
# (name, width of a 2400x1600 original's variant: 3:2, so heights are whole), all fit=inside.
PRESETS = [("small", 150), ("medium", 300), ("large", 600), ("xlarge", 1200)]
DEV_ONLY = {
    "moto", "werkzeug", "playwright", "pytest", "pytest-django", "pytest-playwright", "ruff",
    "mypy", "jsonschema", "cfn-lint", "boto3-stubs", "types-tqdm",
    # the demo site's, not the app's
    "dj-database-url", "psycopg", "psycopg-binary", "redis", "tqdm",
}  # fmt: skip
PROOF_FILES = {
    "shopproj/settings.py",
    "shopproj/celery.py",
    "shopproj/__init__.py",
    "shopproj/urls.py",
    "shop/models.py",
    "shop/admin.py",
    "shop/views.py",
    "shop/templates/shop/product_detail.html",
}
# Django's deployment checklist: what `check --deploy` asks of any production site. The
# shop's business, not imageadmin's, so it is here and not in docs/integrate.md.
PRODUCTION = """
DEBUG = False
SECRET_KEY = {secret!r}
ALLOWED_HOSTS = ["shop.example.com", "testserver"]
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
MAILERS = {{"default": {{"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}}}
"""
_PROOF_RE = re.compile(r"<!-- proof: (\S+)( append)? -->\n```\w*\n(.*?)\n```", re.DOTALL)


@dataclass(frozen=True)
class Site:
    wheel: Path
    venv: Path
    project: Path
    env: dict[str, str]
    outputs: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def run(cmd: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    """Run `cmd`; fail the test with its output unless it exits 0; return stdout."""
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def proof_blocks(text: str) -> list[tuple[str, bool, str]]:
    """Return (path, append, code) of every `<!-- proof: path [append] -->` block in the doc."""
    return [(m[1], bool(m[2]), m[3] + "\n") for m in _PROOF_RE.finditer(text)]


def clean_env(home: Path) -> dict[str, str]:
    """Return an environment that knows nothing of this repository or its virtualenv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    # The tests' conftest already set dummy AWS credentials; anything that still tried S3
    # would meet a closed port rather than AWS.
    env["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9"
    env["HOME"] = os.environ.get("HOME", str(home))
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    tmp = tmp_path_factory.mktemp("package")
    env = clean_env(tmp)
    uv = [sys.executable, "-m", "uv"]
    dist, venv, project = tmp / "dist", tmp / "venv", tmp / "site"
    run([*uv, "build", "--wheel", "--python", sys.executable, "-o", dist, ROOT], tmp, env)
    (wheel,) = dist.glob("*.whl")
    run([*uv, "venv", "--python", sys.executable, venv], tmp, env)
    run([*uv, "pip", "install", "--python", venv / "bin" / "python", wheel], tmp, env)

    project.mkdir()
    run([venv / "bin" / "django-admin", "startproject", "shopproj", project], tmp, env)
    manage = [venv / "bin" / "python", project / "manage.py"]
    run([*manage, "startapp", "shop"], project, env)
    for path, append, code in proof_blocks(DOC.read_text()):
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a" if append else "w") as f:
            f.write(("\n" if append else "") + code)
    with (project / "shopproj" / "settings.py").open("a") as f:
        f.write(PRODUCTION.format(secret=secrets.token_urlsafe(50)))

    outputs = {
        "makemigrations": run([*manage, "makemigrations", "shop"], project, env),
        "migrate": run([*manage, "migrate"], project, env),
        # As in production: boto3's own endpoint (AWS); the closed-port guard would rightly be
        # reported by imageadmin.W003. The check makes no S3 call.
        "check": run(
            [*manage, "check", "--deploy", "--database", "default", "--fail-level", "DEBUG"],
            project,
            {k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL_S3"},
        ),
        "missing_migrations": run(
            [*manage, "makemigrations", "--check", "--dry-run"], project, env
        ),
        # Copied in, so that its directory on sys.path is the project's, not this checkout's.
        "probe": run([venv / "bin" / "python", shutil.copy(PROBE, project), KEY], project, env),
    }
    return Site(wheel, venv, project, env, outputs)


@pytest.fixture(scope="module")
def probe(site: Site) -> dict[str, Any]:
    return json.loads(site.outputs["probe"])  # type: ignore[no-any-return]


# --- the wheel ----------------------------------------------------------------------------------


def test_wheel_ships_the_app_and_the_resizer_with_their_data(site: Site) -> None:
    names = zipfile.ZipFile(site.wheel).namelist()
    dist_info = f"imageadmin-{imageadmin.__version__}.dist-info/"
    assert {n.split("/")[0] + "/" for n in names} == {"imageadmin/", "resizer_lambda/", dist_info}
    for expected in (
        "imageadmin/migrations/0001_initial.py",
        "imageadmin/management/commands/publish.py",
        "imageadmin/management/commands/build_lambda.py",
        "imageadmin/templates/admin/imageadmin/asset/upload.html",
        "imageadmin/static/imageadmin/assets.css",
        "imageadmin/templatetags/images.py",
        "imageadmin/fields.py",
        "resizer_lambda/handler.py",
        "resizer_lambda/presets.schema.json",
        "resizer_lambda/requirements.txt",  # build_lambda reads the Lambda's pins from it
        "resizer_lambda/template.yaml",
        f"{dist_info}licenses/LICENSE",
    ):
        assert expected in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_metadata(site: Site) -> None:
    wheel = zipfile.ZipFile(site.wheel)
    meta = HeaderParser().parsestr(
        wheel.read(f"imageadmin-{imageadmin.__version__}.dist-info/METADATA").decode()
    )
    assert meta["Name"] == "imageadmin"
    assert meta["Version"] == imageadmin.__version__
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.12"
    assert "Framework :: Django :: 6.1" in meta.get_all("Classifier")
    assert meta.get_payload().startswith("# imageadmin")  # README.md is the long description
    runtime = {r.split(";")[0] for r in meta.get_all("Requires-Dist") if "extra ==" not in r}
    assert {re.split(r"[<>=\[]", r)[0].lower() for r in runtime} == {
        "django", "django-storages", "celery", "pillow", "zlib-ng", "pyvips-binary", "boto3",
    }  # fmt: skip


def test_fresh_venv_has_nothing_dev_only(site: Site) -> None:
    listed = run(
        [sys.executable, "-m", "uv", "pip", "list", "--python", site.python, "--format", "json"],
        site.project,
        site.env,
    )
    installed = {p["name"].lower() for p in json.loads(listed)}
    runtime = {"imageadmin", "django", "django-storages", "celery", "pillow", "zlib-ng", "boto3"}
    runtime.add("pyvips-binary")
    assert runtime <= installed
    assert installed & DEV_ONLY == set()


def test_the_project_imports_the_installed_wheel_not_this_checkout(
    site: Site, probe: dict[str, Any]
) -> None:
    site_packages = str(site.venv / "lib")
    assert probe["imageadmin_file"].startswith(site_packages)
    assert probe["resizer_lambda_file"].startswith(site_packages)
    assert probe["version"] == imageadmin.__version__
    assert not [p for p in probe["sys_path"] if p.startswith(str(ROOT))]


# --- the documented set-up ----------------------------------------------------------------------


def test_doc_blocks_cover_the_whole_setup() -> None:
    blocks = proof_blocks(DOC.read_text())
    assert {path for path, _, _ in blocks} == PROOF_FILES
    assert {path for path, append, _ in blocks if append} == {"shopproj/settings.py"}


def test_migrate_and_deploy_checks_are_clean(site: Site) -> None:
    assert "Create model Product" in site.outputs["makemigrations"]
    assert "Applying imageadmin.0001_initial... OK" in site.outputs["migrate"]
    # Every message counts, warnings and Django's own included: the documented settings plus
    # Django's deployment checklist leave nothing to report.
    assert site.outputs["check"].strip() == "System check identified no issues (0 silenced)."
    assert site.outputs["missing_migrations"].strip() == "No changes detected"


def test_celery_app_finds_the_tasks(probe: dict[str, Any]) -> None:
    assert probe["celery_app"] == "shopproj"
    assert {
        "imageadmin.tasks.generate_variants",
        "imageadmin.tasks.purge_variants",
        "imageadmin.tasks.sync_variants",
        "imageadmin.tasks.publish_presets",
    } <= set(probe["tasks"])


def test_admin_static_and_build_lambda_defaults_work(site: Site, probe: dict[str, Any]) -> None:
    assert probe["admin"] == dict.fromkeys(probe["admin"], 200)
    assert probe["static"]
    assert any(r.startswith("pillow>=13") for r in probe["lambda_requirements"])
    assert probe["lambda_cache"] == str(site.project / "var" / "cache" / "lambda-wheels")


# --- the product page ---------------------------------------------------------------------------


class Elements(HTMLParser):
    """Collect (tag, attributes) of every start tag, attributes unescaped."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.found if name == tag]


def head(name: str) -> str:
    """Return `<name>.<token>`: nothing is published in the fresh project, so the Lambda's
    embedded defaults (the same four presets) are what its URLs carry."""
    preset = DEFAULT_CONFIG.get(name)
    assert preset is not None
    return f"{name}.{output_token(preset)}"


def srcset(folder_suffix: str = "") -> str:
    return ", ".join(f"{CDN}/{head(name)}{folder_suffix}/{KEY} {width}w" for name, width in PRESETS)


def test_product_page_renders_the_three_tags(probe: dict[str, Any]) -> None:
    status, html = probe["pages"]["product"]
    assert status == 200
    page = Elements(html)
    plain, responsive, fallback = page.all("img")
    # {% image_url %}
    assert plain["src"] == f"{CDN}/{head('small')}/{KEY}"
    # {% image_srcset %}
    assert responsive["src"] == f"{CDN}/{head('large')}/{KEY}"
    assert responsive["srcset"] == srcset()
    # {% picture %}: AVIF and WebP sources, then the <img> fallback (the widest preset)
    assert len(page.all("picture")) == 1
    assert [(s["type"], s["srcset"]) for s in page.all("source")] == [
        ("image/avif", srcset(".avif")),
        ("image/webp", srcset(".webp")),
    ]
    assert fallback["src"] == f"{CDN}/{head('xlarge')}/{KEY}"
    assert fallback["srcset"] == srcset()
    assert (fallback["width"], fallback["height"]) == ("1200", "800")
    assert fallback["alt"] == "Red shoe"
    assert fallback["loading"] == "lazy"


def test_product_without_image_renders_no_broken_image(probe: dict[str, Any]) -> None:
    status, html = probe["pages"]["empty"]
    assert status == 200
    assert "No photo yet" in html
    assert CDN not in html
    assert Elements(html).all("img") == Elements(html).all("picture") == []


def test_json_api_is_mounted_where_the_doc_says(probe: dict[str, Any]) -> None:
    status, body = probe["pages"]["api_presets"]
    assert status == 200
    assert [p["name"] for p in json.loads(body)["presets"]] == [n for n, _ in PRESETS]
    status, body = probe["pages"]["api_asset"]
    assert status == 200
    small = json.loads(body)["variants"]["small"]
    url = f"{CDN}/{head('small')}/{KEY}"
    assert (small["url"], small["width"], small["height"]) == (url, 150, 100)
