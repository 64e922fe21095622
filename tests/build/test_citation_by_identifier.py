"""Citation by identifier in the build: a Manubot-style folder citing only identifiers and
aliases builds all four outputs from the metadata lock, every work listed once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from audit.manubot import short_id
from tests.build.test_build import replay_step
from tests.conftest import ROOT, render

# works of the review's lock: (DOI, PMID)
BONE = ("10.4081/oncol.2017.321", "28584570")
CRYO = ("10.3174/ajnr.a4521", "26427837")
OLIGO = ("10.1016/j.jvir.2012.10.019", "23265724")
PATCHELL = ("10.1016/s0140-6736(05)66954-1", "16112300")

METADATA = """\
title: "Citing by identifier: a Manubot-style manuscript"
author:
  - name: A. Author
    affiliation:
      - A university
journal:
  title: Skeletal Radiology
  publisher-id: skeletal-radiology
  pissn: 0364-2348
  eissn: 1432-2161
  publisher-name: Springer
"""


def make_project(root: Path) -> Path:
    """A project whose manuscript is a content/ folder citing only by identifier: a DOI (and
    the same DOI in capitals), a bare DOI, an alias line, a PMID, a manual reference."""
    content = root / "content"
    content.mkdir(parents=True)
    for name in ("pandoc", "csl"):
        shutil.copytree(ROOT / name, root / name)
    (root / "pyproject.toml").write_text('[tool.manuscript-audit]\nmanuscript = "content"\n'
                                         'style = "vancouver"\n')
    shutil.copy(ROOT / "manuscript" / "references.lock.json", content / "references.lock.json")
    (content / "metadata.yaml").write_text(METADATA)
    (content / "01.intro.md").write_text(
        "## Introduction\n\n"
        f"Spinal metastases are common [@doi:{BONE[0]}], and ablation helps "
        f"[@ablation; @{OLIGO[0]}].\nThe same work in capitals [@doi:{BONE[0].upper()}] is one "
        "work.\n")
    (content / "02.main.md").write_text(
        "## Methods\n\n"
        f"Surgery first [@pmid:{PATCHELL[1]}], and a talk [@raw:talk].\n\n"
        f"[@ablation]: doi:{CRYO[0]}\n")
    (content / "manual-references.json").write_text(json.dumps([
        {"id": "raw:talk", "type": "speech", "title": "A talk on ablation",
         "author": [{"family": "Speaker", "given": "A"}], "issued": {"date-parts": [[2024]]}}]))
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("identifiers") / "project")
    proc = render(root)
    assert proc.returncode == 0, proc.stderr
    return root


def test_every_work_is_in_each_output_once(built: Path) -> None:
    ids = [short_id(f"doi:{w[0]}") for w in (BONE, CRYO, OLIGO)] + [
        short_id(f"pmid:{PATCHELL[1]}"), short_id("raw:talk")]
    page = html.parse(str(built / "output" / "manuscript.html")).getroot()
    assert sorted(e.get("id") for e in page.xpath('//*[@id="refs"]/*[@id]')) == sorted(
        f"ref-{i}" for i in ids)
    jats = etree.parse(str(built / "output" / "manuscript.xml"))
    refs = jats.xpath("//ref-list/ref")
    assert sorted(r.get("id") for r in refs) == sorted(f"ref-{i}" for i in ids)
    pub_ids = {(p.get("pub-id-type"), p.text) for p in jats.iter("pub-id")}
    for doi, pmid in (BONE, CRYO, OLIGO, PATCHELL):  # the registrars' identifiers, as pub-ids
        assert {("doi", doi), ("pmid", pmid)} <= pub_ids
    with zipfile.ZipFile(built / "output" / "manuscript.docx") as docx:
        document = docx.read("word/document.xml").decode()
    assert document.count("Bone Metastases: An Overview") == 1
    assert "A talk on ablation" in document


def test_the_manifest_replays_the_identifier_step(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    shutil.rmtree(root / "output" / ".build")
    manifest = json.loads((root / "output" / "manifest.json").read_text())
    steps = manifest["ast"]["commands"]
    assert steps[0]["argv"] == ["python", "-m", "audit.build.identifiers"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(manifest["source_date_epoch"])}
    for step in [*steps, *manifest["outputs"]["html"]["commands"]]:
        replay_step(step, root, env)
    assert ((root / "output" / ".build" / "manuscript.html").read_bytes()
            == (built / "output" / "manuscript.html").read_bytes())


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    other = make_project(tmp_path / "elsewhere")
    proc = render(other)
    assert proc.returncode == 0, proc.stderr
    for name in ("manuscript.html", "manuscript.pdf", "manuscript.xml", "manuscript.docx"):
        assert (other / "output" / name).read_bytes() == (built / "output" / name).read_bytes()


def test_a_key_the_lock_cannot_resolve_fails_naming_it(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    (root / "output").mkdir()
    (root / "output" / "manuscript.html").write_text("previous build")
    main = root / "content" / "02.main.md"
    main.write_text(main.read_text() + "\nA new work [@doi:10.1234/not-yet-fetched].\n")
    proc = render(root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert ("content/02.main.md:7: citation key 'doi:10.1234/not-yet-fetched' "
            "(doi:10.1234/not-yet-fetched): no record in the metadata lock") in proc.stderr
    assert "nox -s refresh" in proc.stderr
    assert (root / "output" / "manuscript.html").read_text() == "previous build"


def test_an_undefined_plain_key_is_placed_in_its_own_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    main = root / "content" / "02.main.md"
    main.write_text(main.read_text() + "\nA key nobody defines [@nobody2020].\n")
    proc = render(root)
    assert proc.returncode == 1
    assert "content/02.main.md:7: citation key 'nobody2020' is not in the bibliography" in proc.stderr


def test_the_audit_of_the_folder_agrees(built: Path) -> None:
    """``manuscript-audit audit`` reads the configured folder, and its lock, as the build did."""
    proc = subprocess.run([sys.executable, "-m", "audit", "audit", "--format", "json"],
                          cwd=built, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["code"], f["key"]) for f in findings if f["severity"] != "info"] == [
        ("several-keys", f"doi:{BONE[0].upper()}")]
