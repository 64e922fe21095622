"""A printed reference list: entries that could not be parsed, and entries without a DOI
that no registered record matches."""

from __future__ import annotations

from audit.model import Finding, Inputs, Severity, Work
from audit.works import lacks_doi


def check_parsed(inputs: Inputs) -> list[Finding]:
    """reference-unparsed: the parts of printed entries that could not be read."""
    return [Finding("reference-unparsed", Severity.WARNING, "; ".join(ref.problems),
                    key=ref.name, file=ref.file, line=ref.line, excerpt=ref.excerpt)
            for ref in inputs.printed if ref.problems]


def check_unmatched(works: list[Work]) -> list[Finding]:
    """doi-missing: a printed reference still without a DOI (none printed, none matched), and
    that the registrars' searches did not settle (found or not: see checks.existence)."""
    return [work.finding("doi-missing", Severity.WARNING,
                         "no DOI printed and no registered record matches: cannot be verified")
            for work in works if work.origin == "printed" and lacks_doi(work)
            and (work.searched is None or not work.searched.complete)]
