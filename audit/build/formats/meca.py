"""MECA (NISO RP-30-2020, Manuscript Exchange Common Approach): one ZIP that a journal's
submission system reads, ``manifest.xml`` listing what it holds: the JATS as the
``article-metadata``, the figures the JATS names (``article-supporting-file``, at the
names the JATS gives them), the PDF and the DOCX as the ``manuscript``. The manifest is
validated against the MECA manifest DTD 1.0 (``meca-1.0/`` beside this module).

Made from the outputs it holds (``needs``), after them, in the same build; a step of its
own in the manifest: ``python -m audit.build.formats.meca``.

Byte-reproducible: the members in a fixed order (the manifest, then each item as it is
listed), every one dated ``SOURCE_DATE_EPOCH``, made on "Unix" with the same permissions,
no directory entries, and stored, not deflated: deflated bytes depend on the zlib the
interpreter was built with (zlib-ng, which some systems ship as zlib, deflates otherwise),
and the PDF and DOCX in it are compressed already.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from audit import safexml
from audit.build.formats import Format, filename
from audit.build.run import FALLBACK_EPOCH, BuildError, Run, is_remote
from audit.errors import InputError
from audit.files import write_atomic

MANIFEST = "manifest.xml"
NAMESPACE = "https://manuscriptexchange.org/schema/manifest"
XLINK = "http://www.w3.org/1999/xlink"
# as the DTD names itself (its first comment)
DOCTYPE = ('<!DOCTYPE manifest PUBLIC "-//MECA//DTD Manifest v1.0//en" '
           '"https://meca.zip/manifest-1.0.dtd">')
DTD_FILE = Path(__file__).parent / "meca-1.0" / "manifest-1.0.dtd"

# item-type values, as the ``meca`` package (where the DTD comes from) names them and its
# validator knows them; the DTD leaves them free (CDATA)
ARTICLE_METADATA = "article-metadata"
ARTICLE_SUPPORTING_FILE = "article-supporting-file"
MANUSCRIPT = "manuscript"

# The JATS elements whose xlink:href names a file of the article (not a link to the web).
FILE_ELEMENTS = ("graphic", "inline-graphic", "media", "inline-media", "supplementary-material")

# Media types by extension: a fixed table, not the system's (mimetypes reads /etc/mime.types,
# which differs from machine to machine).
MEDIA_TYPES = {
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
    ".eps": "application/postscript",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".zip": "application/zip",
    ".mp4": "video/mp4",
}
OTHER_MEDIA_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Item:
    """One file of the package: its item-type, its name in the ZIP (as the manifest lists
    it), its media type, and the file it is copied from."""

    item_type: str
    href: str
    media_type: str
    source: Path


def write(run: Run, ast: Path) -> Path:
    out = run.work / FORMAT.filename
    jats, pdf, docx = (run.work / filename(name) for name in FORMAT.needs)
    resources = [run.config.folder, run.config.root]  # where the JATS's figures are looked up
    run.record("meca", ["python", "-m", "audit.build.formats.meca",
                        "--source-date-epoch", str(run.epoch),
                        "--resource-path", ":".join(run.rel(p) for p in resources),
                        run.rel(out), run.rel(jats), run.rel(pdf), run.rel(docx)])
    listed = package(out, jats, [pdf, docx], resources, run.epoch)
    figures = sum(item.item_type == ARTICLE_SUPPORTING_FILE for item in listed)
    run.note("meca", f"meca: the JATS, {figures} file(s) it names, the PDF and the DOCX; "
                     f"manifest.xml valid against {run.rel(DTD_FILE)}")
    return out


FORMAT = Format("meca", "manuscript-meca.zip", write, needs=("jats", "pdf", "docx"))


def package(out: Path, jats: Path, manuscripts: list[Path], resources: list[Path],
            epoch: int) -> list[Item]:
    """Write the MECA package ``out``: ``jats`` with the files it names (looked up in
    ``resources``, in order), and ``manuscripts``; returns its items, as listed."""
    listed = items(jats, manuscripts, resources)
    manifest = manifest_xml(listed)
    errors = manifest_errors(manifest)
    if errors:
        raise BuildError("meca: manifest.xml invalid against the MECA manifest DTD 1.0:\n  "
                         + "\n  ".join(errors[:20]))
    members = [(MANIFEST, manifest)] + [(item.href, item.source.read_bytes()) for item in listed]
    write_atomic(out, zip_bytes(members, epoch))
    return listed


def items(jats: Path, manuscripts: list[Path], resources: list[Path]) -> list[Item]:
    """What the package holds, in the manifest's order: the JATS, the files it names (each
    once, in the order it names them), then the manuscripts."""
    listed = [Item(ARTICLE_METADATA, jats.name, media_type(jats.name), jats)]
    for href, kind in jats_files(jats):
        if not is_member_name(href):
            raise BuildError(f"meca: the JATS names '{href}': a MECA package holds its files by "
                             "relative names inside it (no '..', no absolute path); keep the "
                             "figures in the manuscript's folder")
        source = next((base / href for base in resources if (base / href).is_file()), None)
        if source is None:
            raise BuildError(f"meca: '{href}', which the JATS names, is in none of "
                             f"{', '.join(map(str, resources))}")
        listed.append(Item(ARTICLE_SUPPORTING_FILE, href, kind or media_type(href), source))
    listed += [Item(MANUSCRIPT, path.name, media_type(path.name), path) for path in manuscripts]
    seen = {MANIFEST}
    for item in listed:
        if item.href in seen:
            raise BuildError(f"meca: two files would be '{item.href}' in the package")
        seen.add(item.href)
    return listed


def jats_files(jats: Path) -> list[tuple[str, str | None]]:
    """The local files the JATS names (figures, media, supplements): (href, the media type its
    ``mimetype``/``mime-subtype`` give, if both are there), each once, in document order."""
    try:
        root = safexml.parse(jats).getroot()
    except InputError as exc:
        raise BuildError(f"meca: {exc}") from None
    found: dict[str, str | None] = {}
    for el in root.iter(*FILE_ELEMENTS):
        href = el.get(f"{{{XLINK}}}href")
        if not href or is_remote(href) or href in found:
            continue
        kind, subtype = el.get("mimetype"), el.get("mime-subtype")
        found[href] = f"{kind}/{subtype}" if kind and subtype else None
    return list(found.items())


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(PurePosixPath(name).suffix.lower(), OTHER_MEDIA_TYPE)


def is_member_name(name: str) -> bool:
    """A relative name inside the package: no absolute path, no '..', no '.', no empty part."""
    if not name or "\\" in name or name.startswith("/") or ":" in name.split("/", 1)[0]:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def manifest_xml(listed: list[Item]) -> bytes:
    """``manifest.xml``: each item with its ``item-type`` and one ``instance`` (its
    ``media-type`` and ``xlink:href``)."""
    root = etree.Element(f"{{{NAMESPACE}}}manifest", nsmap={None: NAMESPACE, "xlink": XLINK})
    root.set("manifest-version", "1")
    for entry in listed:
        item = etree.SubElement(root, f"{{{NAMESPACE}}}item")
        item.set("item-type", entry.item_type)
        instance = etree.SubElement(item, f"{{{NAMESPACE}}}instance")
        instance.set("media-type", entry.media_type)
        instance.set(f"{{{XLINK}}}href", entry.href)
    etree.indent(root)
    text: bytes = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                                 doctype=DOCTYPE)
    return text + b"\n"


def load_dtd() -> Any:
    """The MECA manifest DTD shipped beside this module."""
    try:
        return etree.DTD(str(DTD_FILE))
    except (etree.DTDParseError, OSError) as exc:
        raise BuildError(f"meca: cannot read the MECA manifest DTD {DTD_FILE}: {exc}") from None


def manifest_errors(manifest: bytes) -> list[str]:
    """``manifest`` (the bytes of a manifest.xml) checked against the MECA manifest DTD."""
    try:
        doc = etree.fromstring(manifest, safexml.parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    dtd = load_dtd()
    if dtd.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in dtd.error_log]


def zip_bytes(members: list[tuple[str, bytes]], epoch: int) -> bytes:
    """A ZIP of ``members`` (name, bytes), in that order, the same bytes wherever it is made."""
    stamp = datetime.fromtimestamp(max(epoch, FALLBACK_EPOCH), UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, wherever it is made (Python says 0 on Windows)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            zf.writestr(info, data)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """``python -m audit.build.formats.meca [--source-date-epoch N] [--resource-path DIRS]
    OUT JATS MANUSCRIPT...``: the package, as the build makes it (paths relative to here)."""
    parser = argparse.ArgumentParser(prog="python -m audit.build.formats.meca")
    parser.add_argument("--source-date-epoch", type=int, default=FALLBACK_EPOCH,
                        help="the date of every member (default 1980-01-01)")
    parser.add_argument("--resource-path", default=".",
                        help="where the JATS's figures are looked up, ':'-separated (default .)")
    parser.add_argument("out", type=Path)
    parser.add_argument("jats", type=Path)
    parser.add_argument("manuscripts", type=Path, nargs="+")
    args = parser.parse_args(argv)
    resources = [Path(p) for p in args.resource_path.split(":") if p]
    try:
        package(args.out, args.jats, args.manuscripts, resources, args.source_date_epoch)
    except (BuildError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
