"""The restructure of issue 12 changed no result: the review's four outputs and the audit's
JSON reports are what the package made before it, at commit ``BEFORE``.

The package as it was is taken from git (``git archive``) and run on the same inputs,
with the same interpreter and dependencies, beside today's: the comparison holds
whatever pandoc or typst version is installed. When an output changes on purpose
(a later issue), move ``BEFORE`` to the commit that made that change.

Outputs that left the comparison, and why:

- ``manuscript.xml`` (issue 15): the JATS changed on purpose, to be what PubMed Central
  accepts as it is (``pub-type`` on the journal's ISSNs, a ``ref-type`` on every ``xref``,
  JATS4R's ``publication-type`` values on the references). What it must be is held by
  ``tests/build/test_jats.py`` (PMC's Style Checker: no error, no warning; valid against
  the JATS DTD) and ``tests/build/test_build.py``.
- ``manuscript.html`` (issue 15): the page changed on purpose, for readers and indexers
  (Highwire/Google Scholar and OpenGraph tags in its head, a table of contents, a print
  stylesheet, each citation's references in a popover on hover or focus, by an inlined
  script). What it must be is held by ``tests/build/test_html.py`` (the tags, and in
  chromium: the links, popovers, contents and print styles; nothing fetched, no console
  error) and ``tests/build/test_build.py`` (every citation linked, byte-identical builds).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EPOCH, JATS_DTD, ROOT, copy_project, need_shared

BEFORE = "50a647f"  # main before the restructure (issue 12)
OUTPUTS = ("manuscript.pdf", "manuscript.docx")  # not the JATS nor the HTML: see above

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project at ``BEFORE``, unpacked into a folder of its own."""
    proc = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE],
                          capture_output=True)
    if proc.returncode != 0:
        fetch = subprocess.run(["git", "-C", str(ROOT), "fetch", "--quiet", "origin", BEFORE],
                               capture_output=True)
        proc = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE],
                              capture_output=True)
        assert proc.returncode == 0, (
            f"commit {BEFORE} is not in this clone (a shallow clone?): "
            f"{proc.stderr.decode()} {fetch.stderr.decode()}")
    dest = tmp_path_factory.mktemp("before") / "project"
    dest.mkdir()
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _env(package: Path | None) -> dict[str, str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "JATS_SCHEMA_DIR": str(JATS_DTD.parents[1])}
    env.pop("PYTHONPATH", None)
    if package is not None:  # the old package first on the path, before the installed one
        env["PYTHONPATH"] = str(package)
    return env


def test_the_review_builds_byte_identical_to_before(before: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(before, old, ignore=shutil.ignore_patterns("output"))
    shutil.rmtree(old / "manuscript")
    shutil.copytree(ROOT / "manuscript", old / "manuscript")  # today's manuscript, both times
    made = subprocess.run([sys.executable, "-m", "audit.render", "--root", str(old), "--force"],
                          cwd=old, env=_env(old), capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    new = copy_project(tmp_path / "new")
    made = subprocess.run([sys.executable, "-m", "audit", "build", "--root", str(new), "--force"],
                          cwd=new, env=_env(None), capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    for name in OUTPUTS:
        assert (new / "output" / name).read_bytes() == (old / "output" / name).read_bytes(), name


def _lock_of(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A metadata lock holding these CSL items as the registrar's records."""
    return {"lock-version": 1, "records": {
        str(item["DOI"]).lower(): {"fetched": "2026-01-01T00:00:00Z",
                                   "provenance": {"source": "crossref"}, "record": item}
        for item in items if str(item.get("DOI") or "").startswith("10.")}}


def _new_sources(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The lock's sections for the sources added since ``BEFORE`` (issue 14: arXiv and PMC),
    holding these CSL items' records as each source's conversion makes them, under every
    identifier the audit asks (an arXiv identifier with and without its version): the works
    the old package did not look up are then checked and pass, and the reports stay equal."""
    from audit.sources import arxiv, pmc
    from audit.sources.fake import arxiv_from_csl, pmc_from_csl

    def locked(record: dict[str, Any]) -> dict[str, Any]:
        return {"fetched": "2026-01-01T00:00:00Z", "provenance": {"source": "test"}, "record": record}

    preprints = {}
    for base, item in arxiv_from_csl(items).items():
        answered = arxiv.split_version(str(item.get("number") or base))[0] + f"v{item.get('version', 1)}"
        (entry,) = arxiv.parse_feed(arxiv.feed([arxiv.csl_to_entry(item, answered)])).entries.values()
        preprints[base] = preprints[answered] = locked(arxiv.entry_to_csl(entry))
    return {"arxiv": preprints,
            "pmc": {pmcid: locked(pmc.summary_to_csl(pmc.csl_to_summary(item, pmcid), pmcid))
                    for pmcid, item in pmc_from_csl(items).items()}}


def _cases(tmp_path: Path) -> dict[str, list[str]]:
    """Audits, by name: the review; its printed reference list; the meta-review corpus (a real
    Manubot manuscript, against a lock of its own registrar records with one changed)."""
    review = tmp_path / "review"
    shutil.copytree(ROOT / "manuscript", review)
    printed = need_shared("references", "reference-list-as-printed.txt")
    corpus = need_shared("corpora", "meta-review")
    meta = tmp_path / "meta"
    shutil.copytree(corpus / "content", meta)
    items = json.loads((corpus / "output" / "references.json").read_text("utf-8"))
    changed = [dict(item) for item in items]
    for item in changed[::7]:  # a volume or a year changed now and then: mismatches to report
        if item.get("volume"):
            item["volume"] = str(item["volume"]) + "1"
    lock = {**_lock_of(changed), **_new_sources(items)}
    (meta / "references.lock.json").write_text(json.dumps(lock), "utf-8")
    shutil.copy(corpus / "output" / "citations.tsv", meta / "citations.tsv")
    return {
        "review": ["review/review.md"],
        "printed": ["--reference-text", str(printed), "--lock", "review/references.lock.json"],
        "meta-review": ["meta/01.abstract.md", "meta/02.main-text.md", "--bibliography",
                        "meta/manual-references.json", "--tags", "meta/citations.tsv",
                        "--lock", "meta/references.lock.json"],
        "meta-review-references": ["meta/02.main-text.md", "--bibliography",
                                   str(corpus / "output" / "references.json"), "--tags",
                                   "meta/citations.tsv", "--lock", "meta/references.lock.json"],
    }


def test_the_audit_reports_what_it_reported_before(before: Path, tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    for name, args in cases.items():
        for fmt in ("json", "sarif"):
            argv = ["-m", "audit", *args, "--format", fmt, "--fail-on", "never"]
            old = subprocess.run([sys.executable, *argv], cwd=tmp_path, env=_env(before),
                                 capture_output=True, text=True, timeout=300)
            new = subprocess.run([sys.executable, *argv], cwd=tmp_path, env=_env(None),
                                 capture_output=True, text=True, timeout=300)
            assert old.returncode == 0, old.stderr
            assert new.returncode == 0, new.stderr
            assert json.loads(old.stdout)  # a real report, not an empty one
            if fmt == "sarif":  # the rules list gained doi-short, which the registry had missed
                assert _results(new.stdout) == _results(old.stdout), name
            else:  # findings gained "excerpt" (a quote of the place, for Word files): none here
                report = json.loads(new.stdout)
                for finding in report["findings"] + report["suppressed"]:
                    assert finding.pop("excerpt") is None
                assert report == json.loads(old.stdout), f"{name} ({fmt})"


def _results(sarif: str) -> list[dict[str, Any]]:
    """A SARIF report's results, each with its rule's id rather than its index."""
    run = json.loads(sarif)["runs"][0]
    results: list[dict[str, Any]] = run["results"]
    return [{**r, "ruleIndex": run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"]} for r in results]
