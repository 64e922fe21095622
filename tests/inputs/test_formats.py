"""One manuscript in every format the audit reads: the same findings, offline and online.

A small review citing real works of the repository's bibliography, with one seeded defect
of each kind the audit reports (a DOI of another work, a wrong year, a typo in a title, a
retracted work, the same work twice, a key cited but not listed, a work listed but not
cited), and clean entries. It is written as Markdown (the reference), and as each other
format by the writers beside this module; each is audited offline from a lock of the
works' registered records, and online (``--refresh``) against the fake registrar serving
them. Findings are compared by code and work (each format names a work its own way: a
key, a number, a reference manager's item key, a JATS id).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from audit.compare import normalize_text
from audit.sources.fake import FakeRegistrar
from tests.conftest import ROOT
from tests.inputs import make_docx, make_jats, make_latex
from tests.inputs.spec import Spec, write_markdown

pytestmark = pytest.mark.slow

CLEAN = ("tomasian2016", "khan2018", "levy2020", "cazzato2020")
RETRACTION_NOTICE = "10.9999/notice-of-retraction"


def _review() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    items = json.loads((ROOT / "manuscript" / "references.json").read_text("utf-8"))
    lock = json.loads((ROOT / "manuscript" / "references.lock.json").read_text("utf-8"))
    return items, lock


def seeded() -> tuple[Spec, dict[str, Any], dict[str, str]]:
    """The spec, the lock of registered records, and each seeded defect's key by kind."""
    items, lock = _review()
    by_id = {item["id"]: item for item in items}
    keep = ("id", "type", "title", "author", "container-title", "issued", "volume", "issue",
            "page", "DOI")

    def item(key: str, **changes: Any) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in by_id[key].items() if k in keep}
        out.update(changes)
        return out

    wrong_doi = item("mcmenomy2013", DOI=by_id["dalton2012"]["DOI"])  # another work's DOI
    wrong_year = item("cazzato2022", issued={"date-parts": [[2019]]})
    title = str(by_id["fisher2010"]["title"])
    typo = item("fisher2010", title=title.replace("Classification", "Clasification", 1))
    retracted = item("berenson2011")
    duplicate = item("sorensen2019", id="sorensen2019b")  # the same work under a second key
    uncited = item("schag1984")
    listed = [item(k) for k in CLEAN[:2]] + [wrong_doi, wrong_year, typo, item(CLEAN[2]),
                                             retracted, item("sorensen2019"), duplicate,
                                             item(CLEAN[3]), uncited]
    paragraphs = (
        "Percutaneous thermal ablation relieves pain from spinal metastases [@tomasian2016; "
        "@khan2018], and cryoablation controls oligometastatic disease [@mcmenomy2013].",
        "Complications are uncommon [@cazzato2022], and instability is scored with the SINS "
        "[@fisher2010]. Radiofrequency ablation palliates [@levy2020].",
        "Balloon kyphoplasty reduces pain from fractures [@berenson2011]; vertebral augmentation "
        "has been reviewed [@sorensen2019; @sorensen2019b] and its complications too "
        "[@cazzato2020]. A claim cites a work nobody listed [@nosuch2021].",
    )
    spec = Spec("Thermal ablation of spinal metastases: a seeded review", paragraphs,
                tuple(listed))
    records = {doi: copy.deepcopy(entry) for doi, entry in lock["records"].items()}
    doi = str(retracted["DOI"]).lower()
    records[doi]["record"]["updates"] = [{"type": "retraction", "DOI": RETRACTION_NOTICE,
                                          "source": "publisher", "label": "Retraction"}]
    seeds = {"wrong-doi": "mcmenomy2013", "wrong-year": "cazzato2022", "typo": "fisher2010",
             "retracted": "berenson2011", "duplicate": "sorensen2019b",
             "undefined": "nosuch2021", "uncited": "schag1984"}
    return spec, {"lock-version": 1, "records": records}, seeds


def audit(path: Path, lock: dict[str, Any], *extra: str, server: FakeRegistrar | None = None
          ) -> list[dict[str, Any]]:
    lock_path = path.parent / "references.lock.json"
    lock_path.write_text(json.dumps(lock), "utf-8")
    env = {**os.environ}
    if server is not None:
        env |= {"AUDIT_CROSSREF_URL": server.url, "AUDIT_DOI_URL": server.url,
                "AUDIT_PUBMED_URL": server.url}
    proc = subprocess.run([sys.executable, "-m", "audit", str(path), "--format", "json",
                           "--lock", str(lock_path), *extra], capture_output=True, text=True,
                          cwd=path.parent, env=env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return findings


def work_of(spec: Spec, finding: dict[str, Any]) -> str:
    """The spec key of the work a finding is about, however the format names it."""
    key = str(finding["key"] or "")
    ids = [item["id"] for item in spec.items]
    if key.startswith("#") and key[1:].isdigit():
        return spec.key_of(int(key[1:])) or key
    for candidate in (key, key.removeprefix("ref-")):
        if candidate in ids or candidate == "nosuch2021":
            return candidate
    managers = {name: k for k in ids for name in (make_docx.zotero_key(k), make_docx.mendeley_key(k),
                                                    str(make_docx.endnote_number(spec, k)))}
    if key in managers:  # a reference manager's own key for the item
        return managers[key]
    title = normalize_text(str(finding.get("found") or ""))
    return next((i["id"] for i in spec.items if normalize_text(i["title"]) == title), key)


def summary(spec: Spec, findings: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    """(code, work, field) of each finding that is about the seeded defects or a clean work."""
    return {(f["code"], work_of(spec, f), f["field"]) for f in findings
            if f["severity"] in ("error", "warning")}


def expected(seeds: dict[str, str]) -> set[tuple[str, str, str | None]]:
    """What the audit must find in the seeded review, whatever its format."""
    return {
        ("metadata-mismatch", seeds["wrong-doi"], "title"),
        ("metadata-mismatch", seeds["wrong-year"], "year"),
        ("metadata-mismatch", seeds["typo"], "title"),
        ("retracted", seeds["retracted"], "DOI"),
        ("duplicate-work", seeds["duplicate"], "DOI"),
        ("undefined-citation", seeds["undefined"], None),
        ("uncited-reference", seeds["uncited"], None),
    }


@pytest.fixture(scope="module")
def review() -> tuple[Spec, dict[str, Any], dict[str, str]]:
    return seeded()


@pytest.fixture(scope="module")
def reference(review: tuple[Spec, dict[str, Any], dict[str, str]],
              tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str, str | None]]:
    """What the audit finds in the Markdown version, offline: every seeded defect, nothing
    about the clean works."""
    spec, lock, seeds = review
    found = summary(spec, audit(write_markdown(spec, tmp_path_factory.mktemp("md")), lock))
    assert expected(seeds) <= found, sorted(expected(seeds) - found)
    assert not {f for f in found if f[1] in CLEAN}
    return found


WRITERS: dict[str, Callable[[Spec, Path], Path]] = {
    "markdown": write_markdown,
    "jats": make_jats.write_jats,
    "jats-mixed": functools.partial(make_jats.write_jats, mixed=True),
    "latex": make_latex.write_latex,
    "latex-natbib": functools.partial(make_latex.write_latex, natbib=True),
    "thebibliography": make_latex.write_thebibliography,
    "docx-zotero": make_docx.write_zotero,
    "docx-mendeley": make_docx.write_mendeley,
    "docx-endnote": make_docx.write_endnote,
    "docx-typed": make_docx.write_typed,
}
# what a format cannot hold: a reference manager's field carries the item it cites (no
# citation can name an item the document lacks, and every item is cited)
FIELDS_CANNOT = {"undefined-citation", "uncited-reference"}
CANNOT: dict[str, set[str]] = {f"docx-{tool}": FIELDS_CANNOT for tool in ("zotero", "mendeley", "endnote")}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_the_same_findings_as_markdown_offline_and_online(
        fmt: str, review: tuple[Spec, dict[str, Any], dict[str, str]],
        reference: set[tuple[str, str, str | None]], tmp_path: Path) -> None:
    spec, lock, _ = review
    path = WRITERS[fmt](spec, tmp_path / fmt)
    offline = summary(spec, audit(path, lock))
    assert offline == {f for f in reference if f[0] not in CANNOT.get(fmt, set())}
    records = {doi: entry["record"] for doi, entry in lock["records"].items()}
    with FakeRegistrar(records) as server:
        online = summary(spec, audit(path, {"lock-version": 1, "records": {}}, "--refresh",
                                     server=server))
    assert online == offline
