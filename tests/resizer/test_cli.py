"""`python -m resizer_lambda render`: local files in, out/<preset>[.<fmt>]/<file> out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from resizer_lambda import cli
from tests.conftest import REPO_ROOT
from tests.resizer.conftest import image_bytes
from tests.resizer.images import scan_bomb

DEFAULT_WIDTHS = {"small": 150, "medium": 300, "large": 600, "xlarge": 1200}


@pytest.fixture
def photo_file(tmp_path: Path, photo: bytes) -> Path:
    path = tmp_path / "in" / "photo.jpg"
    path.parent.mkdir()
    path.write_bytes(photo)
    return path


def opened(path: Path) -> Image.Image:
    im = Image.open(path)
    im.load()
    return im


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_renders_every_default_preset(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["render", "--quiet", "--out", str(out), str(photo_file)]) == 0

    assert tree(out) == sorted(f"{name}/photo.jpg" for name in DEFAULT_WIDTHS)
    for name, width in DEFAULT_WIDTHS.items():
        im = opened(out / name / "photo.jpg")
        assert (im.format, im.size) == ("JPEG", (width, width // 2))
    assert "rendered 1 of 1 file(s) x 4 preset(s)" in capsys.readouterr().out


def test_preset_option_selects(photo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["render", "--preset", "small", "--preset", "large", "--preset", "small"]
    assert cli.main([*argv, "--out", str(out), str(photo_file)]) == 0
    assert tree(out) == ["large/photo.jpg", "small/photo.jpg"]


def test_format_option_follows_the_key_grammar(photo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["render", "--preset", "small", "--format", "webp", "--out", str(out)]
    assert cli.main([*argv, str(photo_file)]) == 0

    assert tree(out) == ["small.webp/photo.jpg"]
    im = opened(out / "small.webp" / "photo.jpg")
    assert (im.format, im.width) == ("WEBP", 150)


def test_presets_file(photo_file: Path, tmp_path: Path) -> None:
    presets = tmp_path / "presets.json"
    preset = {"name": "thumb", "width": 64, "height": 64, "fit": "cover", "format": "png"}
    presets.write_text(json.dumps({"schema_version": 1, "presets": [preset]}))
    out = tmp_path / "out"

    assert cli.main(["render", "--presets", str(presets), "--out", str(out), str(photo_file)]) == 0

    assert tree(out) == ["thumb/photo.jpg"]  # named by the key grammar, whatever the format
    im = opened(out / "thumb" / "photo.jpg")
    assert (im.format, im.size) == ("PNG", (64, 64))


def test_invalid_presets_file(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    presets = tmp_path / "presets.json"
    presets.write_text(json.dumps({"schema_version": 1, "presets": [{"name": "x", "width": -1}]}))
    out = tmp_path / "out"

    assert cli.main(["render", "--presets", str(presets), "--out", str(out), str(photo_file)]) == 2

    err = capsys.readouterr().err
    assert "presets[0].width" in err
    assert str(presets) in err
    assert "Traceback" not in err
    assert not out.exists()


def test_unknown_preset_is_a_clean_error(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["render", "--preset", "huge", "--out", str(out), str(photo_file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("render: unknown preset 'huge' (known: small, medium, large, xlarge)")
    assert not out.exists()


def test_unknown_format_is_refused_by_argparse(photo_file: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["render", "--format", "gif", "--out", str(tmp_path), str(photo_file)])
    assert info.value.code == 2


def test_bad_files_are_reported_and_good_ones_still_written(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = photo_file.with_name("broken.jpg")
    broken.write_bytes(photo_file.read_bytes()[:2000])
    text = photo_file.with_name("notes.png")
    text.write_text("not an image")
    missing = photo_file.with_name("missing.jpg")
    second = photo_file.with_name("second.png")
    second.write_bytes(image_bytes(400, 300, "PNG"))
    bomb = photo_file.with_name("bomb.jpg")
    bomb.write_bytes(scan_bomb(3000))
    out = tmp_path / "out"
    files = [broken, photo_file, text, missing, second, bomb]

    status = cli.main(
        ["render", "--quiet", "--preset", "small", "--out", str(out), *map(str, files)]
    )

    assert status == 1
    assert tree(out) == ["small/photo.jpg", "small/second.png"]
    assert opened(out / "small" / "second.png").size == (150, 112)
    captured = capsys.readouterr()
    assert f"render: {broken}: corrupt_image:" in captured.err
    assert f"render: {text}: unsupported_format:" in captured.err
    assert f"render: {missing}: cannot read:" in captured.err
    assert f"render: {bomb}: too_many_scans: the original JPEG has 3000 scans" in captured.err
    assert "Traceback" not in captured.err
    assert "rendered 2 of 6 file(s)" in captured.out


def test_unwritable_output_is_reported_without_leftovers(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "small").mkdir(parents=True)
    (out / "small" / "photo.jpg").mkdir()  # a directory where the output file should go

    assert cli.main(["render", "--preset", "small", "--out", str(out), str(photo_file)]) == 1

    assert f"render: {photo_file}: cannot write:" in capsys.readouterr().err
    assert not list(out.rglob("*.part"))


def test_two_inputs_with_one_name_are_refused(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "elsewhere" / "photo.jpg"
    other.parent.mkdir()
    other.write_bytes(photo_file.read_bytes())
    out = tmp_path / "out"

    assert cli.main(["render", "--out", str(out), str(photo_file), str(other)]) == 2
    assert "would both be written as photo.jpg" in capsys.readouterr().err
    assert not out.exists()


def test_module_entry_point_with_a_progress_bar(photo_file: Path, tmp_path: Path) -> None:
    files = [photo_file]
    for name in ("b.png", "c.webp"):
        path = photo_file.with_name(name)
        path.write_bytes(image_bytes(640, 480, name.rsplit(".", 1)[1].upper()))
        files.append(path)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    run = subprocess.run(
        [sys.executable, "-m", "resizer_lambda", "render", "--preset", "medium", "--out", str(out)]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert tree(out) == ["medium/b.png", "medium/c.webp", "medium/photo.jpg"]
    assert opened(out / "medium" / "c.webp").format == "WEBP"
    assert "3/3" in run.stderr  # tqdm's bar, on stderr so stdout stays clean
    assert run.stdout.strip() == f"rendered 3 of 3 file(s) x 1 preset(s) into {out}"
