"""What `make run` seeds: demo accounts, and demo photos out of a Debian package."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from imageadmin.models import Asset
from localaws import seed

pytestmark = pytest.mark.django_db


def jpeg(width: int, height: int, colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "JPEG")
    return buf.getvalue()


COLOURS = ("#aa3333", "#33aa33", "#3333aa", "#aaaa33")


@pytest.fixture
def deb(tmp_path: Path) -> Path:
    """Build a small `mate-backgrounds` .deb holding the members (dpkg-deb is Debian's)."""
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: mate-backgrounds\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: test <t@example.com>\nDescription: test\n"
    )
    for member, colour in zip(seed.MEMBERS, COLOURS, strict=True):
        path = root / member
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg(320, 200, colour))
    (root / "usr/share/doc").mkdir(parents=True)
    (root / "usr/share/doc/README").write_text("other files are skipped")
    out = tmp_path / "mate-backgrounds_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(out)], check=True, capture_output=True)
    return out


def test_accounts_are_created_once_with_their_roles() -> None:
    accounts = seed.ensure_accounts()
    assert [a.username for a in accounts] == ["admin", "editor"]
    users = get_user_model().objects
    admin, editor = users.get(username="admin"), users.get(username="editor")
    assert admin.is_superuser
    assert admin.check_password("admin")
    assert editor.is_staff
    assert not editor.is_superuser
    assert list(editor.groups.values_list("name", flat=True)) == ["Editors"]
    editor.set_password("changed")
    editor.save()
    seed.ensure_accounts()
    assert users.get(username="editor").check_password("changed")  # left as it was


def test_photos_are_downloaded_extracted_and_cached(
    deb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def apt_get(argv: list[str], cwd: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        shutil.copy(deb, Path(cwd) / deb.name)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(seed.subprocess, "run", apt_get)
    cache = tmp_path / "cache"
    photos = seed.fetch_photos(cache, log=lambda line: None)
    assert [p.name for p in photos] == ["LadyBird.jpg", "Dune.jpg", "YellowFlower.jpg", "Storm.jpg"]
    assert all(Image.open(p).size == (320, 200) for p in photos)
    assert calls[0][:2] == ["apt-get", "download"]
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in photos)  # no .deb
    seed.fetch_photos(cache, log=lambda line: None)
    assert len(calls) == 1  # cached


def test_a_failed_download_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def apt_get(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 100, "", "E: Unable to locate package\n")

    monkeypatch.setattr(seed.subprocess, "run", apt_get)
    with pytest.raises(seed.PhotosUnavailable, match="Unable to locate package"):
        seed.fetch_photos(tmp_path, log=lambda line: None)


def test_demo_photos_become_assets_on_a_fresh_system(tmp_path: Path) -> None:
    seed.ensure_accounts()
    for member, colour in zip(seed.MEMBERS, COLOURS, strict=True):
        (tmp_path / Path(member).name).write_bytes(jpeg(640, 400, colour))
    assert seed.add_demo_photos(tmp_path, log=lambda line: None) == 4
    assets = Asset.objects.order_by("pk")
    assert [a.original_name for a in assets] == [
        "LadyBird.jpg",
        "Dune.jpg",
        "YellowFlower.jpg",
        "Storm.jpg",
    ]
    assert assets[0].alt_text == "A ladybird on a green leaf"
    assert assets[0].uploaded_by is not None
    assert assets[0].uploaded_by.username == "admin"
    assert seed.add_demo_photos(tmp_path, log=lambda line: None) == 0  # only while empty


def test_without_apt_the_system_starts_without_photos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seed.shutil, "which", lambda name: None)
    said: list[str] = []
    assert seed.add_demo_photos(tmp_path / "empty", log=said.append) == 0
    assert said == [
        "demo photos: unavailable (apt-get is not installed (demo photos come from Debian)); "
        "starting without them"
    ]
