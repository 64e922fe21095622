"""The audit, stage after stage:

    inputs    the manuscript, its bibliography, a printed list, tags   (audit.inputs)
    works     one work per reference, each with its identifiers       (audit.works)
    lock      the registrar records kept beside the manuscript        (audit.lock)
    refresh   with --refresh: what the lock lacks, from the sources    (audit.refresh);
              references without identifiers searched for (or the lock's searches)
    checks    findings                                                 (audit.checks)
    suppress  accepted findings set aside                              (audit.suppressions)

:func:`audit` returns the findings and what a report needs; :mod:`audit.cli` renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from audit import __version__, lock, refresh, suppressions, works
from audit.checks import run_checks
from audit.checks.printed import check_parsed, check_unmatched
from audit.errors import InputError
from audit.inputs import read_inputs
from audit.model import Finding, Inputs, Outcome, Severity, Work
from audit.report import ReportContext
from audit.sources import Settings, Sources
from audit.styles import resolve_style


@dataclass
class Options:
    """What to audit and how (the command line's options)."""

    files: list[Path] = field(default_factory=list)
    bibliography: list[Path] | None = None
    reference_text: Path | None = None
    tags: Path | None = None
    lock: Path | None = None
    refresh: bool = False
    max_age: int = 365  # days
    recheck_missing: bool = False  # with refresh: ask again what the lock says is not found
    settings: Settings = field(default_factory=Settings)
    suppressions: Path | None = None
    style: str | None = None  # for the side-by-side view; default: the manuscript's or the project's
    project_style: str | None = None  # the project's configured style
    html: Path | None = None
    jats: Path | None = None
    fail_on: str = "error"
    strict: bool = False  # a reference the registrars' searches do not find is an error


@dataclass
class Result:
    """The findings kept, and the context every report format needs."""

    findings: list[Finding]
    context: ReportContext


def audit(options: Options) -> Result:
    if not options.files and not options.reference_text:
        raise InputError("nothing to audit: give Markdown file(s) and/or --reference-text FILE")
    first = options.files[0] if options.files else options.reference_text
    assert first is not None
    beside = first if first.is_dir() else first.parent  # a Manubot manuscript is a folder
    inputs = read_inputs(options.files, options.bibliography, options.reference_text, options.tags)
    lockfile = lock.Lock.load(options.lock or beside / lock.DEFAULT_NAME)

    found = works.works_from(inputs)
    extra = [*inputs.findings, *check_parsed(inputs)]
    found = works.with_short_dois(found, {
        w.short_doi: Outcome(w.short_doi, "ok", record={"DOI": alias}, source="lock")
        for w in found if w.short_doi and (alias := lockfile.alias(w.short_doi))})
    fetched = refresh.Fetched()
    aliases: dict[str, dict[str, Any]] = {}
    sources = (Sources(options.settings, total_deadline=60.0, deadline_per_item=1.0)
               if options.refresh else None)
    if sources is not None:
        found, aliases = refresh.expand_short_dois(found, sources)
    searches = (refresh.search(found, lockfile, sources, timedelta(days=options.max_age))
                if sources is not None else lockfile.search_answers())
    found = works.with_searches(found, searches)
    found, matched = works.matched_printed(found, {doi: e.record for doi, e in lockfile.records.items()})
    extra += matched
    extra += check_unmatched(found)
    dois = list(dict.fromkeys(w.doi for w in found if w.doi))
    pmids = list(dict.fromkeys(w.pmid for w in found if w.pmid))
    arxiv_ids = list(dict.fromkeys(a for w in found if (a := works.arxiv_id(w))))
    pmcids = list(dict.fromkeys(p for w in found if (p := works.pmcid(w))))
    if sources is not None:
        fetched = refresh.fetch(dois, pmids, lockfile, sources, timedelta(days=options.max_age),
                                aliases, arxiv_ids, pmcids, options.recheck_missing)
    doi_answers = lock.answers(dois, lockfile.get, fetched.dois, options.refresh,
                               partial(lockfile.absent, "doi"))
    pmid_answers = lock.answers(pmids, lockfile.get_pmid, fetched.pmids, options.refresh,
                                partial(lockfile.absent, "pubmed"))
    arxiv_answers = lock.answers(arxiv_ids, lockfile.get_arxiv, fetched.arxiv, options.refresh,
                                 partial(lockfile.absent, "arxiv"))
    pmc_answers = lock.answers(pmcids, lockfile.get_pmcid, fetched.pmcids, options.refresh,
                               partial(lockfile.absent, "pmc"))
    extra += _outputs(options, inputs)
    findings = run_checks(inputs, found, doi_answers, pmid_answers, extra, arxiv_answers,
                          pmc_answers, strict=options.strict)

    rules = suppressions.load_suppressions(
        options.suppressions or beside / suppressions.DEFAULT_FILENAME,
        required=options.suppressions is not None)
    kept, suppressed, _unused = suppressions.apply_suppressions(findings, rules)
    context = ReportContext(
        tool_version=__version__,
        inputs=[str(p) for p in [*options.files, *([options.reference_text]
                                                    if options.reference_text else [])]],
        suppressed=suppressed,
        references={w.key: w.item for w in found},
        registered=_registered(found, doi_answers, pmid_answers, pmc_answers, arxiv_answers),
        style_path=_style_path(options, inputs),
        fail_on=Severity(options.fail_on) if options.fail_on != "never" else Severity.ERROR,
        n_references=len(inputs.entries) or len(inputs.printed),
        n_citations=len(inputs.manuscript.citations) if inputs.manuscript else None,
    )
    return Result(kept, context)


def _outputs(options: Options, inputs: Inputs) -> list[Finding]:
    """The built HTML and JATS, if given: every citation links to a reference."""
    if not (options.html or options.jats):
        return []
    from audit.checks import outputs  # lxml.html: only for built outputs

    # works, not keys: keys that name one work (an alias and its DOI) are one reference
    n_cited = len({works.name_of(works.dealiased(key, inputs.aliases))
                   for key in inputs.manuscript.cited_keys}) if inputs.manuscript else 0
    found: list[Finding] = []
    if options.html:
        found += outputs.check_html(options.html, n_cited)
    if options.jats:
        found += outputs.check_jats(options.jats, n_cited)
    return found


def _registered(found: list[Work], dois: dict[str, Outcome], pmids: dict[str, Outcome],
                pmc: dict[str, Outcome], arxiv: dict[str, Outcome]) -> dict[str, dict[str, Any]]:
    """Each key's record as registered, for the side-by-side view: its DOI's, else PubMed's,
    else PMC's, else arXiv's."""
    registered: dict[str, dict[str, Any]] = {}
    for work in found:
        pmcid, arxiv_id = works.pmcid(work), works.arxiv_id(work)
        for said in (dois.get(work.doi) if work.doi else None,
                     pmids.get(work.pmid) if work.pmid else None,
                     pmc.get(pmcid) if pmcid else None,
                     arxiv.get(arxiv_id) if arxiv_id else None):
            if said is not None and said.record:
                registered[work.key] = said.record
                break
    return registered


def _style_path(options: Options, inputs: Inputs) -> Path | None:
    """The CSL style of the side-by-side view: ``--style``, else the manuscript's own ``csl:``,
    else the project's configured style (a style that cannot be used: plain text)."""
    if options.style:
        return resolve_style(options.style).path
    csl = inputs.manuscript.metadata.get("csl") if inputs.manuscript else None
    for spec in (csl, options.project_style):
        if spec:
            try:
                return resolve_style(str(spec)).path
            except InputError:
                continue
    return None
