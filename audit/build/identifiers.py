"""Citation by identifier in the build, as Manubot does it.

A key that is its own identifier (``@doi:10.1007/…``, a bare ``@10.1007/…``, ``@pmid:…``,
``@arxiv:…``, ``@url:…``…) or an alias of one (``[@deep-review]: doi:10.1098/…`` lines,
the metadata's ``citekey-aliases``, Manubot's ``citation-tags.tsv``) needs no bibliography
entry: its reference is the registered record the metadata lock holds for it (the lock a
refresh fills), or a manual reference (``manual-references*.json`` of a Manubot folder)
for the same standard id, which takes precedence.

When the manuscript cites that way (or is a Manubot folder), this step writes what the
AST step reads instead of the manuscript: ``output/.build/manuscript.md``, the
manuscript's files joined with their alias lines taken out and every such key rewritten
to its work's short id (Manubot's: one id per work, however many keys cite it, so that
each work is listed once), and ``output/.build/identifiers.json``, the works' CSL items.
It is a step of its own in the manifest: ``python -m audit.build.identifiers``. A key
the lock cannot resolve fails the build, naming the key and the refresh to run.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import lock
from audit.build.run import BuildError, Run
from audit.config import Config
from audit.files import read_text
from audit.identifiers import parse_citekey
from audit.locate import blank_code, declared, front_matter, occurrences
from audit.manubot import (
    METADATA,
    TAGS,
    alias_lines,
        metadata_aliases,
    read_tags,
    short_id,
    standard_id,
)

SOURCE = "manuscript.md"
ITEMS = "identifiers.json"
CROSSREF_PREFIXES = ("fig:", "tbl:", "eq:", "sec:", "lst:")  # pandoc-crossref labels
SCHEMES = frozenset({"doi", "pmid", "pmcid", "arxiv", "isbn", "url", "wikidata", "raw"})
# what an identifier key, an alias line or an aliased key may look like: a quick look at
# the text before it is read key by key (a long manuscript citing its bibliography only
# is then passed on as it is, at no cost)
_MAYBE = re.compile(r"@[A-Za-z]+:|@10[./]|^ {0,3}\[@[^\]\s]+\]:|citekey-aliases", re.M)


@dataclass
class Segment:
    """Where one file's lines start in the joined text."""

    file: Path
    start: int  # the joined text's line of the file's first line (1-based)


@dataclass
class Prepared:
    """What the AST step reads: the source, the pandoc options it adds, and where each line
    of the source comes from."""

    source: Path
    options: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    def place(self, line: int) -> tuple[Path, int]:
        """The file and line of the source's ``line``."""
        segment = next((s for s in reversed(self.segments) if s.start <= line), None)
        if segment is None:
            return self.source, line
        return segment.file, line - segment.start + 1


def _manual(folder: Path) -> dict[str, dict[str, Any]]:
    """A Manubot folder's manual references, by standard id (a later file's item wins)."""
    refs: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("manual-references*.json")):
        try:
            items = json.loads(read_text(path))
        except ValueError as exc:
            raise BuildError(f"identifiers: {path}: not valid JSON ({exc})") from None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                refs[standard_id(item)] = item
    return refs


def _record(standard: str, lockfile: lock.Lock) -> dict[str, Any] | None:
    """The locked record for a standard id (a DOI's, a PMID's, a PMCID's, an arXiv id's)."""
    scheme, _, identifier = standard.partition(":")
    found: lock.LockedRecord | None = None
    if scheme == "doi":
        found = lockfile.get(lockfile.alias(identifier) or identifier)
    elif scheme == "pmid":
        found = lockfile.get_pmid(identifier)
    elif scheme == "pmcid":
        found = lockfile.get_pmcid(identifier)
    elif scheme == "arxiv":
        found = lockfile.get_arxiv(identifier)
    return dict(found.record) if found is not None else None


def prepare(run: Run) -> Prepared:
    """The AST step's source: the manuscript itself, or (citation by identifier, a Manubot
    folder) the joined text and the identifiers' CSL items written in ``run.work``."""
    config = run.config
    files = config.files()
    if not files:
        raise BuildError(f"identifiers: {run.rel(config.manuscript)}: a folder with no Markdown files")
    texts = [read_text(path) for path in files]
    metadata_file = config.folder / METADATA
    metadata: dict[str, Any] = {}
    if config.manuscript.is_dir() and metadata_file.is_file():
        import yaml

        try:
            metadata = yaml.safe_load(read_text(metadata_file)) or {}
        except yaml.YAMLError as exc:
            raise BuildError(f"identifiers: {run.rel(metadata_file)}: malformed YAML ({exc})") from None
    aliases = {**metadata_aliases(metadata)}
    for text in texts:
        aliases.update(metadata_aliases(front_matter(text)))
        aliases.update({alias: target for alias, target, _, _ in alias_lines(text)})
    tags = config.folder / TAGS
    if config.manuscript.is_dir() and tags.is_file():
        aliases = {**{f"tag:{t}": k for t, k in read_tags(tags).items()}, **aliases}
    if not config.manuscript.is_dir() and not any(_MAYBE.search(text) for text in texts):
        return Prepared(config.manuscript)  # no identifier key, no alias: read as it is
    cited = [occurrences(blank_code(text)) for text in texts]
    keys = {key for found in cited for key in found if _standard(key, aliases) is not None}
    if not keys and not config.manuscript.is_dir() and not any(alias_lines(t) for t in texts):
        return Prepared(config.manuscript)  # cites its bibliography only: read as it is
    return _write(run, files, texts, cited, aliases, metadata, metadata_file)


def _standard(key: str, aliases: dict[str, str]) -> str | None:
    """The standard id a key cites (after aliases), if it cites by identifier."""
    if key.startswith(CROSSREF_PREFIXES):
        return None
    parsed = parse_citekey(aliases.get(key, key))
    return parsed.standard if parsed.scheme in SCHEMES else None


def _write(run: Run, files: list[Path], texts: list[str], cited: list[dict[str, list[int]]],
           aliases: dict[str, str], metadata: dict[str, Any], metadata_file: Path) -> Prepared:
    config = run.config
    lockfile = lock.Lock.load(config.lock)
    manual = _manual(config.folder) if config.manuscript.is_dir() else {}
    items: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    parts: list[str] = []
    segments: list[Segment] = []
    line = 1
    for path, text, found in zip(files, texts, cited, strict=True):
        segments.append(Segment(path, line))
        edits: list[tuple[int, int, str]] = []
        for key, offsets in found.items():
            standard = _standard(key, aliases)
            if standard is None:
                continue
            item = manual.get(standard) or _record(standard, lockfile)
            if item is None:
                at = text.count("\n", 0, offsets[0]) + 1
                missing.append(f"{run.rel(path)}:{at}: citation key '{key}' ({standard}): no record "
                               f"in the metadata lock ({run.rel(lockfile.path)}) nor a manual "
                               "reference: run `nox -s refresh` (manuscript-audit refresh)")
                continue
            ident = short_id(standard)
            items[ident] = {**item, "id": ident}
            edits += [(offset + 1, offset + 1 + len(key), ident) for offset in offsets]
        for _, _, start, end in alias_lines(text):
            edits.append((start, end, "\n" * text.count("\n", start, end)))
        parts.append(_edited(text, edits))
        line += parts[-1].count("\n") + 2
    if missing:
        raise BuildError("identifiers: citation(s) by identifier with no record:\n  "
                         + "\n  ".join(missing))
    source = run.work / SOURCE
    source.write_text("\n\n".join(parts), "utf-8")
    (run.work / ITEMS).write_text(json.dumps(list(items.values()), indent=1, ensure_ascii=False)
                                  + "\n", "utf-8")
    run.record("ast", ["python", "-m", "audit.build.identifiers"])
    options = []
    if config.manuscript.is_dir() and metadata_file.is_file():
        options += ["--metadata-file", run.rel(metadata_file)]
    named = declared(metadata.get("bibliography"), config.folder)
    for text in texts:
        named += declared(front_matter(text).get("bibliography"), config.folder)
    for path in [*named, run.work / ITEMS]:  # on the command line, the front matter's no longer count
        options += ["--bibliography", run.rel(path)]
    return Prepared(source, options, segments)


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, new in sorted(edits):
        if start < last:
            continue
        out += [text[last:start], new]
        last = end
    return "".join(out) + text[last:]


def main(argv: list[str] | None = None) -> int:
    """``python -m audit.build.identifiers``: this step, as the build runs it (from the
    project root, into ``output/.build``)."""
    from audit.build.run import source_date_epoch
    from audit.styles import resolve_style

    del argv
    config = Config.load(Path.cwd())
    try:
        style = resolve_style(config.style, search=config.csl_dirs)
        work = config.output / ".build"
        work.mkdir(parents=True, exist_ok=True)
        prepare(Run(config=config, style=style, epoch=source_date_epoch(config.root), work=work))
    except (BuildError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
