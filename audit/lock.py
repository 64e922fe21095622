"""Stage 3a: the metadata lock, the registrar records an audit used, kept beside the manuscript.

Like a package lock: committed, so that the build and CI never need the network.
Each record says when and from where it was fetched. Only successful answers are
ever written: records, and a source's word that an identifier names nothing (``not-found``:
a 404 from Crossref and doi.org, PubMed's "cannot get document summary"), so that the
offline audit reaches the online verdict; an error is never locked. Every write is crash-safe: a
temporary file in the same folder, fsync, then an atomic rename, all under a
file lock so that two refreshes at once cannot interleave.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.files import write_atomic
from audit.identifiers import normalize_arxiv, normalize_pmcid, normalize_pmid
from audit.model import Outcome, now_iso

LOCK_VERSION = 1
DEFAULT_NAME = "references.lock.json"
_RECORD_INDENT = " " * 4  # a record's depth in the file (indent 2, inside "records")


def _age(fetched: str, now: datetime) -> timedelta | None:
    """How long ago a locked answer was fetched (``fetched``: ISO 8601), if it says."""
    try:
        when = datetime.fromisoformat(fetched.replace("Z", "+00:00"))
    except ValueError:
        return None
    return now - when


@dataclass
class LockedRecord:
    """One registrar record as locked: the CSL JSON item and its provenance."""

    record: dict[str, Any]
    fetched: str
    provenance: dict[str, Any]

    def age(self, now: datetime) -> timedelta | None:
        return _age(self.fetched, now)

    def to_json(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "provenance": self.provenance, "record": self.record}

    @classmethod
    def of(cls, outcome: Outcome) -> LockedRecord:
        """A source's good answer, as locked: the record, when and from where."""
        assert outcome.status == "ok" and outcome.record is not None
        return cls(record=outcome.record, fetched=outcome.fetched or now_iso(),
                   provenance={"source": outcome.source, "url": outcome.url})

    def outcome(self, asked: str) -> Outcome:
        """The locked record as the answer its source gave."""
        return Outcome(asked, "ok", record=self.record,
                       source=str(self.provenance.get("source", "lock")), fetched=self.fetched)


@dataclass
class LockedAbsence:
    """A source's word that an identifier names nothing (``not-found``), as locked: when, from
    where, and what it said (the reason the findings quote)."""

    fetched: str
    provenance: dict[str, Any]
    reason: str

    def age(self, now: datetime) -> timedelta | None:
        return _age(self.fetched, now)

    def to_json(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "provenance": self.provenance, "reason": self.reason}

    @classmethod
    def of(cls, outcome: Outcome) -> LockedAbsence:
        assert outcome.status == "not-found"
        return cls(outcome.fetched or now_iso(), {"source": outcome.source, "url": outcome.url},
                   outcome.reason or "")

    def outcome(self, asked: str) -> Outcome:
        """The locked absence as the answer its source gave."""
        return Outcome(asked, "not-found", reason=self.reason,
                       source=str(self.provenance.get("source", "lock")),
                       url=self.provenance.get("url"), fetched=self.fetched)


# what a search's candidates keep: enough to grade them against a reference, and to name them
_CANDIDATE_KEYS = ("type", "DOI", "PMID", "title", "author", "container-title",
                   "container-title-short", "ISSN", "issued", "volume", "issue", "page", "score")
_CANDIDATE_AUTHORS = 3


def _candidate(record: Mapping[str, Any]) -> dict[str, Any]:
    kept = {k: record[k] for k in _CANDIDATE_KEYS if record.get(k) not in (None, "", [])}
    if isinstance(kept.get("author"), list):
        kept["author"] = kept["author"][:_CANDIDATE_AUTHORS]
    return kept


@dataclass
class LockedSearch:
    """One search as locked: its candidates (each the fields a reference is graded on) and
    when and from where it was made."""

    candidates: list[dict[str, Any]]
    fetched: str
    provenance: dict[str, Any]

    def age(self, now: datetime) -> timedelta | None:
        return _age(self.fetched, now)

    def to_json(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "provenance": self.provenance,
                "candidates": self.candidates}

    @classmethod
    def of(cls, outcome: Outcome) -> LockedSearch:
        """A source's good answer to a search, as locked."""
        assert outcome.status == "ok"
        return cls([_candidate(c) for c in outcome.candidates], outcome.fetched or now_iso(),
                   {"source": outcome.source, "url": outcome.url})

    def outcome(self, asked: str) -> Outcome:
        """The locked search as the answer its source gave."""
        return Outcome(asked, "ok", candidates=tuple(self.candidates),
                       source=str(self.provenance.get("source", "lock")), fetched=self.fetched,
                       url=self.provenance.get("url"))


@dataclass
class Lock:
    """The lockfile's content: records keyed by lower-case DOI, the shortDOIs
    (``10/abcd``) doi.org expanded, ``{short: {"doi", "fetched", "provenance"}}``,
    PubMed's records keyed by PMID (``pubmed``), arXiv's by arXiv identifier as cited
    (``arxiv``: ``2101.01234`` or ``2101.01234v2``) and PMC's by PMCID (``pmc``), each
    as a registrar record is locked; and the searches made for references without
    identifiers (``searches``: by source, then by query, each with its candidates)."""

    path: Path
    records: dict[str, LockedRecord] = field(default_factory=dict)
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    pubmed: dict[str, LockedRecord] = field(default_factory=dict)
    arxiv: dict[str, LockedRecord] = field(default_factory=dict)
    pmc: dict[str, LockedRecord] = field(default_factory=dict)
    # searches for references without identifiers: {source: {query: search}}
    searches: dict[str, dict[str, LockedSearch]] = field(default_factory=dict)
    # what a source said names nothing: {kind ("doi", "pubmed", "arxiv", "pmc"): {id: absence}}
    not_found: dict[str, dict[str, LockedAbsence]] = field(default_factory=dict)
    stamp: tuple[int, int] | None = field(default=None, compare=False)  # (mtime_ns, size) as read
    # each record's text in the file, kept with the record it was made from (see ``dumps``)
    _texts: dict[str, tuple[LockedRecord, str]] = field(default_factory=dict, compare=False,
                                                        repr=False)

    @classmethod
    def load(cls, path: Path) -> Lock:
        if not path.exists():
            return cls(path)
        text = path.read_text("utf-8")
        try:
            data = json.loads(text) if text.strip() else {"records": {}}
        except json.JSONDecodeError as exc:
            raise InputError(f"the metadata lock is not valid JSON: {exc.msg}", file=path,
                             line=exc.lineno) from None
        if not isinstance(data, dict) or not isinstance(data.get("records"), dict):
            raise InputError("the metadata lock has no 'records' object", file=path, line=1)
        version = data.get("lock-version", LOCK_VERSION)
        if version != LOCK_VERSION:
            raise InputError(f"unsupported lock-version {version} (this tool reads "
                             f"{LOCK_VERSION})", file=path, line=1)
        records = {}
        for doi, entry in data["records"].items():
            if not isinstance(entry, dict) or not isinstance(entry.get("record"), dict):
                raise InputError(f"lock entry for {doi} has no 'record'", file=path)
            records[doi.lower()] = _locked(entry)
        aliases = data.get("aliases", {})
        if not isinstance(aliases, dict) or not all(
                isinstance(a, dict) and isinstance(a.get("doi"), str) for a in aliases.values()):
            raise InputError("the metadata lock's 'aliases' must map each shortDOI to "
                             "an object with its 'doi'", file=path, line=1)
        return cls(path, records, {k.lower(): v for k, v in aliases.items()},
                   _section(data, "pubmed", path), _section(data, "arxiv", path),
                   _section(data, "pmc", path), _searches(data, path),
                   not_found=_not_found(data, path), stamp=_stamp(path))

    def alias(self, short: str) -> str | None:
        """The full DOI a shortDOI stands for, as locked."""
        entry = self.aliases.get(short.lower())
        return str(entry["doi"]) if entry else None

    def get(self, doi: str) -> LockedRecord | None:
        return self.records.get(doi.lower())

    def get_pmid(self, pmid: str) -> LockedRecord | None:
        """PubMed's record for a PMID (bare digits), as locked."""
        return self.pubmed.get(pmid)

    def get_arxiv(self, arxiv_id: str) -> LockedRecord | None:
        """arXiv's record for an arXiv identifier (as normalised), as locked."""
        return self.arxiv.get(arxiv_id)

    def get_pmcid(self, pmcid: str) -> LockedRecord | None:
        """PMC's record for a PMCID (``PMC123``), as locked."""
        return self.pmc.get(pmcid)

    def search_answers(self, max_age: timedelta | None = None, now: datetime | None = None
                       ) -> dict[tuple[str, str], Outcome]:
        """The locked searches (no older than ``max_age``) as their sources' answers, by
        ``(source, query)``."""
        return {(source, query): search.outcome(query)
                for source, found in self.searches.items() for query, search in found.items()
                if _fresh(search, max_age, now)}

    def absent(self, kind: str, key: str) -> LockedAbsence | None:
        """The locked word of ``kind``'s source (``doi``: the registrars; ``pubmed``, ``arxiv``,
        ``pmc``) that ``key`` names nothing."""
        return self.not_found.get(kind, {}).get(key.lower() if kind == "doi" else key)

    def settled(self, kind: str, key: str, max_age: timedelta | None, recheck_missing: bool = False,
                now: datetime | None = None) -> bool:
        """Whether the lock answers for ``key`` (its record, or its source's word that there is
        none) with an answer no older than ``max_age``; a locked absence never does with
        ``recheck_missing``."""
        absence = self.absent(kind, key)
        if absence is not None:
            return not recheck_missing and _fresh(absence, max_age, now)
        getter = {"doi": self.get, "pubmed": self.get_pmid, "arxiv": self.get_arxiv,
                  "pmc": self.get_pmcid}[kind]
        return _fresh(getter(key), max_age, now)

    def to_json(self) -> dict[str, Any]:
        return {"lock-version": LOCK_VERSION,
                "records": {doi: self.records[doi].to_json() for doi in sorted(self.records)},
                **self._sections()}

    def _sections(self) -> dict[str, dict[str, Any]]:
        """The sections after ``records`` that have content, in order, as written."""
        sections = {"aliases": {s: self.aliases[s] for s in sorted(self.aliases)},
                    "pubmed": {p: self.pubmed[p].to_json() for p in _by_number(self.pubmed)},
                    "arxiv": {a: self.arxiv[a].to_json() for a in sorted(self.arxiv)},
                    "pmc": {p: self.pmc[p].to_json() for p in _by_number(self.pmc)},
                    "searches": {source: {q: found[q].to_json() for q in sorted(found)}
                                 for source, found in sorted(self.searches.items()) if found}}
        sections["not-found"] = {kind: {key: found[key].to_json() for key in (
            sorted(found) if kind in ("doi", "arxiv") else _by_number(found))}
            for kind in NOT_FOUND_KINDS if (found := self.not_found.get(kind))}
        return {name: value for name, value in sections.items() if value}

    def dumps(self) -> str:
        """The file's text: ``json.dumps(self.to_json(), indent=2, ensure_ascii=False)``.

        Each record is serialised once and kept, so that a refresh saving its progress
        again and again only serialises what is new (the encoder with ``indent`` is slow).
        """
        if not self.records:
            return json.dumps(self.to_json(), indent=2, ensure_ascii=False)
        rest = "".join(f',\n  "{name}": ' + json.dumps(value, indent=2, ensure_ascii=False)
                       .replace("\n", "\n  ") for name, value in self._sections().items())
        parts = []
        for doi in sorted(self.records):
            entry = self.records[doi]
            kept = self._texts.get(doi)
            if kept is None or kept[0] is not entry:
                text = json.dumps(entry.to_json(), indent=2, ensure_ascii=False)
                kept = self._texts[doi] = (entry, json.dumps(doi, ensure_ascii=False) + ": "
                                           + text.replace("\n", "\n" + _RECORD_INDENT))
            parts.append(kept[1])
        return (f'{{\n  "lock-version": {json.dumps(LOCK_VERSION)},\n  "records": {{\n'
                + _RECORD_INDENT + f",\n{_RECORD_INDENT}".join(parts) + "\n  }" + rest + "\n}")


def answers(ids: list[str], locked: Callable[[str], LockedRecord | None],
            failures: Mapping[str, Outcome], refreshed: bool,
            absent: Callable[[str], LockedAbsence | None] | None = None) -> dict[str, Outcome]:
    """Each identifier's answer: this run's failure, else the locked record, else the locked
    word that there is none (``absent``: :meth:`Lock.absent` of the kind), else
    ``unverified`` (never a pass). ``locked`` is :meth:`Lock.get`, :meth:`Lock.get_pmid`,
    :meth:`Lock.get_arxiv` or :meth:`Lock.get_pmcid`."""
    out: dict[str, Outcome] = {}
    for key in ids:
        entry = locked(key)
        absence = absent(key) if absent is not None else None
        if key in failures:
            out[key] = failures[key]
        elif entry is not None:
            out[key] = entry.outcome(key)
        elif absence is not None:
            out[key] = absence.outcome(key)
        else:
            why = ("not in the metadata lock" if refreshed else
                   "not in the metadata lock (run with --refresh to fetch it)")
            out[key] = Outcome(key, "unverified", reason=why)
    return out


def _locked(entry: dict[str, Any]) -> LockedRecord:
    return LockedRecord(record=entry["record"], fetched=str(entry.get("fetched", "")),
                        provenance=dict(entry.get("provenance", {})))


# the sections of records by identifier: (what a key is, its form, its normaliser)
_SECTIONS: dict[str, tuple[str, str, Callable[[str], str | None]]] = {
    "pubmed": ("PMID", "digits only", normalize_pmid),
    "arxiv": ("arXiv identifier", "as normalised: 2101.01234, 2101.01234v2, hep-th/9901001",
              normalize_arxiv),
    "pmc": ("PMCID", "PMC and digits", normalize_pmcid),
}


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, LockedRecord]:
    """One of the lock's sections of records by identifier (``pubmed``, ``arxiv``, ``pmc``),
    ``{id: {"fetched", "provenance", "record"}}``, checked: each key in its normalised form."""
    what, form, normalize = _SECTIONS[name]
    section = data.get(name, {})
    if not isinstance(section, dict) or not all(
            isinstance(e, dict) and isinstance(e.get("record"), dict) for e in section.values()):
        raise InputError(f"the metadata lock's {name!r} must map each {what} to an object with "
                         "its 'record'", file=path, line=_line_of(path, name))
    for key in section:
        if normalize(key) != key:
            article = "an" if what[0] in "aeiou" else "a"
            raise InputError(f"the metadata lock's {name!r} has {key!r}, which is not {article} {what} "
                             f"({form})", file=path, line=_line_of(path, name, key))
    return {key: _locked(entry) for key, entry in section.items()}


def _searches(data: dict[str, Any], path: Path) -> dict[str, dict[str, LockedSearch]]:
    """The lock's ``searches``, ``{source: {query: {"fetched", "provenance", "candidates"}}}``,
    checked."""
    section = data.get("searches", {})
    if not isinstance(section, dict) or not all(
            isinstance(found, dict) and all(isinstance(e, dict) and isinstance(e.get("candidates"), list)
                                            for e in found.values()) for found in section.values()):
        raise InputError("the metadata lock's 'searches' must map each source to its queries, "
                         "each an object with its 'candidates'", file=path,
                         line=_line_of(path, "searches"))
    return {source: {query: LockedSearch(list(e["candidates"]), str(e.get("fetched", "")),
                                         dict(e.get("provenance", {})))
                     for query, e in found.items()} for source, found in section.items()}


NOT_FOUND_KINDS = ("doi", "pubmed", "arxiv", "pmc")  # the kinds of ``not-found``, in order


def _not_found(data: dict[str, Any], path: Path) -> dict[str, dict[str, LockedAbsence]]:
    """The lock's ``not-found``, ``{kind: {id: {"fetched", "provenance", "reason"}}}``, checked:
    each kind one of :data:`NOT_FOUND_KINDS`, each identifier in its normalised form."""
    section = data.get("not-found", {})
    line = _line_of(path, "not-found")
    if not isinstance(section, dict) or not all(
            kind in NOT_FOUND_KINDS and isinstance(found, dict)
            and all(isinstance(e, dict) and isinstance(e.get("fetched"), str) for e in found.values())
            for kind, found in section.items()):
        raise InputError("the metadata lock's 'not-found' must map each of "
                         f"{', '.join(NOT_FOUND_KINDS)} to identifiers, each an object with the "
                         "date it was 'fetched'", file=path, line=line)
    out: dict[str, dict[str, LockedAbsence]] = {}
    for kind, found in section.items():
        for key, entry in found.items():
            if kind != "doi" and _SECTIONS[kind][2](key) != key:
                raise InputError(f"the metadata lock's 'not-found' {kind!r} has {key!r}, which is "
                                 f"not a {_SECTIONS[kind][0]} ({_SECTIONS[kind][1]})", file=path,
                                 line=_line_of(path, "not-found", key))
            out.setdefault(kind, {})[key.lower() if kind == "doi" else key] = LockedAbsence(
                entry["fetched"], dict(entry.get("provenance") or {}), str(entry.get("reason") or ""))
    return out


def _line_of(path: Path, name: str, key: str | None = None) -> int:
    """The line of a section (or of one of its keys) in the lock, else 1."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError:
        return 1
    start = next((n for n, text in enumerate(lines) if text.strip().startswith(f'"{name}":')), None)
    if start is None:
        return 1
    if key is None:
        return start + 1
    wanted = json.dumps(key, ensure_ascii=False) + ":"
    return next((n + 1 for n, text in enumerate(lines[start:], start)
                 if text.strip().startswith(wanted)), start + 1)


def _by_number(pmids: dict[str, Any]) -> list[str]:
    """PMIDs (or PMCIDs) in the order of their numbers."""
    return sorted(pmids, key=lambda pmid: (len(pmid), pmid))


def _fresh(entry: LockedRecord | LockedSearch | LockedAbsence | None, max_age: timedelta | None,
           now: datetime | None) -> bool:
    if entry is None:
        return False
    if max_age is None:
        return True
    age = entry.age(now or datetime.now(UTC))
    return age is not None and age <= max_age


@contextlib.contextmanager
def locked(path: Path, timeout: float = 60.0) -> Iterator[None]:
    """Hold the lockfile's companion ``.lock`` so that concurrent refreshes take turns."""
    from filelock import FileLock  # only a refresh writes: an offline audit never imports it

    with FileLock(str(path) + ".lock", timeout=timeout):
        yield


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def merge(path: Path, new: dict[str, LockedRecord], known: Lock | None = None,
          aliases: Mapping[str, dict[str, Any]] | None = None,
          pubmed: dict[str, LockedRecord] | None = None,
          arxiv: dict[str, LockedRecord] | None = None,
          pmc: dict[str, LockedRecord] | None = None,
          searches: Mapping[tuple[str, str], LockedSearch] | None = None,
          not_found: Mapping[str, Mapping[str, LockedAbsence]] | None = None) -> Lock:
    """Add ``new`` records (and shortDOI ``aliases``, PubMed's records by PMID, arXiv's by
    arXiv identifier, PMC's by PMCID, ``searches`` by source and query, absences by kind and
    identifier) to the lock on disk and save it, under the file lock. The latest answer for
    an identifier wins: a record replaces a locked absence, an absence a locked record.

    The file is re-read unless ``known`` is what this process last wrote to it
    (same modification time and size): another refresh may have added records.
    ``known`` is then brought up to date with what was written.
    """
    with locked(path):
        if known is not None and known.stamp is not None and known.stamp == _stamp(path):
            current = known
        else:
            current = Lock.load(path)
        for doi, entry in new.items():
            current.records[doi.lower()] = entry
        for short, alias in (aliases or {}).items():
            current.aliases[short.lower()] = alias
        current.pubmed.update(pubmed or {})
        current.arxiv.update(arxiv or {})
        current.pmc.update(pmc or {})
        for (source, query), search in (searches or {}).items():
            current.searches.setdefault(source, {})[query] = search
        records = {"doi": current.records, "pubmed": current.pubmed, "arxiv": current.arxiv,
                   "pmc": current.pmc}
        for kind, found in (("doi", {d.lower(): e for d, e in new.items()}), ("pubmed", pubmed),
                            ("arxiv", arxiv), ("pmc", pmc)):
            for key in found or {}:
                current.not_found.get(kind, {}).pop(key, None)
        for kind, absences in (not_found or {}).items():
            for key, absence in absences.items():
                key = key.lower() if kind == "doi" else key
                current.not_found.setdefault(kind, {})[key] = absence
                records[kind].pop(key, None)
        write_atomic(path, current.dumps() + "\n")
        current.stamp = _stamp(path)
        if known is not None and current is not known:
            known.records, known.aliases, known.pubmed, known.arxiv, known.pmc, known.stamp = (
                current.records, current.aliases, current.pubmed, current.arxiv, current.pmc,
                current.stamp)
            known.searches, known.not_found = current.searches, current.not_found
        return current


class Writer:
    """Merges records into the lock from a background thread.

    A refresh hands each good record (or absence) over as it arrives and goes on fetching; the
    writes (atomic, under the file lock) happen beside it, first after ``interval``
    seconds, then at doubling intervals up to ``longest`` (a long refresh rewrites a
    large lock rarely). ``close`` writes the rest.
    """

    def __init__(self, lockfile: Lock, interval: float = 0.5, longest: float = 4.0) -> None:
        import threading

        self.lockfile = lockfile
        self.interval = interval
        self.longest = longest
        self._pending: dict[str, LockedRecord | LockedAbsence] = {}
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lock-writer", daemon=True)
        self._thread.start()

    def add(self, doi: str, entry: LockedRecord | LockedAbsence) -> None:
        with self._mutex:
            self._pending[doi] = entry

    def _flush(self) -> None:
        with self._mutex:
            batch, self._pending = self._pending, {}
        if batch:
            merge(self.lockfile.path,
                  {doi: e for doi, e in batch.items() if isinstance(e, LockedRecord)},
                  known=self.lockfile, not_found={"doi": {
                      doi: e for doi, e in batch.items() if isinstance(e, LockedAbsence)}})

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            self._flush()
            wait = min(wait * 2, self.longest)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._flush()
