"""Copy the CloudFront Function's source into the template: `make edge-function`.

resizer_lambda/edge/negotiate.js is the source of truth; resizer_lambda/template.yaml carries it
inline (CloudFormation has no file references) as the literal block (`|`) under the one
`FunctionCode:` key. YAML returns such a block byte for byte when the text is ASCII without tabs
or trailing spaces and ends in exactly one newline, which this script checks before writing.
With --check it writes nothing and exits 1 when the template is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resizer_lambda" / "edge" / "negotiate.js"
TEMPLATE = ROOT / "resizer_lambda" / "template.yaml"
KEY = re.compile(r"^( *)FunctionCode: \|$")


def check_source(code: str) -> None:
    """Raise ValueError if a YAML literal block would not give `code` back unchanged."""
    if not code.endswith("\n") or code.endswith("\n\n") or code.startswith((" ", "\n")):
        raise ValueError(f"{SOURCE.name} must start with text and end in exactly one newline")
    for number, line in enumerate(code.splitlines(), 1):
        if not line.isascii() or "\t" in line or line != line.rstrip():
            raise ValueError(f"{SOURCE.name}:{number}: ASCII only, no tabs or trailing spaces")
        if any(ord(ch) < 0x20 for ch in line):
            raise ValueError(f"{SOURCE.name}:{number}: control character")


def embed(template: str, code: str) -> str:
    """Return `template` with the block under `FunctionCode: |` replaced by `code`."""
    check_source(code)
    lines = template.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if KEY.match(line.rstrip("\n"))]
    if len(starts) != 1:
        raise ValueError(f"expected one 'FunctionCode: |' in {TEMPLATE.name}, found {len(starts)}")
    start = starts[0] + 1
    match = KEY.match(lines[starts[0]].rstrip("\n"))
    assert match is not None
    indent = " " * (len(match.group(1)) + 2)
    end = start
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(indent)):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1  # blank lines after the block separate it from the next key
    block = [indent + line if line.strip() else "\n" for line in code.splitlines(keepends=True)]
    return "".join(lines[:start] + block + lines[end:])


def main(argv: list[str]) -> int:
    code = SOURCE.read_text(encoding="utf-8")
    current = TEMPLATE.read_text(encoding="utf-8")
    wanted = embed(current, code)
    if wanted == current:
        return 0
    if "--check" in argv:
        print(f"{TEMPLATE.name} is out of date with {SOURCE.name}: run `make edge-function`")
        return 1
    TEMPLATE.write_text(wanted, encoding="utf-8")
    print(f"{TEMPLATE.name}: FunctionCode updated from {SOURCE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
