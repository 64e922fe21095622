"""The README's screenshots (``docs/*.png``), taken by the browser tests.

Each is made from a real page every time the test runs (kept in the browser artifacts
folder like any page's screenshot), checked (its size, at most a given number of bytes
once stored as a palette PNG), and written to ``docs/`` only when asked:
``UPDATE_README_SCREENSHOT=1 pytest tests/...`` (a browser's fonts and version change the
bytes, so a run does not rewrite the committed file)."""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections import Counter
from pathlib import Path

from tests.conftest import ROOT

UPDATE_ENV = "UPDATE_README_SCREENSHOT"
README = ROOT / "README.md"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def palette_png(data: bytes, colours: int = 256) -> bytes:
    """An RGB(A) 8-bit PNG as an indexed one of at most ``colours`` colours (the most frequent;
    each other colour drawn as its nearest): a screenshot of text, a third of the size."""
    width, height = png_size(data)
    depth, kind = data[24], data[25]
    assert depth == 8 and kind in (2, 6), (depth, kind)
    bpp = 3 if kind == 2 else 4
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind_ = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):  # undo the row's filter (PNG spec, section 9)
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            if kind_ == 1:
                line[x] = (line[x] + a) & 255
            elif kind_ == 2:
                line[x] = (line[x] + b) & 255
            elif kind_ == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif kind_ == 4:
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[i] for i in range(stride) if i % bpp < 3) if bpp == 4 else bytes(line))
        prev = line
    counts = Counter(row[i:i + 3] for row in rows for i in range(0, width * 3, 3))
    palette = [c for c, _ in counts.most_common(colours)]
    index = {c: i for i, c in enumerate(palette)}
    for colour in counts:
        if colour not in index:
            index[colour] = min(range(len(palette)), key=lambda i: sum(
                (p - q) ** 2 for p, q in zip(palette[i], colour, strict=True)))
    body = b"".join(b"\x00" + bytes(index[row[i:i + 3]] for i in range(0, width * 3, 3)) for row in rows)

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(
            ">I", zlib.crc32(tag + payload) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", b"".join(palette)) + chunk(b"IDAT", zlib.compress(body, 9))
            + chunk(b"IEND", b""))


def readme_section(heading: str) -> str:
    """The README's text under ``heading`` (a line such as ``## Outputs``), to the next heading
    of that level or above."""
    text = README.read_text("utf-8")
    level = heading.split(" ", 1)[0]
    body = text.split(f"\n{heading}\n", 1)[1]
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", body, re.M)]
    return body[:ends[0]] if ends else body


def keep_for_readme(shot: Path, target: Path, size: dict[str, int], max_bytes: int,
                    heading: str) -> None:
    """``shot`` (a screenshot of ``size``) as the README's ``target``: a palette PNG of at most
    ``max_bytes``, written with ``UPDATE_README_SCREENSHOT=1``; the committed file is one of
    the same size, and the README shows it, with alt text, under ``heading``."""
    small = palette_png(shot.read_bytes())
    assert png_size(small) == (size["width"], size["height"])
    assert len(small) <= max_bytes, len(small)
    if os.environ.get(UPDATE_ENV) == "1":
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(small)
    committed = target.read_bytes()
    assert png_size(committed) == png_size(small) and len(committed) <= max_bytes
    shown = re.findall(r"!\[([^\]]*)\]\(" + re.escape(target.relative_to(ROOT).as_posix()) + r"\)",
                       readme_section(heading))
    assert len(shown) == 1 and len(shown[0].split()) >= 5, shown  # alt text that says what it shows
