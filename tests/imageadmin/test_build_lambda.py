"""manage.py build_lambda: the zip runs the handler on its own, with its own Pillow.

The build tests download Pillow wheels once into pytest's cache directory (later runs resolve
offline from there) and skip, saying so, when neither that cache nor the package index is there.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from imageadmin import lambda_package as pkg
from imageadmin.models import Preset
from resizer_lambda import presets as contract
from tests.conftest import REPO_ROOT

EVENT = REPO_ROOT / "tests" / "resizer" / "events" / "apigw_rest_v1.json"


@dataclass(frozen=True)
class Built:
    path: Path
    rebuilt: Path
    presets_json: str
    rebuild_log: str


def _index_reachable() -> bool:
    url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple")
    host = urlparse(url).hostname or "pypi.org"
    try:
        socket.create_connection((host, 443), timeout=5).close()
    except OSError:
        return False
    return True


def _require_wheels(cache: Path, target: pkg.Target) -> None:
    """Skip unless a Pillow wheel for `target` is cached or the package index answers."""
    if any(cache.glob(f"pillow-*-{target.abi}-*{target.machine}*.whl")):
        return
    if not _index_reachable():
        pytest.skip(
            f"the package index is unreachable and {cache} has no Pillow wheel for "
            f"{target.platform} {target.abi}"
        )


@pytest.fixture(scope="session")
def wheel_cache(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep downloaded wheels between runs (pytest's cache dir), so reruns are offline."""
    cache = getattr(pytestconfig, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("lambda-wheels"))
    return tmp_path_factory.mktemp("lambda-wheels")


def _build(arch: str, output: Path, cache: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "build_lambda",
        "--arch",
        arch,
        "--output",
        str(output),
        "--cache",
        str(cache),
        *extra,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture(scope="module")
def x86_zip(
    django_db_setup: None,
    django_db_blocker: Any,
    wheel_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Built:
    """Build the x86_64 zip twice (the second time --offline) with an extra preset in the DB."""
    from django.db import transaction

    from imageadmin.presets import build_config

    _require_wheels(wheel_cache, pkg.Target("x86_64"))
    out = tmp_path_factory.mktemp("zip")
    with django_db_blocker.unblock(), transaction.atomic():
        Preset.objects.create(name="thumb", width=64, position=99)
        presets_json = build_config().to_json()
        _build("x86_64", out / "lambda.zip", wheel_cache)
        log = _build("x86_64", out / "again.zip", wheel_cache, "--offline")
        transaction.set_rollback(True)
    return Built(out / "lambda.zip", out / "again.zip", presets_json, log)


def _unpack(path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(path) as zf:
        zf.extractall(dest)
    return dest


RUN_HANDLER = textwrap.dedent(
    """
    import json, sys
    zip_dir, runtime_site, event_file, key = sys.argv[1:]
    sys.path.insert(0, zip_dir)
    sys.path.append(runtime_site)  # boto3, as the Lambda runtime provides it
    import PIL
    import resizer_lambda.handler as handler
    import zlib_ng
    import io
    from PIL import Image
    from resizer_lambda import vips_png
    png = io.BytesIO()
    Image.new("RGBA", (64, 48), (200, 30, 30, 128)).save(png, "PNG")
    decoded = vips_png.decode(png.getvalue(), Image.open(io.BytesIO(png.getvalue())))
    libvips = vips_png._library()
    event = json.load(open(event_file))
    event["queryStringParameters"] = {"key": key}
    event["multiValueQueryStringParameters"] = {"key": [key]}
    response = handler.handler(event, None)
    loaded = sorted({m.split(".")[0] for m in sys.modules} & {"django", "imageadmin"})
    print("RESULT " + json.dumps({
        "pil": PIL.__file__, "pil_version": PIL.__version__, "resizer": handler.__file__,
        "zlib_ng": zlib_ng.__file__,
        "libvips": libvips._name if libvips else None,
        "png": [decoded.mode, decoded.getpixel((5, 5))] if decoded else None,
        "loaded": loaded, "response": response,
    }))
    """
)


def test_zip_runs_the_handler_with_its_own_pillow(
    x86_zip: Built, tmp_path: Path, s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buf, "JPEG", progressive=True)
    original = "originals/2025/01/red-shoe-ab12.jpg"
    s3_client.put_object(Bucket=s3_bucket, Key=original, Body=buf.getvalue())
    zip_dir = _unpack(x86_zip.path, tmp_path / "task")  # like /var/task
    env = {
        "PATH": "/usr/bin:/bin",
        "BUCKET": s3_bucket,
        "URL": "https://cdn.example.com",
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }  # no PRESETS_*: the handler reads the bundled presets.json ("thumb" exists only there)
    bundled = contract.loads(x86_zip.presets_json)  # the key at thumb's current token
    thumb = bundled.get("thumb")
    assert thumb is not None
    key = f"thumb.{contract.output_token(thumb)}/{original}"
    proc = subprocess.run(
        # -I: no PYTHON* variables, no user site, no script dir; -S: not even the venv's
        # site-packages, so only the unpacked zip (and boto3's dir, appended) are importable.
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            RUN_HANDLER,
            str(zip_dir),
            sysconfig.get_paths()["purelib"],
            str(EVENT),
            key,
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["pil"].startswith(str(zip_dir) + os.sep)
    assert result["resizer"].startswith(str(zip_dir) + os.sep)
    assert result["zlib_ng"].startswith(str(zip_dir) + os.sep)
    assert result["libvips"].startswith(str(zip_dir / "pyvips_binary.libs") + os.sep)
    assert result["png"] == ["RGBA", [200, 30, 30, 128]]  # decoded by the zip's libvips
    assert pkg._version_tuple(result["pil_version"]) >= pkg.MIN_PILLOW
    assert result["loaded"] == []
    response = result["response"]
    assert response["statusCode"] == 301, response
    assert response["headers"]["Location"] == f"https://cdn.example.com/{key}"
    stored = s3_client.get_object(Bucket=s3_bucket, Key=key)
    assert stored["ContentType"] == "image/jpeg"
    assert stored["CacheControl"] == json.loads(x86_zip.presets_json)["cache_control"]
    variant = Image.open(io.BytesIO(stored["Body"].read()))
    assert variant.size == (64, 48)


def test_bundled_presets_are_the_database_presets(x86_zip: Built) -> None:
    with zipfile.ZipFile(x86_zip.path) as zf:
        bundled = zf.read(pkg.BUNDLED_PRESETS).decode()
    assert bundled == x86_zip.presets_json
    assert "thumb" in {p["name"] for p in json.loads(bundled)["presets"]}


def test_zip_holds_the_package_pillow_zlib_ng_and_libvips_only(x86_zip: Built) -> None:
    with zipfile.ZipFile(x86_zip.path) as zf:
        names = zf.namelist()
        infos = zf.infolist()
    tops = {n.split("/")[0] for n in names}
    dist_infos = {t for t in tops if t.endswith(".dist-info")}
    assert sorted(d.split("-")[0] for d in dist_infos) == ["pillow", "pyvips_binary", "zlib_ng"]
    assert tops - dist_infos == {
        "resizer_lambda",
        "PIL",
        "pillow.libs",
        "zlib_ng",
        "pyvips_binary.libs",
        "_libvips.abi3.so",  # pyvips-binary's cffi module: unused, cffi is left out
    }
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(part in ("tests", "test") for n in names for part in n.split("/")[:-1])
    assert not {"django", "imageadmin", "boto3", "botocore"} & tops
    source = {p.name for p in pkg.PACKAGE_DIR.glob("*.py")}
    packaged = {n.split("/", 1)[1] for n in names if n.startswith("resizer_lambda/")}
    assert packaged == source | {"presets.schema.json", "presets.json"}
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {pkg.FIXED_DATE}
    assert any(n.startswith("PIL/_imaging.") and n.endswith(".so") for n in names)


def test_rebuild_is_byte_identical_and_offline(x86_zip: Built) -> None:
    assert x86_zip.path.read_bytes() == x86_zip.rebuilt.read_bytes()
    assert "resolved from the cache (no network)" in x86_zip.rebuild_log
    assert not list(x86_zip.path.parent.glob(".*.tmp"))  # atomic write left nothing behind


def test_native_libraries_are_x86_64(x86_zip: Built) -> None:
    with zipfile.ZipFile(x86_zip.path) as zf:
        machines = {pkg.elf_machine(zf.read(n)) for n in zf.namelist() if ".so" in n}
    assert machines == {"x86_64"}


@pytest.mark.slow
@pytest.mark.django_db
def test_arm64_zip_has_aarch64_libraries(wheel_cache: Path, tmp_path: Path) -> None:
    _require_wheels(wheel_cache, pkg.Target("arm64"))
    log = _build("arm64", tmp_path / "arm.zip", wheel_cache)
    assert "manylinux_2_28_aarch64" in log
    with zipfile.ZipFile(tmp_path / "arm.zip") as zf:
        libs = [n for n in zf.namelist() if ".so" in n.rsplit("/", 1)[-1]]
        machines = {pkg.elf_machine(zf.read(n)) for n in libs}
    assert len(libs) > 5
    assert machines == {"aarch64"}


# --- failures, without the network ---------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_arch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'i386'"):
        _build("i386", tmp_path / "x.zip", tmp_path)


@pytest.mark.django_db
def test_offline_without_cached_wheels_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--offline forbids downloading"):
        _build("x86_64", tmp_path / "x.zip", tmp_path / "empty-cache", "--offline")
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.django_db
def test_pip_failure_becomes_a_command_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = [
        sys.executable,
        "-c",
        "import sys; print('ERROR: No matching distribution'); sys.exit(1)",
    ]
    monkeypatch.setattr(pkg, "pip_command", lambda: failing)
    with pytest.raises(CommandError, match=r"pip could not download(.|\n)*No matching"):
        _build("arm64", tmp_path / "x.zip", tmp_path / "cache")


@pytest.mark.django_db
def test_presets_the_resizer_would_refuse_stop_the_build(tmp_path: Path) -> None:
    Preset.objects.update(active=False)
    with pytest.raises(CommandError, match="not valid for the resizer"):
        _build("x86_64", tmp_path / "x.zip", tmp_path)


def test_old_pillow_is_refused_naming_the_platform_trap() -> None:
    old = Path("pillow-12.2.0-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl")
    with pytest.raises(pkg.BuildError, match=r"Pillow 12\.2\.0 .* needs >= 13\.0.*manylinux2014"):
        pkg.check_pillow([old], pkg.Target("x86_64"))
    new = Path("pillow-13.0.0-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl")
    assert pkg.check_pillow([new], pkg.Target("x86_64")) == "13.0.0"


def _elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + bytes(44)


def test_library_for_another_machine_is_refused() -> None:
    entries = [pkg.Entry("PIL/_imaging.cpython-312-x86_64-linux-gnu.so", _elf(62))]
    pkg.check_entries(entries, pkg.Target("x86_64"))
    with pytest.raises(pkg.BuildError, match="built for x86_64, not aarch64"):
        pkg.check_entries(entries, pkg.Target("arm64"))


@pytest.mark.parametrize(
    ("zipped", "unzipped", "message"),
    [
        (pkg.MAX_ZIPPED_BYTES + 1, 1, "MB zipped"),
        (1, pkg.MAX_UNZIPPED_BYTES + 1, "unzips to"),
    ],
)
def test_lambda_size_limits(zipped: int, unzipped: int, message: str) -> None:
    pkg.check_sizes(pkg.MAX_ZIPPED_BYTES, pkg.MAX_UNZIPPED_BYTES)
    with pytest.raises(pkg.BuildError, match=message):
        pkg.check_sizes(zipped, unzipped)


def test_write_zip_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "lambda.zip"
    pkg.write_zip([pkg.Entry("b.py", b"b"), pkg.Entry("a.py", b"a")], out)
    before = out.read_bytes()

    def broken() -> Any:
        yield pkg.Entry("c.py", b"c")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        pkg.write_zip(broken(), out)
    assert out.read_bytes() == before

    def over_limit(zipped: int) -> None:
        pkg.check_sizes(zipped + pkg.MAX_ZIPPED_BYTES, 0)

    with pytest.raises(pkg.BuildError, match="MB zipped"):
        pkg.write_zip([pkg.Entry("new.py", b"x")], out, check=over_limit)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lambda.zip"]
    assert zipfile.ZipFile(out).namelist() == ["a.py", "b.py"]


def test_wheel_files_land_at_the_root_without_tests_or_caches(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in (
            "demo/__init__.py",
            "demo/tests/test_x.py",
            "demo/__pycache__/x.pyc",
            "demo-1.0.data/purelib/extra.py",
            "demo-1.0.data/scripts/tool",
            "demo-1.0.dist-info/METADATA",
        ):
            zf.writestr(name, name)
    names = sorted(e.name for e in pkg.wheel_entries(wheel))
    assert names == ["demo-1.0.dist-info/METADATA", "demo/__init__.py", "extra.py"]


def test_boto3_is_left_to_the_runtime_unless_asked_for() -> None:
    assert [s.split(">")[0] for s in pkg.requirements()] == ["pillow", "zlib-ng", "pyvips-binary"]
    assert [s.split(">")[0] for s in pkg.requirements(with_boto3=True)] == [
        "pillow",
        "zlib-ng",
        "pyvips-binary",
        "boto3",
    ]
