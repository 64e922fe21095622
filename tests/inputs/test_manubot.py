"""A Manubot manuscript is a folder: ``content/`` with its Markdown files, metadata, manual
references and tags, read as Manubot reads it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from audit.inputs import read_inputs
from audit.sources.fake import (
    FakeRegistrar,
    aliases_from_citations_tsv,
    arxiv_from_csl,
    records_from_csl,
)
from tests.conftest import SOURCE_URLS, need_shared

DOI = "10.1098/rsif.2017.0387"


def audit(folder: Path, *args: str, server: FakeRegistrar | None = None) -> dict[str, Any]:
    env = {**os.environ}
    if server is not None:
        env |= dict.fromkeys(SOURCE_URLS, server.url)
    proc = subprocess.run([sys.executable, "-m", "audit", str(folder), "--format", "json",
                           "--fail-on", "never", *args], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def test_the_meta_review_folder_audits_with_no_false_finding(tmp_path: Path) -> None:
    """The real Manubot manuscript, as its authors keep it: refreshed against a registrar
    serving its works' records, then offline from the lock that wrote: no undefined citation
    (its 9 alias lines are aliases, its template expressions are no citations) and no error;
    the same verdicts online and offline."""
    corpus = need_shared("corpora", "meta-review")
    project = tmp_path / "meta-review"
    shutil.copytree(corpus / "content", project / "content")
    items = json.loads((corpus / "output" / "references.json").read_text("utf-8"))
    aliases = aliases_from_citations_tsv((corpus / "output" / "citations.tsv").read_text("utf-8"))
    with FakeRegistrar(records_from_csl(items), aliases=aliases, arxiv=arxiv_from_csl(items)) as server:
        online = audit(project, "--refresh", server=server)
    offline = audit(project)
    assert offline == online
    codes = offline["summary"]["by_code"]
    assert "undefined-citation" not in codes and offline["summary"]["by_severity"]["error"] == 0
    assert offline["summary"]["by_severity"]["unverified"] == 0
    # the lock and the suppressions are kept in the manuscript's folder
    assert json.loads((project / "references.lock.json").read_text())["records"]


def test_a_content_folder_is_read_as_manubot_reads_it(tmp_path: Path) -> None:
    content = tmp_path / "project" / "content"
    content.mkdir(parents=True)
    (content / "02.main.md").write_text("Second [@deep-review; @tag:legacy; @raw:talk].\n\n"
                                        f"[@deep-review]: doi:{DOI}\n")
    (content / "01.intro.md").write_text("First [@doi:10.1101/142760; @pmid:20170387].\n")
    (content / "metadata.yaml").write_text("title: A manuscript\ncitekey-aliases:\n  dr: doi:x\n")
    (content / "citation-tags.tsv").write_text("tag\tcitation\nlegacy\tpmid:20170387\n")
    (content / "manual-references.json").write_text(json.dumps([
        {"id": "raw:talk", "type": "speech", "title": "A talk"},
        {"id": "unused", "type": "webpage", "title": "Never cited",
         "note": "standard_id: url:https://example.org/unused"}]))
    inputs = read_inputs([tmp_path / "project"])
    assert inputs.manuscript is not None
    assert [p.name for p in inputs.manuscript.files] == ["01.intro.md", "02.main.md"]
    assert [c.key for c in inputs.manuscript.citations] == [
        "doi:10.1101/142760", "pmid:20170387", "deep-review", "tag:legacy", "raw:talk"]
    assert inputs.manuscript.metadata["title"] == "A manuscript"
    assert inputs.aliases == {"dr": "doi:x", "deep-review": f"doi:{DOI}",
                              "tag:legacy": "pmid:20170387"}
    assert {e.key: e.listed for e in inputs.entries} == {
        "raw:talk": False, "url:https://example.org/unused": False}
    report = audit(tmp_path / "project")
    codes = {(f["code"], f["key"]) for f in report["findings"]}
    assert ("several-keys", "tag:legacy") in codes  # pmid:20170387 cited through its tag too
    assert not {c for c in codes if c[0] in ("undefined-citation", "uncited-reference")}


def test_a_folder_without_markdown_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = subprocess.run([sys.executable, "-m", "audit", str(tmp_path / "empty")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "no Markdown files" in proc.stderr
