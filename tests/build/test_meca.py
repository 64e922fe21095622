"""The MECA package (issue 15): ``output/manuscript-meca.zip`` (NISO RP-30-2020) holds the JATS as
its article metadata with the figures it names, and the PDF and DOCX as the manuscript, each
listed in a ``manifest.xml`` valid against the MECA manifest DTD 1.0 shipped with the package;
nothing unlisted; the same bytes at every build; recorded and replayable like the other outputs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from audit import safexml
from audit.build.formats import meca
from tests.build.test_build import replay_step
from tests.conftest import JATS_DTD, ROOT, copy_project, render

MECA_DTD = ROOT / "audit" / "build" / "formats" / "meca-1.0" / "manifest-1.0.dtd"
NS = {"m": "https://manuscriptexchange.org/schema/manifest"}
HREF = "{http://www.w3.org/1999/xlink}href"
PACKAGE = "manuscript-meca.zip"
STAMP = (2023, 11, 14, 22, 13, 20)  # SOURCE_DATE_EPOCH of the tests (conftest.EPOCH)


def manifest_of(path: Path) -> Any:
    """The package's manifest.xml, parsed as XML from outside is (no DTD, no entities)."""
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read("manifest.xml"), safexml.parser()).getroottree()


def listed(path: Path) -> list[tuple[str, str, str]]:
    """(item-type, href, media-type) of each item, in the manifest's order."""
    return [(item.get("item-type"), item.find("m:instance", NS).get(HREF),
             item.find("m:instance", NS).get("media-type"))
            for item in manifest_of(path).getroot().iterfind("m:item", NS)]


def test_the_manifest_is_valid_against_the_shipped_meca_dtd(built: Path) -> None:
    doc = manifest_of(built / PACKAGE)
    dtd = etree.DTD(str(MECA_DTD))
    assert dtd.validate(doc), [f"{e.line}: {e.message}" for e in dtd.error_log]
    assert doc.docinfo.public_id == "-//MECA//DTD Manifest v1.0//en"
    assert doc.getroot().get("manifest-version") == "1"
    # the items are what every item must carry (the DTD leaves them optional)
    for item in doc.getroot().iterfind("m:item", NS):
        assert len(item.findall("m:instance", NS)) == 1
        assert item.get("item-type") and item.find("m:instance", NS).get("media-type")


def test_it_holds_the_jats_its_figure_the_pdf_and_the_docx(built: Path) -> None:
    assert listed(built / PACKAGE) == [
        ("article-metadata", "manuscript.xml", "application/xml"),
        ("article-supporting-file", "figures/treatment-selection.svg", "image/svg+xml"),
        ("manuscript", "manuscript.pdf", "application/pdf"),
        ("manuscript", "manuscript.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]
    with zipfile.ZipFile(built / PACKAGE) as zf:
        for name in ("manuscript.xml", "manuscript.pdf", "manuscript.docx"):  # the outputs, as built
            assert zf.read(name) == (built / name).read_bytes(), name
        assert zf.read("figures/treatment-selection.svg") == (
            ROOT / "manuscript" / "figures" / "treatment-selection.svg").read_bytes()


def test_every_listed_file_is_in_the_zip_and_every_member_is_listed(built: Path) -> None:
    hrefs = [href for _, href, _ in listed(built / PACKAGE)]
    with zipfile.ZipFile(built / PACKAGE) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert len(set(names)) == len(names)
    assert names == ["manifest.xml", *hrefs]  # the manifest itself first, then as listed
    assert not [n for n in names if n.endswith("/")]  # no directory entries


def test_the_jats_inside_is_valid_and_its_figures_are_there(built: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(built / PACKAGE) as zf:
        names = set(zf.namelist())
        (tmp_path / "manuscript.xml").write_bytes(zf.read("manuscript.xml"))
    doc = etree.parse(str(tmp_path / "manuscript.xml"), safexml.parser())
    dtd = etree.DTD(str(JATS_DTD))
    assert dtd.validate(doc), [f"{e.line}: {e.message}" for e in dtd.error_log]
    figures = doc.xpath("//graphic/@xlink:href | //inline-graphic/@xlink:href",
                        namespaces={"xlink": "http://www.w3.org/1999/xlink"})
    assert figures == ["figures/treatment-selection.svg"]
    supporting = {href for kind, href, _ in listed(built / PACKAGE) if kind == "article-supporting-file"}
    assert set(figures) <= names and set(figures) == supporting


def test_the_zip_is_dated_stored_and_made_alike_anywhere(built: Path) -> None:
    with zipfile.ZipFile(built / PACKAGE) as zf:
        infos = zf.infolist()
    assert {info.date_time for info in infos} == {STAMP}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
    assert {(info.create_system, info.external_attr >> 16) for info in infos} == {(3, 0o100644)}
    assert all(not info.extra and not info.comment for info in infos)


def test_two_builds_give_the_same_bytes(built: Path, tmp_path: Path) -> None:
    """Another copy of the project, elsewhere, building the package alone (as ``nox -s meca``
    does): it builds what it holds, and the bytes are the full build's."""
    other = copy_project(tmp_path / "elsewhere" / "project")
    proc = render(other, "meca")
    assert proc.returncode == 0, proc.stderr
    assert "building pdf, jats, docx, meca" in proc.stderr  # the HTML is not in it: not built
    assert (other / "output" / PACKAGE).read_bytes() == (built / PACKAGE).read_bytes()
    assert not (other / "output" / "manuscript.html").exists()
    again = render(other, "meca")
    assert again.returncode == 0 and "up to date" in again.stderr


def test_the_manifest_records_it_and_its_command_replays_it(built: Path, tmp_path: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    entry = manifest["outputs"]["meca"]
    assert entry["file"] == f"output/{PACKAGE}"
    assert entry["sha256"] == hashlib.sha256((built / PACKAGE).read_bytes()).hexdigest()
    (step,) = entry["commands"]
    assert step["argv"][:3] == ["python", "-m", "audit.build.formats.meca"]
    # replayed after the steps of what it holds, as a user would run them
    root = tmp_path / "project"
    shutil.copytree(built.parent, root)
    shutil.rmtree(root / "output" / ".build")
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(manifest["source_date_epoch"])}
    for target in ("ast", "jats", "pdf", "docx", "meca"):
        steps = manifest["ast"] if target == "ast" else manifest["outputs"][target]
        for one in steps["commands"]:
            replay_step(one, root, env)
    assert (root / "output" / ".build" / PACKAGE).read_bytes() == (built / PACKAGE).read_bytes()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _previous(project: Path) -> dict[str, bytes]:
    out = project / "output"
    out.mkdir(exist_ok=True)
    previous = {}
    for name in (PACKAGE, "manuscript.xml", "manuscript.pdf", "manuscript.docx"):
        (out / name).write_bytes(f"previous {name}".encode())
        previous[name] = (out / name).read_bytes()
    return previous


def test_a_failed_step_leaves_the_previous_package(project: Path) -> None:
    """A step of what the package holds fails (typst): nothing is packaged, nothing replaced."""
    previous = _previous(project)
    source = project / "manuscript" / "review.md"
    source.write_text(source.read_text() + "\n```{=typst}\n#let broken = (\n```\n")
    proc = render(project, "meca")
    assert proc.returncode != 0
    assert "pdf: typst failed" in proc.stderr and "Traceback" not in proc.stderr
    for name, data in previous.items():
        assert (project / "output" / name).read_bytes() == data, name


def test_a_figure_outside_the_manuscript_fails_the_package_step_alone(project: Path) -> None:
    """The package holds files by names inside it: a figure the JATS names by ``../`` cannot be
    one. The MECA step fails, says why, and leaves every previous output as it was."""
    previous = _previous(project)
    shutil.copy(project / "manuscript" / "figures" / "treatment-selection.svg", project / "outside.svg")
    source = project / "manuscript" / "review.md"
    source.write_text(source.read_text() + "\n![An outside figure.](../outside.svg)\n")
    proc = render(project, "meca")
    assert proc.returncode != 0
    assert re.search(r"meca: the JATS names '\.\./outside\.svg'", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr
    for name, data in previous.items():
        assert (project / "output" / name).read_bytes() == data, name


# --- the parts ------------------------------------------------------------------------------

def test_the_shipped_dtd_is_the_meca_packages_unmodified() -> None:
    """The DTD is the file of npm's ``meca`` 1.1.1, byte for byte (its SHA-256 in the README
    beside it, which names its source, version and licence)."""
    readme = (MECA_DTD.parent / "README.md").read_text()
    (digest,) = re.findall(r"`([0-9a-f]{64})`", readme)
    assert hashlib.sha256(MECA_DTD.read_bytes()).hexdigest() == digest
    assert "meca" in readme and "1.1.1" in readme and "MIT" in readme
    assert sorted(p.name for p in MECA_DTD.parent.iterdir()) == ["README.md", "manifest-1.0.dtd"]


@pytest.mark.parametrize(("name", "ok"), [
    ("manuscript.xml", True), ("figures/a.svg", True), ("../a.svg", False), ("/abs/a.svg", False),
    ("figures/../a.svg", False), ("./a.svg", False), ("figures//a.svg", False), ("C:/a.svg", False),
    ("figures\\a.svg", False), ("", False),
])
def test_member_names_are_relative_and_inside(name: str, ok: bool) -> None:
    assert meca.is_member_name(name) is ok


def test_the_package_command_refuses_what_it_cannot_package(tmp_path: Path, capsys: Any) -> None:
    jats = tmp_path / "a.xml"
    jats.write_text('<article xmlns:xlink="http://www.w3.org/1999/xlink"><body><fig>'
                    '<graphic xlink:href="missing.svg"/></fig></body></article>')
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-")
    out = tmp_path / "a-meca.zip"
    assert meca.main(["--resource-path", str(tmp_path), str(out), str(jats), str(pdf)]) == 1
    assert "'missing.svg', which the JATS names, is in none of" in capsys.readouterr().err
    assert not out.exists()
    (tmp_path / "missing.svg").write_text("<svg/>")
    assert meca.main(["--source-date-epoch", "1700000000", "--resource-path", str(tmp_path),
                      str(out), str(jats), str(pdf)]) == 0
    assert listed(out) == [("article-metadata", "a.xml", "application/xml"),
                           ("article-supporting-file", "missing.svg", "image/svg+xml"),
                           ("manuscript", "a.pdf", "application/pdf")]
    # a figure named as a manuscript is: two files would have one name
    jats.write_text(jats.read_text().replace("missing.svg", "a.pdf"))
    assert meca.main(["--resource-path", str(tmp_path), str(out), str(jats), str(pdf)]) == 1
    assert "two files would be 'a.pdf' in the package" in capsys.readouterr().err
