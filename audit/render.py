"""The build: manuscript -> one citeproc-processed AST -> HTML, PDF, JATS, DOCX.

pandoc options live in the defaults files under ``pandoc/``; this module only
sequences the steps, makes them reproducible (``SOURCE_DATE_EPOCH``), writes
``output/manifest.json`` and keeps the previous outputs intact when a step fails:
every output is built in ``output/.build`` (which keeps the intermediate AST and
typst source for replay) and moved into place only when all requested outputs
succeeded.

Run ``python -m audit.render [html|pdf|jats|docx ...]``.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":  # before the imports below: pandoc starts while they load
    from audit import early

    early.start(sys.argv[1:])

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from audit import early, pandoc
from audit.manuscript import (
    InputError,
    ast_elements,
    blank_code,
    duplicate_key,
    meta_value,
    occurrences,
    pandoc_input_error,
    read_text,
)
from audit.styles import Style, StyleError, resolve_style

OUTPUT_NAMES = early.OUTPUT_NAMES  # one table: the early start checks these files too
TARGETS = tuple(OUTPUT_NAMES)
AST_NAME = "manuscript.ast.json"  # in output/.build, kept for replaying the manifest
PNG_PPI = 220  # figures in DOCX: print resolution
FALLBACK_EPOCH = 315532800  # 1980-01-01, the earliest date a ZIP file can carry
_NOT_FOUND = re.compile(r"Citeproc: citation (\S+) not found")
_MISSING_FILE = re.compile(r"File (.+?) not found in resource path")


def _remote(target: str) -> bool:
    """An image target that is not a file: a URL or a data: URI."""
    return "://" in target or target.startswith("data:")


class BuildError(Exception):
    """A step failed; the message says which and why."""


@dataclass
class Config:
    """``[tool.manuscript-audit]`` in pyproject.toml, overridden by the environment."""

    root: Path
    manuscript: Path
    style: str = "skeletal-radiology"
    output: Path = Path("output")
    defaults: Path = Path("pandoc")
    jats_schema: Path | None = None
    csl_dirs: tuple[Path, ...] = ()

    @classmethod
    def load(cls, root: Path) -> Config:
        data: dict[str, Any] = {}
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            data = tomllib.loads(pyproject.read_text("utf-8")).get("tool", {}).get(
                "manuscript-audit", {})
        schema = os.environ.get("JATS_SCHEMA_DIR") or data.get("jats-schema")
        return cls(
            root=root,
            manuscript=root / data.get("manuscript", "manuscript/review.md"),
            style=os.environ.get("MANUSCRIPT_STYLE") or data.get("style", cls.style),
            output=root / data.get("output", "output"),
            defaults=root / data.get("defaults", "pandoc"),
            jats_schema=(root / schema) if schema else None,
            csl_dirs=tuple(root / d for d in data.get("csl-dirs", ["csl"])),
        )


def source_date_epoch(root: Path) -> int:
    """``SOURCE_DATE_EPOCH``, else the last commit's time: never the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value:
        try:
            return int(value)
        except ValueError:
            raise BuildError(f"SOURCE_DATE_EPOCH is not an integer: {value!r}") from None
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root,
                             capture_output=True, text=True, check=True)
        return int(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return FALLBACK_EPOCH


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Build:
    """One run of the pipeline."""

    config: Config
    style: Style
    epoch: int
    work: Path
    steps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    dtd: Any = None  # the JATS DTD, loaded by the jats thread while pandoc writes the AST
    waiting: dict[str, pandoc.Running] = field(default_factory=dict)  # writers started early
    writers: list[pandoc.Running] = field(default_factory=list)  # every output's pandoc started

    def note(self, target: str, text: str) -> None:
        self.notes.setdefault(target, []).append(text)

    def rel(self, path: Path, start: Path | None = None) -> str:
        """``path`` relative to ``start`` (default: the project root), for replayable commands."""
        return os.path.relpath(path.resolve(), (start or self.config.root).resolve())

    def record(self, target: str, argv: list[str], cwd: Path | None = None) -> None:
        self.steps.setdefault(target, []).append(
            {"cwd": self.rel(cwd or self.config.root), "argv": argv})

    def env(self) -> dict[str, str]:
        return {**os.environ, "SOURCE_DATE_EPOCH": str(self.epoch)}

    def pandoc(self, target: str, defaults: str, src: Path, out: Path,
               extra: list[str] | None = None, cwd: Path | None = None,
               started: Callable[[], None] | None = None) -> Step:
        """Start (or adopt, or feed) the pandoc step writing ``out`` from ``src``.

        ``started`` is called once pandoc's process exists (so that other work can begin
        beside it without delaying its start).
        """
        cwd = cwd or self.config.root
        args = [*self.pandoc_options(defaults, out, extra, cwd), self.rel(src, cwd)]
        waiting = self.waiting.pop(target, None)
        process: pandoc.Running | pandoc.Adopted
        adopted = early.take([pandoc.pandoc_path(), *args], cwd, self.epoch) if target == "ast" else None
        if adopted is not None:  # the command line started this same AST step already
            process = pandoc.Adopted(adopted, out)
        elif waiting is not None and waiting.args == args[:-1] and waiting.cwd == cwd:
            waiting.feed(src)  # started while the AST was written
            process = waiting
        else:
            if waiting is not None:
                waiting.stop()
            process = pandoc.Running(args, cwd=cwd, env=self.env(), output=out,
                                     log=self.work / f"{target}.pandoc.log")
            if target != "ast":
                self.writers.append(process)
        if started is not None:
            started()
        self.record(target, ["pandoc", *args], cwd)
        return Step(self, target, process, src, out)

    def finish(self, step: Step) -> None:
        """Wait for a pandoc step to end: its failure as a :class:`BuildError`, its warnings."""
        target, src = step.target, step.src
        try:
            result = step.process.result(source=self.rel(src))
        except pandoc.PandocError as exc:
            if target == "ast" and "YAML" in exc.message:  # the manuscript's front matter
                error = pandoc_input_error(self.rel(src), read_text(src), exc)
                raise BuildError(f"ast: {error}") from None
            missing = _MISSING_FILE.search(exc.message)
            if target == "ast" and missing:  # e.g. the bibliography the front matter names
                name = missing.group(1)
                rows = read_text(src).split("\n")
                line = next((n for n, row in enumerate(rows, 1) if name in row), "?")
                raise BuildError(f"ast: {self.rel(src)}:{line}: file '{name}' not found "
                                 "(looked in the manuscript's folder and the project root)") from None
            raise BuildError(f"{target}: pandoc failed: {exc.message}") from None
        if target == "ast":
            duplicate = duplicate_key(self.rel(src), read_text(src), result.warnings)
            if duplicate is not None:
                raise BuildError(f"ast: {duplicate}")
        fetch = [w for w in result.warnings if "Could not fetch resource" in w]
        if fetch:
            raise BuildError(f"{target}: pandoc could not fetch: {'; '.join(fetch)}")
        self.warnings[target] = result.warnings
        for warning in result.warnings:
            if "Citeproc: citation" not in warning:  # undefined keys are reported with lines
                self.note(target, f"{target}: pandoc: {warning}")

    def stop_writers(self) -> None:
        """Stop every output's pandoc still running (the AST failed its checks after the
        writers were fed): each thread then sees its pandoc fail, and ends."""
        for process in self.writers:
            process.kill()

    def pandoc_options(self, defaults: str, out: Path, extra: list[str] | None,
                       cwd: Path) -> list[str]:
        """A pandoc step's command line without its input file (relative to ``cwd``)."""
        return ["--defaults", self.rel(self.config.defaults / defaults, cwd), *(extra or []),
                "--output", self.rel(out, cwd)]

    # --- the steps -------------------------------------------------------
    def writer(self, target: str) -> tuple[str, Path, list[str], Path]:
        """An output's pandoc step from the AST: defaults file, output, extra options, folder."""
        if target == "pdf":
            # Run from the work folder so that extracted images sit beside the .typ file
            # (typst resolves image paths relative to the source file).
            resources = self.rel(self.config.manuscript.parent, self.work)
            return ("typst.yaml", self.work / "manuscript.typ",
                    ["--resource-path", resources, "--extract-media", "media"], self.work)
        return f"{target}.yaml", self.work / OUTPUT_NAMES[target], [], self.config.root

    def output(self, target: str, gate: _Gate) -> Path | None:
        """One output, in its own thread: prepare while the AST is written, then build from it.

        Preparing overlaps the AST step, which runs in pandoc's own process: the
        output's pandoc starts and waits for its input (:class:`audit.pandoc.Running`),
        typst is imported, the JATS DTD loaded. ``gate`` opens with the AST as soon as
        pandoc has written it (when the checks that follow fail, :meth:`stop_writers`
        ends this output's pandoc), or with ``None`` when the AST step failed.
        """
        defaults, out, extra, cwd = self.writer(target)
        self.waiting[target] = writer = pandoc.Running(
            self.pandoc_options(defaults, out, extra, cwd), cwd=cwd, env=self.env(), output=out,
            log=self.work / f"{target}.pandoc.log", stdin=True)
        self.writers.append(writer)
        try:
            if target == "pdf" or (target == "docx" and self.may_show_svg()):
                import typst  # noqa: F401  (its first import loads the compiler library)
            if target == "docx":
                import zipfile  # noqa: F401  (for check_zip_dates: 5-10 ms, paid here)
            if target == "jats":
                self.dtd = self.load_dtd()
            ast = gate.wait()
            if ast is None:
                return None
            built: Path = getattr(self, target)(ast)
            return built
        finally:
            waiting = self.waiting.pop(target, None)
            if waiting is not None:  # not used: the step failed before it
                waiting.stop()

    def may_show_svg(self) -> bool:
        """Does the manuscript name an SVG file (which DOCX needs typst to turn into a PNG)?
        A guess, to load typst early only when it will most likely be needed."""
        try:
            return ".svg" in read_text(self.config.manuscript).lower()
        except InputError:
            return False

    def ast(self, started: Callable[[], None] | None = None) -> Step:
        date = datetime.fromtimestamp(self.epoch, UTC).strftime("%Y-%m-%d")
        return self.pandoc("ast", "ast.yaml", self.config.manuscript, self.work / AST_NAME,
                           ["--csl", self.rel(self.style.path), "--metadata", f"date={date}"],
                           started=started)

    def check_citations(self, raw: str) -> int:
        """Fail when citeproc found a cited key missing from the bibliography: key, file, line.

        Uses the AST step's own citeproc warnings, so the manuscript is parsed once;
        ``raw`` is the AST's JSON text.
        """
        missing = list(dict.fromkeys(
            m.group(1) for w in self.warnings.get("ast", []) if (m := _NOT_FOUND.search(w))))
        if not missing:
            return raw.count('"citationId":')
        doc = json.loads(raw)
        text = read_text(self.config.manuscript)
        blanked = blank_code(text)
        found = occurrences(blanked)
        name = self.rel(self.config.manuscript)
        bibs = meta_value(doc.get("meta", {}).get("bibliography")) or "none named"
        bibs = ", ".join(bibs) if isinstance(bibs, list) else str(bibs)
        lines = []
        for key in missing:
            for offset in found.get(key, [None]):  # type: ignore[list-item]
                line = blanked.count("\n", 0, offset) + 1 if offset is not None else "?"
                lines.append(f"{name}:{line}: citation key '{key}' is not in the bibliography "
                             f"({bibs})")
        raise BuildError("undefined citation(s):\n  " + "\n  ".join(lines))

    def local_image(self, target: str) -> Path | None:
        """The file an image target names, looked up as pandoc's resource path does."""
        if _remote(target):
            return None
        return next((base / target for base in (self.config.manuscript.parent, self.config.root)
                     if (base / target).is_file()), None)

    def check_images(self, raw: str) -> None:
        """Every local image the manuscript shows must exist (pandoc would only warn)."""
        missing = []
        for element, _, _ in ast_elements(raw, "Image"):
            target = element["c"][2][0]
            if not _remote(target) and self.local_image(target) is None:
                missing.append(target)
        if missing:
            text = read_text(self.config.manuscript)
            where = []
            for target in missing:
                line = next((n for n, row in enumerate(text.split("\n"), 1) if target in row), None)
                where.append(f"{self.rel(self.config.manuscript)}:{line or '?'}: image '{target}' "
                             "not found")
            raise BuildError("ast: missing image(s):\n  " + "\n  ".join(where))

    def html(self, ast: Path) -> Path:
        defaults, out, extra, cwd = self.writer("html")
        self.finish(self.pandoc("html", defaults, ast, out, extra, cwd))
        return out

    def jats(self, ast: Path) -> Path:
        defaults, out, extra, cwd = self.writer("jats")

        def tidy_and_validate() -> tuple[int, list[str]]:
            tree, removed = tidy_jats(out)
            return removed, dtd_errors(tree, self.dtd) if self.dtd is not None else []

        removed, errors = self.pandoc("jats", defaults, ast, out, extra, cwd).then(tidy_and_validate)
        self.record("jats", ["python", "-m", "audit.render", "--tidy-jats", self.rel(out)])
        if removed:
            self.note("jats", f"jats: removed {removed} empty element(s) pandoc wrote")
        if self.dtd is not None:
            if errors:
                raise BuildError("jats: invalid against the JATS 1.3 Journal Publishing DTD:\n  "
                                 + "\n  ".join(errors[:20]))
            self.note("jats", f"jats: valid against {self.rel(self.dtd_path())}")
        return out

    def pdf(self, ast: Path) -> Path:
        defaults, typ, extra, cwd = self.writer("pdf")
        out = self.work / OUTPUT_NAMES["pdf"]

        def compile_pdf() -> None:
            import typst

            try:
                typst.compile(str(typ), output=str(out), root=str(self.work), timestamp=self.epoch)
            except Exception as exc:  # the binding raises plain RuntimeError/TypstError
                raise BuildError(f"pdf: typst failed: {exc}") from None

        self.pandoc("pdf", defaults, ast, typ, extra, cwd).then(compile_pdf)
        self.record("pdf", ["typst", "compile", "--root", ".", "--creation-timestamp",
                            str(self.epoch), typ.name, out.name], self.work)
        return out

    def docx(self, ast: Path) -> Path:
        defaults, out, extra, cwd = self.writer("docx")
        self.pandoc("docx", defaults, self.png_figures(ast), out, extra, cwd).then(
            lambda: check_zip_dates(out, self.epoch))
        return out

    def svg_figures(self, raw: str) -> Iterator[tuple[dict[str, Any], int, int, Path]]:
        """The AST's local SVG images: (element, where it begins and ends in ``raw``, file)."""
        for element, begin, end in ast_elements(raw, "Image"):
            target = element["c"][2][0]
            source = self.local_image(target)
            if source is not None and target.lower().endswith(".svg"):
                yield element, begin, end, source

    def png_figures(self, ast: Path) -> Path:
        """An AST whose SVG figures are PNGs rendered by typst, for Word.

        pandoc's DOCX writer needs ``rsvg-convert`` (a system package) for the PNG that
        Word versions before 2016 show; typst renders the same SVG with no system package.
        Recorded as two kinds of step: ``--png-figures`` (a typst page per figure and the
        AST pointing at the PNGs), then one ``typst compile`` per figure.
        """
        out, pages = self.figure_pages(ast, ast.parent / "manuscript.docx.ast.json")
        for page, png in pages:
            import typst

            try:
                typst.compile(str(page), output=str(png), root=str(self.config.root),
                              format="png", ppi=PNG_PPI)
            except Exception as exc:  # the binding raises plain RuntimeError/TypstError
                raise BuildError(f"docx: typst could not render {self.rel(page)}: {exc}") from None
            self.record("docx", ["typst", "compile", "--root", ".", "--format", "png",
                                 "--ppi", str(PNG_PPI), self.rel(page), self.rel(png)])
        return out

    def figure_pages(self, ast: Path, out: Path) -> tuple[Path, list[tuple[Path, Path]]]:
        """For each SVG figure, a typst page that shows it; ``out``: the AST pointing at the PNGs.

        Returns the AST to use (``ast`` itself when it has no SVG figure) and the
        (page, PNG) pairs to render.
        """
        raw = ast.read_text("utf-8")
        pieces: list[str] = []
        pages: list[tuple[Path, Path]] = []
        last = 0
        for element, begin, end, source in self.svg_figures(raw):
            png = self.work / "docx-media" / (element["c"][2][0] + ".png")
            page = png.with_suffix(".typ")
            page.parent.mkdir(parents=True, exist_ok=True)
            where = "/" + os.path.relpath(source, self.config.root).replace(os.sep, "/")
            page.write_text('#set page(width: auto, height: auto, margin: 0pt)\n'
                            f'#image("{where}")\n', "utf-8")
            pages.append((page, png))
            element["c"][2][0] = self.rel(png)
            pieces += [raw[last:begin],
                       json.dumps(element, ensure_ascii=False, separators=(",", ":"))]
            last = end
        if not pieces:
            return ast, []
        out.write_text("".join(pieces) + raw[last:], "utf-8")
        self.record("docx", ["python", "-m", "audit.render", "--png-figures", self.rel(ast),
                             self.rel(out)])
        return out, pages

    def dtd_path(self) -> Path:
        return (self.config.jats_schema or Path()) / "dtd" / "JATS-journalpublishing1-3-mathml3.dtd"

    def load_dtd(self) -> Any:
        """The configured JATS DTD, or ``None`` (with a note saying why nothing is validated)."""
        if self.config.jats_schema is None:
            self.note("jats", "jats: NOT validated: no schema configured "
                              "(set [tool.manuscript-audit] jats-schema or JATS_SCHEMA_DIR)")
            return None
        dtd = self.dtd_path()
        if not dtd.is_file():
            self.note("jats", f"jats: NOT validated: schema not found at {dtd}")
            return None
        from lxml import etree

        try:
            st = dtd.stat()
            return parsed_dtd(str(dtd), st.st_size, st.st_mtime_ns)
        except etree.DTDParseError as exc:
            self.note("jats", f"jats: NOT validated: {dtd} could not be read ({exc})")
            return None


# pandoc writes JATS 1.2's Journal Publishing DOCTYPE. The build validates against 1.3 with
# MathML 3 (which accepts every 1.2 document: the validation checks it for each build), so
# the tidy step declares what the file is checked against.
PANDOC_JATS_PUBLIC_ID = "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.2 20190208//EN"
JATS_DOCTYPE = ('<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD '
                'with MathML3 v1.3 20210610//EN" "JATS-journalpublishing1-3-mathml3.dtd">')


def tidy_jats(path: Path) -> tuple[Any, int]:
    """Remove the empty elements pandoc writes (``<lpage></lpage>``, ``<issn></issn>``…),
    tag group authors as ``<collab>``, and declare JATS 1.3 where pandoc declared 1.2
    (DOCTYPE and ``dtd-version``).

    pandoc writes a reference's CSL ``literal`` name (CSL's form for institutions,
    committees and consortia: "American Cancer Society") as ``<string-name>``, which
    JATS means for a person's name not broken into parts; JATS (and JATS4R) tag a
    group author as ``<collab>``. Person names always come as ``<name>``. The article's
    own authors marked ``collective: true`` arrive wrapped by the JATS step's filter
    (``pandoc/filters/group-authors.lua``) in ``<named-content content-type="collab">``.

    Returns the tidied tree (as written) and how many elements were removed.
    Refuses documents with an internal DTD subset (pandoc never writes one):
    rewriting such a file could drop entity declarations it relies on.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.parse(str(path), parser)
    except (etree.XMLSyntaxError, OSError) as exc:
        line = getattr(exc, "lineno", None)
        raise BuildError(f"jats: {path}:{line or '?'}: {getattr(exc, 'msg', exc)}") from None
    subset = tree.docinfo.internalDTD
    if subset is not None and (list(subset.entities()) or list(subset.iterelements())):
        raise BuildError(f"jats: {path}: has an internal DTD subset (entity declarations); refused")
    removed = 0
    # empty leaves; removing them can empty their parents: repeat
    while leaves := [el for el in tree.getroot().iterdescendants(etree.Element) if _empty_leaf(el)]:
        for el in leaves:
            parent = el.getparent()
            if el.tail and el.tail.strip():
                prev = el.getprevious()
                if prev is not None:
                    prev.tail = (prev.tail or "") + el.tail
                else:
                    parent.text = (parent.text or "") + el.tail
            parent.remove(el)
            removed += 1
    for el in tree.getroot().iterfind(".//ref//person-group/string-name"):
        if not any(isinstance(child.tag, str) for child in el):  # text only, as pandoc writes it
            el.tag = "collab"
    for el in tree.getroot().iterfind(".//contrib/string-name"):
        _collab_from_marker(el)
    doctype = tree.docinfo.doctype
    if tree.docinfo.public_id == PANDOC_JATS_PUBLIC_ID:
        doctype = JATS_DOCTYPE
        if tree.getroot().get("dtd-version") == "1.2":
            tree.getroot().set("dtd-version", "1.3")
    tree.write(str(path), xml_declaration=True, encoding="utf-8", doctype=doctype)
    return tree, removed


COLLAB_MARKER = "collab"  # the content-type pandoc/filters/group-authors.lua gives a group's name


def _collab_from_marker(name: Any) -> None:
    """``<string-name><named-content content-type="collab">X</named-content></string-name>``
    (and nothing else in it) becomes ``<collab>X</collab>``, X's markup kept."""
    kids = list(name)
    if (len(kids) != 1 or kids[0].tag != "named-content"
            or kids[0].get("content-type") != COLLAB_MARKER
            or (name.text or "").strip() or (kids[0].tail or "").strip()):
        return
    marker = kids[0]
    name.tag, name.text = "collab", marker.text
    for child in list(marker):
        name.append(child)
    name.remove(marker)
    # pandoc wrapped the name's line inside the span: a name reads as one line
    for el in name.iter():
        if not isinstance(el.tag, str):  # a comment or processing instruction: as it was
            continue
        el.text = re.sub(r"\s+", " ", el.text) if el.text else el.text
        if el is not name and el.tail:
            el.tail = re.sub(r"\s+", " ", el.tail)
    name.text = (name.text or "").lstrip() or None
    last = name[-1] if len(name) else None
    if last is None:
        name.text = (name.text or "").rstrip() or None
    elif last.tail:
        last.tail = last.tail.rstrip() or None


def _empty_leaf(el: Any) -> bool:
    """No attributes, no child elements, no text but XML whitespace: XPath's
    ``*[not(*) and not(@*) and not(normalize-space())]``, tested in this order because
    an XPath engine walking every element is twice as slow on a 5 MB JATS file."""
    if el.attrib:
        return False
    if len(el) == 0:  # no children of any kind: the text is all there is
        return not (el.text and el.text.strip(" \t\r\n"))
    if any(isinstance(child.tag, str) for child in el):
        return False
    return not el.xpath("normalize-space()")  # text split by comments or processing instructions


@functools.lru_cache(maxsize=4)
def parsed_dtd(path: str, size: int, mtime_ns: int) -> Any:
    """The DTD at ``path`` (as it was at that size and time), parsed once per process.

    Parsing the JATS DTD takes 20-30 ms; so does freeing it, which a build that kept it
    only for itself would pay on its way out. Kept, it costs neither more than once.
    """
    from lxml import etree

    return etree.DTD(path)


def dtd_errors(tree: Any, dtd: Any) -> list[str]:
    """DTD validation (which, unlike the XSD, reports ``rid``s that point nowhere)."""
    if dtd.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in dtd.error_log]


def validate_jats(path: Path, dtd_path: Path) -> list[str]:
    """Validate the file at ``path`` against the DTD at ``dtd_path``; the errors, if any."""
    from lxml import etree

    dtd = etree.DTD(str(dtd_path))
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    try:
        doc = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    return dtd_errors(doc, dtd)


def check_zip_dates(path: Path, epoch: int) -> None:
    """DOCX is a ZIP: every member must carry the SOURCE_DATE_EPOCH date, not the clock."""
    import zipfile

    stamp = datetime.fromtimestamp(max(epoch, FALLBACK_EPOCH), UTC).timetuple()[:6]
    with zipfile.ZipFile(path) as zf:
        if all(info.date_time == stamp for info in zf.infolist()):
            return
        members = [(info, zf.read(info)) for info in zf.infolist()]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)
    tmp.replace(path)


def _typst_folders() -> list[Path]:
    """Where the typst package is installed, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("typst")
    return [Path(f) for f in spec.submodule_search_locations or []] if spec else []


def tool_identities() -> list[str]:
    """pandoc and the typst compiler library, identified without starting or importing them."""
    libraries = sorted(p for folder in _typst_folders() for p in folder.glob("_typst*"))
    return [pandoc.pandoc_identity(), *map(pandoc.file_identity, libraries)]


def fingerprint(config: Config, style: Style, epoch: int) -> str:
    """A hash of everything an output depends on: sources, defaults, style, tools, date.

    Outputs whose fingerprint and bytes match the manifest are not rebuilt.
    """
    from audit import __version__

    digest = hashlib.sha256()
    files = {style.path, style.declared_path}
    for folder in (config.manuscript.parent, config.defaults):
        files.update(p for p in folder.rglob("*") if p.is_file())
    for path in sorted(files):
        digest.update(os.path.relpath(path, config.root).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for part in (*tool_identities(), __version__, str(epoch), str(config.jats_schema)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def up_to_date(config: Config, targets: tuple[str, ...], fp: str) -> bool:
    outputs = _read_manifest(config.output / "manifest.json").get("outputs", {})
    for target in targets:
        entry = outputs.get(target)
        path = config.output / OUTPUT_NAMES[target]
        if (not entry or entry.get("fingerprint") != fp or not path.is_file()
                or sha256(path) != entry.get("sha256")):
            return False
    return True


T = TypeVar("T")


@dataclass
class Step:
    """A pandoc step under way. Its output can be read once :meth:`written` returns,
    while pandoc still exits; :meth:`Build.finish` waits for the exit and reports."""

    build: Build
    target: str
    process: pandoc.Running | pandoc.Adopted
    src: Path
    out: Path

    def written(self) -> bool:
        """Wait until the output is written: True if pandoc may still be exiting."""
        return self.process.written()

    def then(self, work: Callable[[], T]) -> T:
        """``work()`` on the written output while pandoc exits; then the step's end.

        When pandoc failed, its own message is reported, not what ``work`` made of
        a missing or partial output.
        """
        if not self.written():  # pandoc has ended: whether it failed comes first
            self.build.finish(self)
            return work()
        try:
            value = work()
        except BaseException:
            self.build.finish(self)
            raise
        self.build.finish(self)
        return value


class _Gate:
    """A value handed from one thread to others once it is ready."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._value: Path | None = None

    def open(self, value: Path | None) -> None:
        self._value = value
        self._ready.set()

    def wait(self) -> Path | None:
        self._ready.wait()
        return self._value


class _Job(threading.Thread):
    """``fn(*args)`` in a thread; :meth:`result` joins it and re-raises what it raised."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        super().__init__(daemon=True)
        self._call = (fn, args)
        self._value: Any = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        fn, args = self._call
        try:
            self._value = fn(*args)
        except BaseException as exc:  # handed to the thread that asks for the result
            self._error = exc

    def result(self) -> Any:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def typst_version() -> str:
    """The typst package's version, from its installed metadata when that is unambiguous:
    importing it loads an 84 MB compiler library, which HTML, JATS and DOCX do not need."""
    found = [d for folder in _typst_folders() for d in folder.parent.glob("typst-*.dist-info")]
    if len(found) == 1:
        return found[0].name.removeprefix("typst-").removesuffix(".dist-info")
    import typst

    return str(getattr(typst, "__version__", "unknown"))


def _versions() -> dict[str, str]:
    return {"pandoc_version": pandoc.pandoc_version(), "typst_version": typst_version()}


def build(config: Config, targets: tuple[str, ...] = TARGETS,
          log: Callable[[str], None] = print, force: bool = False) -> dict[str, Any]:
    """Build ``targets`` into ``config.output``; returns the manifest.

    Outputs whose inputs did not change since the last build are kept as they
    are (``force`` rebuilds them anyway).
    """
    try:
        style = resolve_style(config.style, search=config.csl_dirs)
    except StyleError as exc:
        raise BuildError(f"style: {exc}") from None
    epoch = source_date_epoch(config.root)
    fp = fingerprint(config, style, epoch)
    if not force and up_to_date(config, targets, fp):
        early.cancel()
        log(f"up to date: {', '.join(targets)} (inputs unchanged; --force rebuilds)")
        return _read_manifest(config.output / "manifest.json")
    try:
        read_text(config.manuscript)  # a clear error (file, line) for a missing or non-UTF-8 file
    except InputError as exc:
        raise BuildError(str(exc)) from None
    config.output.mkdir(parents=True, exist_ok=True)
    work = config.output / ".build"
    if early.running():  # an early AST step writes in here: empty the folder around it
        work.mkdir(exist_ok=True)
        for entry in work.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name not in (AST_NAME, early.LOG):
                entry.unlink(missing_ok=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    run = Build(config=config, style=style, epoch=epoch, work=work)
    log(f"style {style.id} ({run.rel(style.path)}), SOURCE_DATE_EPOCH={run.epoch}")
    # The outputs depend only on the AST. Each has its own thread, which prepares
    # (imports, the JATS DTD) while pandoc writes the AST, then builds side by side
    # with the others; the tool versions for the manifest are read meanwhile too.
    gate = _Gate()
    jobs: dict[str, _Job] = {}
    versions: list[_Job] = []

    def start_others() -> None:  # once pandoc runs: starting threads earlier would delay it
        versions.append(_Job(_versions))
        jobs.update({target: _Job(run.output, target, gate) for target in targets})

    try:
        step = run.ast(started=start_others)
        # The writers start from the AST as soon as pandoc has written it; pandoc's exit
        # status and messages, which the checks need, come a few milliseconds later (if
        # the checks then fail, the writers are stopped).
        fed_early = step.written()
        if fed_early:
            gate.open(step.out)
        run.finish(step)
        raw = step.out.read_text("utf-8")
        n_cites = run.check_citations(raw)
        run.check_images(raw)
    except BaseException:
        gate.open(None)
        run.stop_writers()
        for job in jobs.values():
            job.join()
        raise
    log(f"{n_cites} citations, all in the bibliography; building {', '.join(targets)} ...")
    if not fed_early:
        gate.open(step.out)
    for job in jobs.values():  # every thread has finished before any failure is raised
        job.join()
    built: dict[str, Path] = {target: job.result() for target, job in jobs.items()}
    for target in ("ast", *targets):
        for note in run.notes.get(target, []):
            log(note)
    # all steps succeeded: move the outputs into place
    outputs: dict[str, Any] = {}
    manifest_path = config.output / "manifest.json"
    previous = _read_manifest(manifest_path)
    for target, path in built.items():
        final = config.output / path.name
        os.replace(path, final)
        outputs[target] = {"file": run.rel(final), "sha256": sha256(final), "fingerprint": fp,
                           "commands": run.steps[target]}
    for target, entry in previous.get("outputs", {}).items():
        outputs.setdefault(target, entry)
    manifest = {
        "source_date_epoch": run.epoch,
        **versions[0].result(),
        "style": {"id": style.id, "requested": style.requested, "parent": style.parent,
                  "file": run.rel(style.path), "sha256": style.sha256},
        "inputs": {run.rel(config.manuscript): sha256(config.manuscript)},
        "ast": {"commands": run.steps["ast"]},
        "outputs": dict(sorted(outputs.items())),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    (ast_step,) = run.steps["ast"]
    early.write_record(config.output, ast_step["argv"], config.root / ast_step["cwd"], run.epoch,
                       config.manuscript)
    for target in targets:
        log(f"wrote {outputs[target]['file']}")
    return manifest


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.render", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"outputs to build: {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--style", help="CSL style id or path to a .csl file")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root")
    parser.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    parser.add_argument("--tidy-jats", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--png-figures", type=Path, nargs=2, metavar=("AST", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tidy_jats:
        try:
            tidy_jats(args.tidy_jats)
        except BuildError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.png_figures:  # the DOCX step's figure conversion, for replaying the manifest
        config = Config.load(args.root.resolve())
        source, out = args.png_figures
        try:
            style = resolve_style(config.style, search=config.csl_dirs)
            made = Build(config=config, style=style, epoch=source_date_epoch(config.root),
                         work=out.resolve().parent).figure_pages(source.resolve(), out.resolve())[0]
        except (BuildError, StyleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if made.resolve() != out.resolve():
            shutil.copyfile(made, out)
        return 0
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown output {unknown[0]!r} (choose from {', '.join(TARGETS)})")
    config = Config.load(args.root.resolve())
    if args.style:
        config.style = args.style
    try:
        build(config, tuple(args.targets) or TARGETS,
              log=lambda msg: print(msg, file=sys.stderr), force=args.force)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        print("previous outputs in output/ were left as they were", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        early.cancel()  # started at the top but not adopted (up to date, an error): stop it
    sys.stdout.flush()
    sys.stderr.flush()
    # Every file is closed and every thread joined: skip the interpreter's teardown
    # (unloading typst and lxml costs about 30 ms, a tenth of a small build's floor).
    os._exit(status)
