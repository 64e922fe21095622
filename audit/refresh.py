"""Stage 3b, online (``--refresh``): ask the sources for what the lock lacks or has held too
long, and lock every good answer.

- shortDOIs the lock does not know are expanded (doi.org's handle API);
- references without a DOI are searched for (Crossref's bibliographic search);
- DOIs, PMIDs, arXiv identifiers and PMCIDs missing from the lock, or older than
  ``max_age``, are fetched (Crossref, then doi.org; PubMed; arXiv; PMC), side by side.
  Good answers are saved as they come,
  every half second at first (:class:`audit.lock.Writer`), so an interrupted refresh
  keeps its work; an error is never locked.

What the sources could not answer comes back as failures, which the audit reports
in place of the lock's (older) record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import Any

from audit import lock, works
from audit.model import Finding, Outcome, Work, now_iso
from audit.sources import Sources

LOCK_FLUSH_SECONDS = 0.5  # how soon a refresh first saves what it has fetched


class Progress:
    """A progress bar on stderr while fetching (silent when stderr is not a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        console = Console(stderr=True)
        self.bar = Bar("fetching registrar records", BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), console=console, transient=True,
                       disable=not console.is_terminal)
        self.task = self.bar.add_task("fetch", total=0)

    def __enter__(self) -> Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.__exit__(kind, value, tb)

    def advance_to(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)


def expand_short_dois(found: list[Work], sources: Sources) -> tuple[list[Work], dict[str, dict[str, Any]]]:
    """The works with the shortDOIs the lock did not know expanded by doi.org, and what
    expanded, as the lock's aliases."""
    shorts = [w.short_doi for w in found if w.short_doi and w.short is None]
    if not shorts:
        return found, {}
    outcomes = sources.registrar.doi_org.expand_many(shorts)
    aliases = {short.lower(): {"doi": o.record["DOI"], "fetched": now_iso(),
                               "provenance": {"source": o.source, "url": o.url}}
               for short, o in outcomes.items() if o.status == "ok" and o.record}
    return works.with_short_dois(found, outcomes), aliases


def search(found: list[Work], sources: Sources) -> tuple[list[Work], list[Finding]]:
    """References without a DOI, searched for at Crossref: a clear top hit is their DOI."""
    todo = [w for w in found if works.needs_search(w)]
    if not todo:
        return found, []
    outcomes = sources.registrar.crossref.search_many([works.query_text(w) for w in todo])
    hits = {w.key: list(o.candidates) for w, o in zip(todo, outcomes, strict=True) if o.status == "ok"}
    return works.suggested(found, hits)


@dataclass
class Fetched:
    """What the sources could not answer, by DOI, PMID, arXiv identifier and PMCID (good
    answers are in the lock)."""

    dois: dict[str, Outcome] = field(default_factory=dict)
    pmids: dict[str, Outcome] = field(default_factory=dict)
    arxiv: dict[str, Outcome] = field(default_factory=dict)
    pmcids: dict[str, Outcome] = field(default_factory=dict)


def _sort(answers: Mapping[str, Outcome], failed: dict[str, Outcome]) -> dict[str, lock.LockedRecord]:
    """The good answers, as locked; the others into ``failed``."""
    good = {}
    for key, outcome in answers.items():
        if outcome.status == "ok" and outcome.record is not None:
            good[key] = lock.LockedRecord.of(outcome)
        else:
            failed[key] = outcome
    return good


def fetch(dois: list[str], pmids: list[str], lockfile: lock.Lock, sources: Sources,
          max_age: timedelta, aliases: Mapping[str, dict[str, Any]] | None = None,
          arxiv_ids: list[str] | None = None, pmcids: list[str] | None = None) -> Fetched:
    """Fetch the DOIs, PMIDs, arXiv identifiers and PMCIDs that are missing from the lock or
    stale, side by side, and lock the good answers (with ``aliases``, the shortDOIs
    expanded this run)."""
    stale_dois = [d for d in dict.fromkeys(dois) if not lockfile.is_fresh(d, max_age)]
    stale_pmids = [p for p in dict.fromkeys(pmids) if not lockfile.is_fresh_pmid(p, max_age)]
    stale_arxiv = [a for a in dict.fromkeys(arxiv_ids or []) if not lockfile.is_fresh_arxiv(a, max_age)]
    stale_pmcids = [p for p in dict.fromkeys(pmcids or []) if not lockfile.is_fresh_pmcid(p, max_age)]
    failed = Fetched()
    pubmed: dict[str, lock.LockedRecord] = {}
    arxiv: dict[str, lock.LockedRecord] = {}
    pmc: dict[str, lock.LockedRecord] = {}
    if stale_dois or stale_pmids or stale_arxiv or stale_pmcids:
        writer = lock.Writer(lockfile, LOCK_FLUSH_SECONDS)

        def on_result(outcome: Outcome) -> None:
            if outcome.status == "ok" and outcome.record is not None:
                writer.add(outcome.asked, lock.LockedRecord.of(outcome))
            else:
                failed.dois[outcome.asked] = outcome

        async def all_sources() -> tuple[dict[str, Outcome], dict[str, Outcome], dict[str, Outcome]]:
            with Progress() as progress:
                _, by_pmid, by_arxiv, by_pmcid = await asyncio.gather(
                    sources.registrar.afetch_many(stale_dois, progress.advance_to, on_result),
                    sources.pubmed.afetch_many(stale_pmids),
                    sources.arxiv.afetch_many(stale_arxiv),
                    sources.pmc.afetch_many(stale_pmcids))
            return by_pmid, by_arxiv, by_pmcid

        try:
            by_pmid, by_arxiv, by_pmcid = asyncio.run(all_sources())
        finally:
            writer.close()
        pubmed = _sort(by_pmid, failed.pmids)
        arxiv = _sort(by_arxiv, failed.arxiv)
        pmc = _sort(by_pmcid, failed.pmcids)
    if aliases or pubmed or arxiv or pmc:  # after the records: an alias is locked with its DOI
        lock.merge(lockfile.path, {}, known=lockfile, aliases=aliases, pubmed=pubmed, arxiv=arxiv,
                   pmc=pmc)
    return failed
