"""manage.py export_presets: the contract JSON, validated by the resizer and the JSON Schema."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from imageadmin.models import Preset
from imageadmin.presets import build_config
from resizer_lambda import presets as contract

pytestmark = pytest.mark.django_db

VALIDATOR = jsonschema.Draft202012Validator(json.loads(contract.SCHEMA_PATH.read_text()))


@pytest.fixture
def presets() -> list[Preset]:
    Preset.objects.all().delete()
    return [
        Preset.objects.create(name="small", width=150, position=0),
        Preset.objects.create(
            name="square",
            width=300,
            height=300,
            fit="cover",
            format="webp",
            quality=70,
            position=1,
        ),
        Preset.objects.create(
            name="padded",
            width=400,
            height=200,
            fit="contain",
            format="png",
            background="#00000000",
            upscale=True,
            position=2,
        ),
        Preset.objects.create(name="off", width=50, active=False),
    ]


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_presets", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_stdout_is_the_contract_with_every_default_written(presets: list[Preset]) -> None:
    text = export()
    doc = json.loads(text)
    VALIDATOR.validate(doc)
    config = contract.loads(text)
    assert config == build_config()
    assert doc == {
        "schema_version": 2,
        "cache_control": contract.DEFAULT_CACHE_CONTROL,
        "limits": {
            "max_source_pixels": 75_000_000,
            "max_source_bytes": 50 * 1024 * 1024,
            "max_decode_seconds": 10.0,
        },
        "presets": [
            {
                "name": "small",
                "width": 150,
                "height": None,
                "fit": "inside",
                "format": "original",
                "quality": 82,
                "upscale": False,
                "background": "#ffffff",
                "negotiate": False,
            },
            {
                "name": "square",
                "width": 300,
                "height": 300,
                "fit": "cover",
                "format": "webp",
                "quality": 70,
                "upscale": False,
                "background": "#ffffff",
                "negotiate": False,
            },
            {
                "name": "padded",
                "width": 400,
                "height": 200,
                "fit": "contain",
                "format": "png",
                "quality": 82,
                "upscale": True,
                "background": "#00000000",
                "negotiate": False,
            },
        ],
    }


def test_the_export_equals_the_database(presets: list[Preset]) -> None:
    config = contract.loads(export())
    active = Preset.objects.active()
    assert [p.name for p in config.presets] == [p.name for p in active]
    assert list(config.presets) == [p.to_contract() for p in active]


def test_settings_flow_into_the_contract(presets: list[Preset], settings: Any) -> None:
    settings.IMAGEADMIN_CACHE_CONTROL = "public, max-age=86400"
    settings.IMAGEADMIN_MAX_UPLOAD_BYTES = 10_000_000
    config = contract.loads(export())
    assert config.cache_control == "public, max-age=86400"
    assert config.limits == contract.Limits(max_pixels=75_000_000, max_bytes=10_000_000)


def test_output_file_is_written(presets: list[Preset], tmp_path: Path) -> None:
    target = tmp_path / "presets.json"
    assert export("--output", str(target)) == ""
    VALIDATOR.validate(json.loads(target.read_text()))
    assert contract.load_file(target) == build_config()
    assert [p.name for p in tmp_path.iterdir()] == ["presets.json"]  # no temporary file left
    assert target.stat().st_mode & 0o777 == 0o644


def test_invalid_presets_are_refused_and_leave_the_file_alone(
    presets: list[Preset], tmp_path: Path
) -> None:
    target = tmp_path / "presets.json"
    target.write_text("previous export\n")
    # A row saved around model validation: cover without a height.
    Preset.objects.filter(name="square").update(height=None)
    with pytest.raises(
        CommandError, match=r"presets\[1\]\.height: is required when fit is 'cover'"
    ):
        export("--output", str(target))
    assert target.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["presets.json"]


def test_no_active_preset_is_refused(presets: list[Preset]) -> None:
    Preset.objects.update(active=False)
    with pytest.raises(CommandError, match="presets: must be a list of 1 to 200 presets"):
        export()


def test_a_failed_write_leaves_no_half_file(
    presets: list[Preset], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "presets.json"
    target.write_text("previous export\n")

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", disk_full)
    with pytest.raises(CommandError, match="No space left on device"):
        export("--output", str(target))
    assert target.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["presets.json"]


def test_missing_directory_is_a_command_error(presets: list[Preset], tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a directory"):
        export("--output", str(tmp_path / "nope" / "presets.json"))
