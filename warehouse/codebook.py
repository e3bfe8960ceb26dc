"""The UCI clickstream codebook: numeric codes of country, category, colour, photo location
and photo type, decoded into readable values.

The decoded codebook ships with the package (``codebooks/uci_clickstream.json``) because a
user's copy of the data rarely includes the description file. :func:`parse_description`
rebuilds it from UCI's own ``data description.txt`` (Windows-1250 in the UCI zip, UTF-8 in
some copies), and a test proves the shipped file equals what that parser reads.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

CODEBOOK_PATH = Path(__file__).resolve().parent / "codebooks" / "uci_clickstream.json"

# Section headings of the description file → our variable names.
_SECTIONS = {
    "COUNTRY": "country",
    "PAGE 1 (MAIN CATEGORY)": "main_category",
    "COLOUR": "colour",
    "LOCATION": "location",
    "MODEL PHOTOGRAPHY": "model_photography",
}
_HEADING = re.compile(r"^\s*\d+\.\s+(?P<name>[A-Z0-9 ()]+?)\s*->")
_ENTRY = re.compile(r"^\s*(?P<code>\d+)-(?P<label>.+?)\s*$")


def decode_text(data: bytes) -> str:
    """Decode the description file: UTF-8 when it is, else Windows-1250 (the UCI original)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1250")


def parse_description(data: bytes) -> dict[str, dict[int, str]]:
    """Parse UCI's description text into ``{variable: {code: label}}``."""
    codebook: dict[str, dict[int, str]] = {}
    current: str | None = None
    for line in decode_text(data).splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = _SECTIONS.get(heading.group("name").strip())
            if current:
                codebook[current] = {}
            continue
        if line.startswith("===") or line.startswith("+++"):
            current = None
            continue
        entry = _ENTRY.match(line)
        if current and entry:
            codebook[current][int(entry.group("code"))] = entry.group("label").strip()
    return codebook


@cache
def load_codebook() -> dict[str, dict[int, str]]:
    """The shipped codebook."""
    raw = json.loads(CODEBOOK_PATH.read_text(encoding="utf-8"))
    return {
        var: {int(code): label for code, label in entries.items()} for var, entries in raw.items()
    }


def codebook_rows() -> list[tuple[str, int, str]]:
    """The codebook as (variable, code, label) rows for the adapter's join."""
    return [
        (variable, code, label)
        for variable, entries in load_codebook().items()
        for code, label in entries.items()
    ]
