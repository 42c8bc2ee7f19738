"""The local edge's port of the CloudFront Function against the JavaScript it copies.

Both answer the shared table (tests/resizer/edge_accept_cases.json); then node runs the real
function on a few thousand generated Accept headers and URIs, and the port must answer each the
same, so a change to one side alone fails here.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from localaws import negotiate
from tests.resizer.edge_node import cases, needs_node, run_function

TABLE = cases()
GENERATED = 3000


@pytest.mark.parametrize("row", TABLE["accept"], ids=lambda row: row["name"])
def test_the_accept_table(row: dict[str, Any]) -> None:
    assert negotiate.choose(row["accept"]) == row["expect"]
    for uri in TABLE["uris"]:
        assert negotiate.rewrite(uri["uri"], row["accept"]) == uri[row["expect"]], uri["name"]


@pytest.mark.parametrize("row", TABLE["uris"], ids=lambda row: row["name"])
def test_the_uri_table(row: dict[str, Any]) -> None:
    assert negotiate.rewrite(row["uri"], "image/avif,image/webp,*/*") == row["avif"]
    assert negotiate.rewrite(row["uri"], "image/webp,*/*") == row["webp"]
    assert negotiate.rewrite(row["uri"], "*/*") == row[""]
    assert negotiate.rewrite(row["uri"], None) == row[""]


def test_an_accept_value_over_1024_characters_gets_the_own_format() -> None:
    longest = "image/avif," + " " * (1024 - len("image/avif,*/*")) + "*/*"
    assert negotiate.choose(longest) == "avif"
    assert negotiate.choose(longest + " ") == ""
    # JavaScript counts UTF-16 code units: a character outside the BMP is two.
    assert negotiate.choose("image/avif," + "\U0001f600" * 506 + ",*/*") == ""


RANGES = [
    "image/avif", "image/webp", "IMAGE/AVIF", "Image/WebP", "image/*", "*/*", "image/png",
    "image/apng", "image/svg+xml", "video/*", "image/avifx", "image/avif-sequence", "text/webp",
    "image/jxl", "image/heic", "", " ", "image/webp\u212a", "\u0130mage/avif",
]  # fmt: skip
PARAMS = [
    "", "", "", ";q=0", ";q=0.0", ";q=0.000", ";q=0.001", ";q=0.5", ";q=1", ";q=1.0", ";q=1.000",
    ";q=1.001", ";q=2", ";q=abc", ";q", ";q=", "; q=0.8", ";Q=0", " ; q = 0 ", ";\tq=0.9\t",
    ";level=1;q=0", ";q=0;q=1", ";q=.5", ";q=0.5000", ";profile=\"a,b\"",
]  # fmt: skip
HEADS = [
    "card.1a2b3c4d", "card.1a2b3c4d@2x", "small", "s", "", "x.webp", "card%2E", "caf\u00e9",
    "\U0001f600", "card.auto.auto", "AUTO", ".",
]  # fmt: skip
SUFFIXES = [".auto", ".auto", ".AUTO", "auto", ".aut", "", ".avif", "%2Eauto", ".auto "]
RESTS = [
    "/originals/2026/12/shoe-ab12cd.jpg", "/", "", "/originals/a%20b+c%2B.jpg%20",
    "/x.auto/y.jpg", "//a.jpg", "/caf\u00e9.jpg",
]  # fmt: skip


def generated(count: int, seed: int = 11) -> list[tuple[str, str | None]]:
    """Return `count` (uri, accept) pairs mixing the table's pieces with awkward ones."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str | None]] = []
    for _ in range(count):
        ranges = [rng.choice(RANGES) + rng.choice(PARAMS) for _ in range(rng.randint(0, 8))]
        accept: str | None = rng.choice([",", ", ", " ,\t"]).join(ranges)
        roll = rng.random()
        if roll < 0.05:
            accept = None
        elif roll < 0.1:
            accept = ("image/webp;q=0.5," * 70)[: rng.randint(1020, 1028)]
        uri = "/" + rng.choice(HEADS) + rng.choice(SUFFIXES) + rng.choice(RESTS)
        if rng.random() < 0.05:
            uri = uri.lstrip("/")
        pairs.append((uri, accept))
    return pairs


@needs_node
def test_the_port_answers_as_the_javascript_on_the_table_and_generated_requests() -> None:
    pairs = [(u["uri"], a["accept"]) for a in TABLE["accept"] for u in TABLE["uris"]]
    pairs += generated(GENERATED)
    expected = run_function(pairs)
    differ = [
        (uri, accept, js, negotiate.rewrite(uri, accept))
        for (uri, accept), js in zip(pairs, expected, strict=True)
        if negotiate.rewrite(uri, accept) != js
    ]
    assert differ == []
    # The generated requests do reach every outcome.
    outcomes = {
        js.split("/")[1].rpartition(".")[2]
        for (uri, _), js in zip(pairs, expected, strict=True)
        if uri != js
    }
    assert outcomes >= {"avif", "webp"}
