"""Stage 3b, online (``--refresh``): ask the sources for what the lock lacks or has held too
long, and lock every good answer.

- shortDOIs the lock does not know are expanded (doi.org's handle API);
- references without identifiers are searched for (Crossref's bibliographic search, then
  PubMed's), and the searches locked;
- DOIs, PMIDs, arXiv identifiers and PMCIDs missing from the lock, or older than
  ``max_age``, are fetched (Crossref, then doi.org; PubMed; arXiv; PMC), side by side.
  Good answers (and a source's word that there is no such thing) are saved as they come,
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
from audit.model import Outcome, Work, now_iso
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


def search(found: list[Work], lockfile: lock.Lock, sources: Sources, max_age: timedelta
           ) -> dict[tuple[str, str], Outcome]:
    """The searches that decide whether each reference without identifiers exists
    (:func:`audit.works.search_plan`), by ``(source, query)``: the lock's, where they found it
    and are no older than ``max_age``; else made again, Crossref's then PubMed's, each only
    while those before found nothing that agrees. Every good answer is locked as it comes
    (a reference not found is searched again by every refresh: it may be registered since)."""
    todo = [w for w in found if works.needs_search(w)]
    locked = lockfile.search_answers(max_age) if todo else {}
    answers: dict[tuple[str, str], Outcome] = {}
    for work in todo:
        said = works.searched(work, locked)
        if said.found is not None:
            answers.update({(s, q): o for s, q, o in said.asked if o is not None})
    while steps := works.next_searches(todo, answers):
        made: dict[tuple[str, str], lock.LockedSearch] = {}
        for source, ask in ((works.CROSSREF, sources.registrar.crossref.search_many),
                            (works.PUBMED, sources.pubmed.search_many)):
            queries = [q for s, q in steps if s == source]
            outcomes = ask(queries, works.SEARCH_ROWS) if queries else []
            for query, outcome in zip(queries, outcomes, strict=True):
                if outcome.status == "ok":  # as the lock gives it back, so that offline is the same
                    made[(source, query)] = lock.LockedSearch.of(outcome)
                    outcome = made[(source, query)].outcome(query)
                answers[(source, query)] = outcome
        if made:
            lock.merge(lockfile.path, {}, known=lockfile, searches=made)
    return answers


@dataclass
class Fetched:
    """What the sources could not answer, by DOI, PMID, arXiv identifier and PMCID (good
    answers are in the lock)."""

    dois: dict[str, Outcome] = field(default_factory=dict)
    pmids: dict[str, Outcome] = field(default_factory=dict)
    arxiv: dict[str, Outcome] = field(default_factory=dict)
    pmcids: dict[str, Outcome] = field(default_factory=dict)


def _sort(answers: Mapping[str, Outcome], failed: dict[str, Outcome],
          absent: dict[str, lock.LockedAbsence]) -> dict[str, lock.LockedRecord]:
    """The good answers, as locked; the others into ``failed``, and the sources' word that
    there is no such thing, as locked, into ``absent`` too."""
    good = {}
    for key, outcome in answers.items():
        if outcome.status == "ok" and outcome.record is not None:
            good[key] = lock.LockedRecord.of(outcome)
        else:
            failed[key] = outcome
            if outcome.status == "not-found":
                absent[key] = lock.LockedAbsence.of(outcome)
    return good


def fetch(dois: list[str], pmids: list[str], lockfile: lock.Lock, sources: Sources,
          max_age: timedelta, aliases: Mapping[str, dict[str, Any]] | None = None,
          arxiv_ids: list[str] | None = None, pmcids: list[str] | None = None,
          recheck_missing: bool = False) -> Fetched:
    """Fetch the DOIs, PMIDs, arXiv identifiers and PMCIDs that are missing from the lock or
    stale (with ``recheck_missing``: every one the lock says its source does not know, too),
    side by side, and lock the good answers and the not-found ones (with ``aliases``, the
    shortDOIs expanded this run)."""

    def stale(kind: str, keys: list[str] | None) -> list[str]:
        return [k for k in dict.fromkeys(keys or [])
                if not lockfile.settled(kind, k, max_age, recheck_missing)]

    stale_dois, stale_pmids = stale("doi", dois), stale("pubmed", pmids)
    stale_arxiv, stale_pmcids = stale("arxiv", arxiv_ids), stale("pmc", pmcids)
    failed = Fetched()
    pubmed: dict[str, lock.LockedRecord] = {}
    arxiv: dict[str, lock.LockedRecord] = {}
    pmc: dict[str, lock.LockedRecord] = {}
    absent: dict[str, dict[str, lock.LockedAbsence]] = {"pubmed": {}, "arxiv": {}, "pmc": {}}
    if stale_dois or stale_pmids or stale_arxiv or stale_pmcids:
        writer = lock.Writer(lockfile, LOCK_FLUSH_SECONDS)

        def on_result(outcome: Outcome) -> None:
            if outcome.status == "ok" and outcome.record is not None:
                writer.add(outcome.asked, lock.LockedRecord.of(outcome))
            else:
                failed.dois[outcome.asked] = outcome
                if outcome.status == "not-found":
                    writer.add(outcome.asked, lock.LockedAbsence.of(outcome))

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
        pubmed = _sort(by_pmid, failed.pmids, absent["pubmed"])
        arxiv = _sort(by_arxiv, failed.arxiv, absent["arxiv"])
        pmc = _sort(by_pmcid, failed.pmcids, absent["pmc"])
    if aliases or pubmed or arxiv or pmc or any(absent.values()):
        # after the records: an alias is locked with its DOI
        lock.merge(lockfile.path, {}, known=lockfile, aliases=aliases, pubmed=pubmed, arxiv=arxiv,
                   pmc=pmc, not_found=absent)
    return failed
