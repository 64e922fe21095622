"""The .docx archive: a ZIP of XML parts, opened and read safely.

Each part is read through limits (its declared size, its compression ratio, never more
bytes than it declares), parsed with the one safe parser (:mod:`audit.safexml`), never
with a DTD or entities. A corrupt, encrypted or non-Word archive is an
:class:`~audit.errors.InputError`, one line.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any

from lxml import etree

from audit import safexml
from audit.errors import InputError

MAX_PART_BYTES = 200 * 1024 * 1024  # a part larger than this (uncompressed) is refused
MAX_RATIO = 100  # … and so is one that compresses better than this (a ZIP bomb)
_RATIO_FROM = 1024 * 1024  # small parts may compress well: the ratio counts above 1 MB

_NS_MAIN = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
            "http://purl.oclc.org/ooxml/wordprocessingml/main")  # transitional, strict
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class Package:
    """The ZIP archive, each part read through size and ratio checks."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                NotImplementedError, RuntimeError) as exc:
            raise self.error(f"not a valid .docx: the ZIP archive is corrupt ({exc})") from None
        self.infos = {info.filename: info for info in infos}
        if "EncryptedPackage" in self.infos or any(i.flag_bits & 0x1 for i in infos):
            raise self.error("an encrypted Word file: save it as an unprotected .docx")

    def error(self, message: str) -> InputError:
        return InputError(message, file=self.path)

    def close(self) -> None:
        self.zip.close()

    def read(self, name: str) -> bytes | None:
        """The bytes of part ``name`` (None if absent), never more than the limits allow."""
        info = self.infos.get(name)
        if info is None:
            return None
        if info.file_size > MAX_PART_BYTES:
            raise self.error(f"{name} is {info.file_size // 2**20} MB uncompressed, over the "
                             f"{MAX_PART_BYTES // 2**20} MB a manuscript may hold: refused")
        if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise self.error(f"{name} expands {info.file_size // max(info.compress_size, 1)} "
                             f"times when uncompressed (a ZIP bomb?): refused")
        limit = min(MAX_PART_BYTES, max(info.file_size, _RATIO_FROM,
                                        MAX_RATIO * max(info.compress_size, 1)))
        chunks, size = [], 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise self.error(f"{name} holds more than its declared size: refused")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError,
                NotImplementedError, zlib.error) as exc:
            raise self.error(f"not a valid .docx: {name} cannot be read ({exc})") from None
        return b"".join(chunks)

    def xml(self, name: str) -> Any:
        """Part ``name`` parsed (None if absent); no DTD, no entities, a located error."""
        data = self.read(name)
        if data is None:
            return None
        if b"<!DOCTYPE" in data[:65536] or b"<!ENTITY" in data[:65536]:
            raise self.error(f"{name} declares a DTD or entities, which a Word file never "
                             "does: refused")
        try:
            root = etree.fromstring(data, safexml.parser())
        except etree.XMLSyntaxError as exc:
            raise self.error(f"{name} is not well-formed XML (line {exc.lineno}: {exc.msg})"
                             ) from None
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None:
            raise self.error(f"{name} declares a DTD, which a Word file never does: refused")
        return root

    def targets(self, rels: str, base: str) -> dict[str, str]:
        """Relationship type (its last word) -> part name, from the ``.rels`` part ``rels``."""
        root = self.xml(rels)
        out: dict[str, str] = {}
        if root is None:
            return out
        for rel in root.iter(f"{_RELS}Relationship"):
            target, kind = rel.get("Target") or "", (rel.get("Type") or "").rsplit("/", 1)[-1]
            if rel.get("TargetMode") == "External" or not target or kind in out:
                continue
            out[kind] = target.lstrip("/") if target.startswith("/") else base + target
        return out

    def main_document(self) -> tuple[Any, str, dict[str, str]]:
        """The main document part's root, its WordprocessingML namespace (``{…}``), and the
        names of the parts it relates to: ``styles``, ``footnotes``, ``endnotes`` (each
        present or not). Not a Word document: an :class:`InputError`."""
        main = self.targets("_rels/.rels", "").get("officeDocument", "word/document.xml")
        root = self.xml(main)
        if root is None:
            raise self.error(f"not a Word document (the archive has no {main})")
        ns = next((ns for ns in _NS_MAIN if root.tag == f"{{{ns}}}document"), None)
        if ns is None:
            raise self.error(f"not a Word document ({main} holds no w:document)")
        folder = main.rsplit("/", 1)[0] + "/" if "/" in main else ""
        parts = self.targets(f"{folder}_rels/{main.rsplit('/', 1)[-1]}.rels", folder)
        names = {kind: parts.get(kind, f"{folder}{kind}.xml")
                 for kind in ("styles", "footnotes", "endnotes")}
        return root, f"{{{ns}}}", names
