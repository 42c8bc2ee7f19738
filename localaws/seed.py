"""What `make run` puts into a fresh system: demo accounts and a few real demo photos.

The photos are nature photographs from Debian's `mate-backgrounds` package (GPL-2+, see its
copyright file): `apt-get download` fetches the .deb (no root needed), the few members are
streamed out of `dpkg-deb --fsys-tarfile` and cached in the data folder, and each is uploaded
through `imageadmin.assets.upload`, so they are real Assets with their originals in the bucket.
They are added only while there are no assets at all, so deleting them sticks. Without apt or
network the system starts without them, saying why.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "mate-backgrounds"
MEMBERS = {
    "usr/share/backgrounds/mate/nature/LadyBird.jpg": "A ladybird on a green leaf",
    "usr/share/backgrounds/mate/nature/Dune.jpg": "A sand dune under a blue sky",
    "usr/share/backgrounds/mate/nature/YellowFlower.jpg": "A yellow flower",
    "usr/share/backgrounds/mate/nature/Storm.jpg": "Storm clouds over a field",
}
DOWNLOAD_TIMEOUT = 300


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: str


ADMIN = Account("admin", "admin", "superuser: presets, publishing, everything")
EDITOR = Account("editor", "editor", "Editors group: upload and manage images")


class PhotosUnavailable(Exception):
    """The demo photos cannot be had; the message says why."""


def ensure_accounts() -> list[Account]:
    """Create the demo accounts that do not exist yet (existing ones are left as they are)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    users = get_user_model()
    if not users.objects.filter(username=ADMIN.username).exists():
        users.objects.create_superuser(ADMIN.username, "admin@example.com", ADMIN.password)
    if not users.objects.filter(username=EDITOR.username).exists():
        editor = users.objects.create_user(
            EDITOR.username, "editor@example.com", EDITOR.password, is_staff=True
        )
        editor.groups.add(Group.objects.get(name="Editors"))
    return [ADMIN, EDITOR]


def _extract(deb: Path, wanted: dict[str, Path]) -> None:
    proc = subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    remaining = dict(wanted)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for info in tar:
                dest = remaining.pop(info.name.removeprefix("./"), None)
                source = tar.extractfile(info) if dest is not None and info.isfile() else None
                if dest is None or source is None:
                    continue
                part = dest.with_suffix(".part")
                with part.open("wb") as out:
                    shutil.copyfileobj(source, out)
                part.replace(dest)
                if not remaining:
                    break
    finally:
        proc.stdout.close()  # stopping early gives dpkg-deb a broken pipe: expected
        proc.kill()
        proc.wait()
    if remaining:
        raise PhotosUnavailable(f"{deb.name} lacks {', '.join(sorted(remaining))}")


def fetch_photos(cache: Path, log: Callable[[str], None] = print) -> list[Path]:
    """Return the demo photos, downloading and extracting them into `cache` once."""
    targets = {member: cache / Path(member).name for member in MEMBERS}
    if all(path.exists() for path in targets.values()):
        return list(targets.values())
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise PhotosUnavailable(f"{tool} is not installed (demo photos come from Debian)")
    cache.mkdir(parents=True, exist_ok=True)
    log(f"demo photos: apt-get download {PACKAGE} (once; cached in {cache})")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        try:
            proc = subprocess.run(
                ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", PACKAGE],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=DOWNLOAD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise PhotosUnavailable(f"apt-get download {PACKAGE} timed out") from err
        debs = sorted(Path(tmp).glob(f"{PACKAGE}_*.deb"))
        if proc.returncode != 0 or not debs:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise PhotosUnavailable(
                f"apt-get download {PACKAGE} failed: {last} (apt-get update may help)"
            )
        _extract(debs[0], {m: p for m, p in targets.items() if not p.exists()})
    return list(targets.values())


def add_demo_photos(cache: Path, log: Callable[[str], None] = print) -> int:
    """Upload the demo photos as the admin when there are no assets yet; return how many."""
    from django.contrib.auth import get_user_model

    from imageadmin import assets, aws
    from imageadmin.models import Asset

    if Asset.objects.exists():
        return 0
    try:
        photos = fetch_photos(cache, log)
    except PhotosUnavailable as err:
        log(f"demo photos: unavailable ({err}); starting without them")
        return 0
    user = get_user_model().objects.filter(username=ADMIN.username).first()
    added = 0
    for path in photos:
        member = next(m for m in MEMBERS if m.endswith("/" + path.name))
        try:
            with path.open("rb") as file:
                asset = assets.upload(file, user, name=path.name)
        except (assets.UploadRefused, aws.AwsError) as err:
            log(f"demo photos: {path.name} not added: {err}")
            continue
        asset.alt_text = MEMBERS[member]
        asset.save(update_fields=["alt_text"])
        added += 1
    return added
