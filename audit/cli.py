"""``python -m audit``: the citation audit, from the command line.

manuscript -> citations + bibliography -> registrar records (lock, then network)
-> checks -> findings -> report. Exit status: 0 when no finding is at or above
``--fail-on``, 1 otherwise, 2 for unusable input.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from audit import __version__, bibliography, checks, lock, report, suppressions
from audit.findings import Finding, Severity
from audit.manuscript import InputError, read_manuscript, read_text
from audit.reftext import parse_reference_text
from audit.styles import StyleError, resolve_style

if TYPE_CHECKING:
    from audit.registrar import BackgroundFetch, FetchOutcome, RegistrarClient

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
LOCK_FLUSH_SECONDS = 0.5  # how often a refresh saves what it has fetched so far


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m audit",
        description="Audit a manuscript's citations against its bibliography and the DOI registrar.")
    p.add_argument("files", nargs="*", type=Path, help="Markdown manuscript file(s)")
    p.add_argument("--bibliography", action="append", type=Path, metavar="FILE",
                   help="bibliography (CSL JSON/YAML, BibTeX, BibLaTeX); default: the front matter's")
    p.add_argument("--reference-text", type=Path, metavar="FILE",
                   help="a numbered plain-text reference list (Vancouver/NLM) to audit")
    p.add_argument("--tags", type=Path, metavar="FILE",
                   help="Manubot citation tags (TSV: tag, citation)")
    p.add_argument("--lock", type=Path, metavar="PATH",
                   help=f"metadata lock (default: {lock.DEFAULT_NAME} beside the first input)")
    p.add_argument("--refresh", action="store_true",
                   help="fetch missing or stale records from the registrar and lock them")
    p.add_argument("--max-age", type=int, default=365, metavar="DAYS",
                   help="with --refresh, refetch records older than this (default 365)")
    p.add_argument("--crossref-url", help="Crossref REST API base (env AUDIT_CROSSREF_URL)")
    p.add_argument("--doi-url", help="doi.org base for content negotiation (env AUDIT_DOI_URL)")
    p.add_argument("--pubmed-url", help="NCBI E-utilities base for PubMed (env AUDIT_PUBMED_URL)")
    p.add_argument("--mailto", help="contact e-mail for the registrar's polite pool (env AUDIT_MAILTO)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.add_argument("--format", choices=report.FORMATS, default="table", help="report format")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report here")
    p.add_argument("--fail-on", choices=[s.value for s in Severity] + ["never"], default="error",
                   help="lowest severity that makes the exit status 1 (default: error)")
    p.add_argument("--suppressions", type=Path, metavar="FILE",
                   help=f"accepted findings (default: {suppressions.DEFAULT_FILENAME} beside the input)")
    p.add_argument("--style", help="CSL style for the side-by-side view (default: the project's)")
    p.add_argument("--html", type=Path, metavar="FILE", help="check citation links in built HTML")
    p.add_argument("--jats", type=Path, metavar="FILE", help="check citation links in built JATS")
    p.add_argument("--version", action="version", version=f"manuscript-audit {__version__}")
    return p


def read_tags(path: Path) -> dict[str, str]:
    """Manubot's ``citation-tags.tsv`` (tag, citation) or a ``citations.tsv`` (input_id, dealiased_id)."""
    rows = list(csv.reader(read_text(path).splitlines(), delimiter="\t"))
    if not rows:
        return {}
    header = [h.strip().lower() for h in rows[0]]
    tags: dict[str, str] = {}
    if header[:2] == ["tag", "citation"]:
        for row in rows[1:]:
            if len(row) >= 2:
                tags[row[0].strip()] = row[1].strip()
    elif "input_id" in header and "dealiased_id" in header:
        i, j = header.index("input_id"), header.index("dealiased_id")
        for row in rows[1:]:
            if len(row) > max(i, j) and row[i].startswith("tag:"):
                tags[row[i][4:]] = row[j]
    else:
        raise InputError("tags file must have a header 'tag<TAB>citation'", file=path, line=1)
    return tags


def default_style(manuscript_csl: object = None) -> Path | None:
    """The manuscript's own ``csl:`` if it names one, else the project's configured style."""
    from audit.render import Config

    for spec in (manuscript_csl, Config.load(Path.cwd()).style):
        if spec:
            try:
                return resolve_style(str(spec)).path
            except StyleError:
                continue
    return None


class Progress:
    """A rich progress bar on stderr while fetching (silent when stderr is not a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        console = Console(stderr=True)
        self.bar = Progress("fetching registrar records", BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console, transient=True,
                            disable=not console.is_terminal)
        self.task = self.bar.add_task("fetch", total=0)

    def __enter__(self) -> Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def advance_to(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)


def registrar_client(args: argparse.Namespace, **settings: float) -> RegistrarClient:
    """A registrar client from the options, the environment filling what they leave unset."""
    from audit.registrar import RegistrarClient

    return RegistrarClient.from_env(crossref_url=args.crossref_url, doi_url=args.doi_url,
                                    mailto=args.mailto, timeout=args.timeout, **settings)


class Refresh:
    """Fetch the DOIs that are missing or stale, in the background; lock good answers.

    DOIs are added as they become known (the bibliography's first, while pandoc still
    parses the manuscript) and fetched at once. Answers are merged into the lock every
    ``LOCK_FLUSH_SECONDS`` by a background writer (and at the end), each time atomically,
    so an interrupted refresh keeps what it fetched and fetching never waits for the disk.
    A refresh started before its DOIs are confirmed (``held``) keeps its answers in memory
    until :meth:`confirm`; :meth:`cancel` stops it, and answers still held are dropped.
    """

    def __init__(self, lockfile: lock.Lock, args: argparse.Namespace, client: RegistrarClient,
                 held: bool = False) -> None:
        self.lockfile, self.client = lockfile, client
        self.max_age = timedelta(days=args.max_age)
        self.failures: dict[str, checks.Resolution] = {}
        self.added: set[str] = set()
        self._held: list[FetchOutcome] | None = [] if held else None
        self._wanted: set[str] | None = None
        self._mutex = threading.Lock()
        self._writer: lock.Writer | None = None
        self._progress: Progress | None = None
        self._fetch: BackgroundFetch | None = None

    def add(self, dois: list[str]) -> None:
        todo = [d for d in dict.fromkeys(dois)
                if d not in self.added and not self.lockfile.is_fresh(d, self.max_age)]
        if not todo:
            return
        self.added.update(todo)
        if self._fetch is None:
            from audit.registrar import BackgroundFetch

            self._writer = lock.Writer(self.lockfile, LOCK_FLUSH_SECONDS)
            # rich is imported before the first request: an import during the first
            # requests holds up the event loop and bunches requests together
            self._progress = Progress().__enter__()
            self._fetch = BackgroundFetch(self.client, progress=self._advance,
                                          on_result=self._on_result)
        self._fetch.add(todo)

    def _advance(self, done: int, total: int) -> None:
        progress = self._progress
        if progress is not None:
            progress.advance_to(done, total)

    def _on_result(self, outcome: FetchOutcome) -> None:
        with self._mutex:
            if self._held is not None:
                self._held.append(outcome)
            else:
                self._take(outcome)

    def _take(self, outcome: FetchOutcome) -> None:
        if self._wanted is not None and outcome.doi not in self._wanted:
            return  # fetched on a guess that did not hold
        if outcome.status == "ok" and outcome.record is not None:
            assert self._writer is not None
            url = outcome.source_url or ""
            self._writer.add(outcome.doi, lock.LockedRecord(
                record=outcome.record, fetched=outcome.fetched or lock.now_iso(),
                provenance={"source": "crossref" if "/works/" in url else "doi.org", "url": url}))
        else:
            self.failures[outcome.doi] = checks.Resolution(outcome.status, reason=outcome.reason,
                                                           source=outcome.source_url)

    def confirm(self, wanted: list[str] | None = None) -> None:
        """Lock the answers held, and later ones; with ``wanted``, only for those DOIs."""
        with self._mutex:
            if wanted is not None:
                self._wanted = set(wanted)
            held, self._held = self._held or [], None
            for outcome in held:
                self._take(outcome)

    def finish(self) -> dict[str, checks.Resolution]:
        """Wait for every DOI added; the failures (an ``ok`` answer is in the lock by then)."""
        self.confirm()
        try:
            if self._fetch is not None:
                self._fetch.finish()
        finally:
            self._close()
        return self.failures

    def cancel(self) -> None:
        if self._fetch is not None:
            self._fetch.cancel()
        self._close()

    def _close(self) -> None:
        fetch, self._fetch = self._fetch, None
        if fetch is not None:
            fetch.cancel()  # a no-op once finished
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
            self._progress = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class BibliographySide(NamedTuple):
    """What is found from the bibliography (and the lock) alone, while pandoc parses."""

    works: list[checks.Work]
    duplicates: list[Finding]  # check_duplicates of the bibliography's works
    resolutions: dict[str, checks.Resolution] | None = None  # offline: its DOIs in the lock
    registrar: list[Finding] | None = None  # offline: check_registrar of its works


class Beside:
    """Work that needs only the bibliography and the lock, done while pandoc parses the manuscript.

    The bibliography is the one given with ``--bibliography`` or named by the first
    manuscript's front matter (read without pandoc: a guess until pandoc's metadata
    confirms it, see :meth:`entries`). Once it and the lock are read, offline, every entry
    is compared with its locked record; with ``--refresh``, fetching the entries' DOIs
    starts (answers held until confirmed). The lock is read beside both. Errors surface
    where the audit asks for the result, in the order it always reported them.
    """

    def __init__(self, args: argparse.Namespace, lock_path: Path) -> None:
        self.args = args
        self._client: RegistrarClient | None = None
        self._client_mutex = threading.Lock()
        self.refresh: Refresh | None = None
        self.pool = ThreadPoolExecutor(max_workers=2)
        guess: list[Path] = []
        if args.files:
            guess = args.bibliography or bibliography.declared_paths(args.files[0])
        self.guess = guess if guess and all(p.is_file() for p in guess) else []
        self._refresh_mutex = threading.Lock()
        on_items = self._prefetch if args.refresh else None
        self._entries = (self.pool.submit(bibliography.load_all, self.guess, on_items)
                         if self.guess else None)
        self._lock = self.pool.submit(lock.Lock.load, lock_path)
        self._works = self.pool.submit(self._bibliography_side) if self.guess else None

    def client(self) -> RegistrarClient:
        """One client for every request, so that one rate limit paces them all."""
        with self._client_mutex:
            if self._client is None:
                self._client = registrar_client(self.args, total_deadline=60.0,
                                                deadline_per_doi=1.0)
            return self._client

    def lockfile(self) -> lock.Lock:
        return self._lock.result()

    def _refresh(self, works: list[checks.Work]) -> None:
        try:
            lockfile = self._lock.result()
        except Exception:
            return  # the audit reports an unreadable lock where it always did
        with self._refresh_mutex:
            if self.refresh is None:
                self.refresh = Refresh(lockfile, self.args, self.client(), held=True)
            self.refresh.add([w.doi for w in works if w.doi])

    def _prefetch(self, items: list[dict[str, Any]]) -> None:
        """CSL JSON as written, before pandoc has read it: start fetching its DOIs."""
        self._refresh(checks.bibliography_works(
            bibliography.Entry(str(item.get("id", "")), item, "", None) for item in items))

    def _bibliography_side(self) -> BibliographySide:
        assert self._entries is not None
        works = checks.bibliography_works(self._entries.result())
        if self.args.refresh:
            self._refresh(works)
            return BibliographySide(works, checks.check_duplicates(works))
        duplicates = checks.check_duplicates(works)
        try:
            lockfile = self._lock.result()
        except Exception:  # the audit reports an unreadable lock where it always did
            return BibliographySide(works, duplicates)
        locked_aliases(works, lockfile)
        dois = list(dict.fromkeys(w.doi for w in works if w.doi))
        resolutions = resolve(dois, lockfile, {}, False)
        return BibliographySide(works, duplicates, resolutions,
                                checks.check_registrar(works, resolutions))

    def entries(self, paths: list[Path]) -> list[bibliography.Entry] | None:
        """The entries of ``paths`` if they are the bibliography read beside; else ``None``
        (and nothing done beside counts: a refresh started is stopped, its answers dropped)."""
        if self._entries is not None and [p.resolve() for p in paths] == [
                p.resolve() for p in self.guess]:
            return self._entries.result()
        self.discard()
        return None

    def bibliography_side(self) -> BibliographySide:
        """The bibliography's works and what the checks that need nothing else find."""
        assert self._works is not None
        return self._works.result()

    def discard(self) -> None:
        if self._works is not None:
            self._works.cancel()
            with contextlib.suppress(Exception):
                self._works.result()  # wait for it: a refresh it started is then known
            self._works = None
        if self.refresh is not None:
            self.refresh.cancel()
            self.refresh = None

    def close(self) -> None:
        """Stop whatever still runs (after an error); the lock keeps what was confirmed."""
        for future in (self._works, self._entries, self._lock):
            if future is not None:
                future.cancel()
        if self._works is not None:
            with contextlib.suppress(BaseException):
                self._works.result()
        if self.refresh is not None:
            self.refresh.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


def search(works: list[checks.Work], client: RegistrarClient) -> list[Finding]:
    """Online: bibliographic queries for references without a DOI (Crossref's search)."""
    todo = [w for w in works if checks.needs_search(w)]
    if not todo:
        return []
    outcomes = client.search_many([checks.query_text(w) for w in todo])
    hits = {w.key: list(o.candidates) for w, o in zip(todo, outcomes, strict=True)
            if o.status == "ok"}
    return checks.suggest_dois(todo, hits)


def locked_aliases(works: list[checks.Work], lockfile: lock.Lock) -> None:
    """The works' shortDOIs that the lock knows, expanded as locked."""
    checks.expand_short_dois(works, {w.short_doi: ("ok", a, None) for w in works
                                     if w.short_doi and (a := lockfile.alias(w.short_doi))})


def expand_short_dois(works: list[checks.Work], client: RegistrarClient
                      ) -> dict[str, dict[str, Any]]:
    """Online: the full DOIs the works' shortDOIs not yet locked stand for (doi.org's
    handle API); what expanded, as lock aliases."""
    shorts = [w.short_doi for w in works if w.short_doi and w.short_status is None]
    if not shorts:
        return {}
    outcomes = client.expand_short_dois(shorts)
    checks.expand_short_dois(works, {s: (o.status, o.doi, o.reason) for s, o in outcomes.items()})
    return {s.lower(): {"doi": o.doi, "fetched": lock.now_iso(),
                        "provenance": {"source": "doi.org", "url": o.source_url}}
            for s, o in outcomes.items() if o.status == "ok"}


def resolve(dois: list[str], lockfile: lock.Lock, failures: dict[str, checks.Resolution],
            refreshed: bool) -> dict[str, checks.Resolution]:
    """Each DOI's registrar answer: this run's failure, else the locked record, else unverified."""
    return _resolve(dois, lockfile.get, failures, refreshed)


def resolve_pubmed(pmids: list[str], lockfile: lock.Lock, failures: dict[str, checks.Resolution],
                   refreshed: bool) -> dict[str, checks.Resolution]:
    """Each PMID's PubMed answer, as :func:`resolve` gives each DOI's."""
    return _resolve(pmids, lockfile.get_pmid, failures, refreshed)


def _resolve(keys: list[str], locked: Callable[[str], lock.LockedRecord | None],
             failures: dict[str, checks.Resolution], refreshed: bool) -> dict[str, checks.Resolution]:
    out: dict[str, checks.Resolution] = {}
    for key in keys:
        entry = locked(key)
        if key in failures:
            out[key] = failures[key]
        elif entry is not None:
            out[key] = checks.Resolution("ok", record=entry.record,
                                         source=str(entry.provenance.get("source", "lock")))
        else:
            why = ("not in the metadata lock" if refreshed else
                   "not in the metadata lock (run with --refresh to fetch it)")
            out[key] = checks.Resolution("unverified", reason=why)
    return out


def fetch_pubmed(pmids: list[str], lockfile: lock.Lock, args: argparse.Namespace,
                 registrar: RegistrarClient) -> tuple[dict[str, lock.LockedRecord],
                                                      dict[str, checks.Resolution]]:
    """Online: PubMed's records for the PMIDs missing from the lock or stale, as lock
    entries, and what could not be had (a PMID PubMed does not know among it)."""
    todo = [p for p in pmids if not lockfile.is_fresh_pmid(p, timedelta(days=args.max_age))]
    if not todo:
        return {}, {}
    from audit.pubmed import PubMedClient

    client = PubMedClient.from_env(registrar, url=args.pubmed_url)
    records: dict[str, lock.LockedRecord] = {}
    failures: dict[str, checks.Resolution] = {}
    for pmid, outcome in client.fetch_many(todo).items():
        if outcome.status == "ok" and outcome.record is not None:
            records[pmid] = lock.LockedRecord(
                record=outcome.record, fetched=outcome.fetched or lock.now_iso(),
                provenance={"source": "pubmed", "url": outcome.source_url})
        else:
            failures[pmid] = checks.Resolution(outcome.status, reason=outcome.reason,
                                               source=outcome.source_url)
    return records, failures


def run(args: argparse.Namespace) -> int:
    if not args.files and not args.reference_text:
        raise InputError("nothing to audit: give Markdown file(s) and/or --reference-text FILE")
    first = args.files[0] if args.files else args.reference_text
    lock_path = args.lock or first.parent / lock.DEFAULT_NAME
    beside = Beside(args, lock_path)
    try:
        return audit(args, beside, first)
    finally:
        beside.close()


def audit(args: argparse.Namespace, beside: Beside, first: Path) -> int:
    inputs = checks.Inputs()
    early: BibliographySide | None = None
    if args.files:
        # pandoc parses the manuscript while the bibliography is read and checked beside
        inputs.manuscript = read_manuscript(args.files)
        paths = bibliography.bibliography_paths(inputs.manuscript, args.bibliography)
        for path in paths:
            if not path.is_file():
                raise InputError("bibliography file not found", file=path)
        entries = beside.entries(paths)
        if entries is not None:
            inputs.entries = entries
            early = beside.bibliography_side()
        else:
            inputs.entries = bibliography.load_all(paths)
    elif args.bibliography:
        inputs.entries = bibliography.load_all(args.bibliography)
    if args.tags:
        inputs.tags = read_tags(args.tags)
    if args.reference_text:
        inputs.printed = parse_reference_text(read_text(args.reference_text), str(args.reference_text))
        if not inputs.printed:
            raise InputError("no numbered references found (expected lines such as "
                             "'1. Author A. Title. Journal. 2020;1:1-2.')",
                             file=args.reference_text, line=1)
    lockfile = beside.lockfile()

    works = checks.works_from(inputs, early.works if early else None)
    extra: list[Finding] = [
        Finding("reference-unparsed", Severity.WARNING, "; ".join(ref.problems),
                key=f"#{ref.number}", file=str(args.reference_text), line=ref.line)
        for ref in inputs.printed if ref.problems]
    for work in works:
        if work.origin == "printed":
            work.file = str(args.reference_text)
    candidates = {doi: e.record for doi, e in lockfile.records.items()}
    extra += checks.attach_printed_dois(works, candidates)
    locked_aliases(works, lockfile)
    aliases: dict[str, dict[str, Any]] = {}
    if args.refresh:
        aliases = expand_short_dois(works, beside.client())
        extra += search(works, beside.client())
    extra += checks.unmatched_printed(works)
    dois = list(dict.fromkeys(w.doi for w in works if w.doi))
    pmids = list(dict.fromkeys(w.pmid for w in works if w.pmid))
    failures: dict[str, checks.Resolution] = {}
    pubmed_failures: dict[str, checks.Resolution] = {}
    if args.refresh:
        refresh = beside.refresh or Refresh(lockfile, args, beside.client())
        refresh.add(dois)
        refresh.confirm(dois)
        # PubMed is asked while the DOIs are fetched in the background
        pubmed_records, pubmed_failures = fetch_pubmed(pmids, lockfile, args, beside.client())
        failures = refresh.finish()
        if aliases or pubmed_records:  # after the records: an alias is locked with what it stands for
            lock.merge(lockfile.path, {}, known=lockfile, aliases=aliases, pubmed=pubmed_records)
    pubmed = resolve_pubmed(pmids, lockfile, pubmed_failures, args.refresh)
    if early is not None and early.resolutions is not None:
        # offline, the bibliography's DOIs were looked up in the lock beside: only the rest now
        rest = [d for d in dois if d not in early.resolutions]
        resolutions = {**early.resolutions, **resolve(rest, lockfile, failures, args.refresh)}
    else:
        resolutions = resolve(dois, lockfile, failures, args.refresh)
    registrar = None
    if early is not None and early.registrar is not None:  # the bibliography's, checked beside
        registrar = early.registrar + checks.check_registrar(works[len(early.works):], resolutions)
    # duplicates among the bibliography's works, found beside, are all there is to find when
    # no printed list adds works (the keys cited as identifiers are not compared) and no
    # shortDOI was expanded since
    expanded = any(w.short_status == "ok" for w in works)
    duplicates = (early.duplicates if early is not None and not inputs.printed and not expanded
                  else None)

    n_cited = len(set(inputs.manuscript.cited_keys)) if inputs.manuscript else 0
    if args.html or args.jats:
        from audit import outputs  # lxml.html: only for built outputs

        if args.html:
            extra += outputs.check_html(args.html, n_cited)
        if args.jats:
            extra += outputs.check_jats(args.jats, n_cited)
    findings = checks.run_checks(inputs, works, resolutions, extra, registrar, duplicates, pubmed)

    supp_path = args.suppressions or first.parent / suppressions.DEFAULT_FILENAME
    rules = suppressions.load_suppressions(supp_path, required=args.suppressions is not None)
    kept, suppressed, _unused = suppressions.apply_suppressions(findings, rules)

    if args.style:
        style_path = resolve_style(args.style).path
    else:
        csl = inputs.manuscript.metadata.get("csl") if inputs.manuscript else None
        style_path = default_style(csl)
    by_key = {w.key: w for w in works}
    context = report.ReportContext(
        tool_version=__version__,
        inputs=[str(p) for p in [*args.files, *([args.reference_text] if args.reference_text else [])]],
        suppressed=suppressed,
        references={k: w.item for k, w in by_key.items()},
        registered=registered_records(works, resolutions, pubmed),
        style_path=style_path,
        fail_on=Severity(args.fail_on) if args.fail_on != "never" else Severity.ERROR,
        n_references=len(inputs.entries) or len(inputs.printed),
        n_citations=len(inputs.manuscript.citations) if inputs.manuscript else None,
    )
    text = report.render(kept, args.format, context=context,
                         color=args.output is None and sys.stdout.isatty())
    if args.output:
        lock.write_atomic(args.output, text if text.endswith("\n") else text + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return exit_code(kept, args.fail_on)


def registered_records(works: list[checks.Work], dois: dict[str, checks.Resolution],
                       pmids: dict[str, checks.Resolution]) -> dict[str, dict[str, Any]]:
    """Each key's record as registered, for the side-by-side view: its DOI's, else PubMed's."""
    registered: dict[str, dict[str, Any]] = {}
    for work in works:
        for res in (dois.get(work.doi) if work.doi else None,
                    pmids.get(work.pmid) if work.pmid else None):
            if res is not None and res.record:
                registered[work.key] = res.record
                break
    return registered


def exit_code(findings: list[Finding], fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in findings) else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # What is loaded by now lives as long as the process: keep it out of the collector's
    # full passes, which otherwise stall every thread for 30-45 ms, holding up requests
    # that a refresh paces a few milliseconds apart.
    gc.freeze()
    if args.refresh:
        # the fetching thread waits less for the interpreter while the main thread compares
        sys.setswitchinterval(0.001)
    try:
        return run(args)
    except (InputError, suppressions.SuppressionError, StyleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; the metadata lock keeps every record fetched so far", file=sys.stderr)
        return 130
