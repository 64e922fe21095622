"""Bad input: every case ends in a one-line ``file:line`` error (exit 2) or in the right
findings, never in a traceback.

Error cases run the real command line in a subprocess (real stderr, real exit status);
finding cases call :func:`audit.cli.main` with ``--format json``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from tests.conftest import copy_project, render

ITEM = {"type": "book", "title": "A book", "publisher": "P", "issued": {"date-parts": [[2020]]}}


# --- helpers --------------------------------------------------------------------------

def items(*keys: str) -> list[dict[str, Any]]:
    """Books (no DOI expected) with distinct titles, so only the findings under test appear."""
    return [{**ITEM, "id": k, "title": f"Book {k}"} for k in keys]


def project(tmp: Path, body: str = "Text.", bib: str | bytes | list[dict[str, Any]] = "[]",
            bib_name: str = "refs.json", front: str = "title: Test") -> Path:
    """paper.md (front matter naming ``bib_name``) and the bibliography, in ``tmp``."""
    data = json.dumps(bib, indent=2) if isinstance(bib, list) else bib
    target = tmp / bib_name
    target.write_bytes(data if isinstance(data, bytes) else data.encode())
    md = tmp / "paper.md"
    md.write_text(f"---\n{front}\nbibliography: {bib_name}\n---\n\n{body}\n")
    return md


def audit_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "audit", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def assert_input_error(proc: subprocess.CompletedProcess[str], where: str, *,
                       lines: tuple[int, ...] = ()) -> str:
    """Exit 2 and exactly one stderr line ``error: <where>[:<line>]: …`` with no traceback."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {where}"), err
    if lines:
        assert any(err.startswith(f"error: {where}:{n}: ") for n in lines), (lines, err)
    return err


def audit_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict[str, Any]]:
    code = main([*map(str, args), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def by_code(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == code]


def keys_of(report: dict[str, Any], code: str) -> list[str]:
    return sorted(f["key"] for f in by_code(report, code))


# --- the manuscript's front matter ----------------------------------------------------

@pytest.mark.parametrize(("front", "lines"), [
    pytest.param("title: [unclosed\nauthor: A", (2, 3), id="unclosed-bracket"),
    pytest.param("author: {name: A\nabstract: x", (3, 4), id="unclosed-brace"),
    pytest.param('title: "unclosed', (2, 3, 4), id="unclosed-quote"),
    pytest.param("title: x\n  bad: indentation", (3,), id="bad-indentation"),
    pytest.param("title: x\n\tkey: tab", (3,), id="tab"),
    pytest.param("title: one\nabstract: x\ntitle: two", (4,), id="duplicate-key"),
    pytest.param("author:\n  name: A\n  name: B", (4,), id="duplicate-nested-key"),
    pytest.param("title: x\nabstract: *nowhere", (3,), id="unknown-alias"),
])
def test_malformed_front_matter_is_one_line_error_with_file_and_line(
        tmp_path: Path, front: str, lines: tuple[int, ...]) -> None:
    md = project(tmp_path, "Text [@a].", items("a"), front=front)
    err = assert_input_error(audit_cli(md, cwd=tmp_path), str(md), lines=lines)
    assert "YAML" in err


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    md = project(tmp_path, "Text.", front="title: one\nabstract: x\ntitle: two")
    err = assert_input_error(audit_cli(md, cwd=tmp_path), str(md), lines=(4,))
    assert "duplicate key 'title'" in err and "first at line 2" in err


def test_malformed_front_matter_fails_the_build_naming_file_and_line(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    review = root / "manuscript" / "review.md"
    text = review.read_text()
    review.write_text(text.replace("lang: en-GB\n", "lang: en-GB\n\tbad: tab\n", 1))
    line = text.split("\n").index("lang: en-GB") + 2
    proc = render(root, "html")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert f"review.md:{line}: malformed YAML front matter" in proc.stderr, proc.stderr


# --- bibliography syntax ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "text", "line", "words"), [
    pytest.param("refs.json", '[\n  {"id": "a",\n   "title": "x",}\n]\n', 3, "malformed CSL JSON",
                 id="json-syntax"),
    pytest.param("refs.json", '[\n  {"id": "a", "title": "x"}\n', 3, "malformed CSL JSON",
                 id="json-unterminated"),
    pytest.param("refs.json", '{"id": "a", "title": "x"}\n', 1, "must be a list", id="json-not-a-list"),
    pytest.param("refs.json", '[\n  {"id": "a", "title": "x"},\n  {"title": "no id"}\n]\n', 3,
                 'item #2 has no "id"', id="json-item-without-id"),
    pytest.param("refs.json", '[\n  {"id": "a"},\n  "just a string"\n]\n', None,
                 'item #2 has no "id"', id="json-item-not-an-object"),
    pytest.param("refs.yaml", "references:\n- id: a\n  title: [x\n- id: b\n", (4, 5),
                 "malformed CSL YAML", id="yaml-syntax"),
    pytest.param("refs.yaml", "- id: a\n  title: x\n", 1, "references:", id="yaml-no-references"),
    pytest.param("refs.yaml", "references: a\n", 1, "references:", id="yaml-references-not-a-list"),
    pytest.param("refs.bib", "@book{a,\n  title={Unclosed,\n  year=2020\n}\n\n@book{b, title={B}}\n",
                 (2, 6), "cannot read bibliography", id="bibtex-unclosed-brace"),
    pytest.param("refs.bib", "@book{a\n  title={A},\n  year=2020\n}\n", (1, 2),
                 "cannot read bibliography", id="bibtex-no-comma-after-key"),
])
def test_malformed_bibliography_is_one_line_error_with_file_and_line(
        tmp_path: Path, name: str, text: str, line: int | tuple[int, ...] | None, words: str) -> None:
    md = project(tmp_path, "Text [@a].", text, bib_name=name)
    lines = (line,) if isinstance(line, int) else (line or ())
    err = assert_input_error(audit_cli(md, cwd=tmp_path), name, lines=lines)
    assert words in err


@pytest.mark.parametrize(("name", "text", "second_line"), [
    pytest.param("refs.json", '[\n  {"id": "dup", "type": "book", "title": "One"},\n'
                 '  {"id": "other", "type": "book", "title": "Other"},\n'
                 '  {"id": "dup", "type": "book", "title": "Two"}\n]\n', 4, id="csl-json"),
    pytest.param("refs.yaml", "references:\n- id: dup\n  type: book\n  title: One\n"
                 "- id: other\n  type: book\n  title: Other\n- id: dup\n  type: book\n  title: Two\n",
                 8, id="csl-yaml"),
    pytest.param("refs.bib", "@book{dup,\n  title={One}\n}\n\n@book{other,\n  title={Other}\n}\n\n"
                 "@book{dup,\n  title={Two}\n}\n", 9, id="bibtex"),
])
def test_duplicate_key_is_a_finding_at_the_second_declaration(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str,
        second_line: int) -> None:
    md = project(tmp_path, "Text [@dup; @other].", text, bib_name=name)
    _, report = audit_json(capsys, md)
    dups = by_code(report, "duplicate-key")
    assert [(d["key"], d["line"], Path(d["file"]).name) for d in dups] == [("dup", second_line, name)]


@pytest.mark.parametrize("fences", [False, True], ids=["plain", "fenced"])
def test_csl_yaml_with_or_without_fences_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], fences: bool) -> None:
    """pandoc's citeproc reads a plain ``references:`` YAML file; the audit used to see no
    entries in it (pandoc's Markdown reader wants a ``---`` block) and call every key undefined."""
    text = "references:\n- id: a\n  type: book\n  title: Book A\n- id: b\n  type: book\n  title: Book B\n"
    if fences:
        text = f"---\n{text}...\n"
    md = project(tmp_path, "Text [@a].", text, bib_name="refs.yaml")
    _, report = audit_json(capsys, md)
    assert by_code(report, "undefined-citation") == []
    assert [(f["key"], f["line"]) for f in by_code(report, "uncited-reference")] == [
        ("b", 6 if fences else 5)]


# --- encodings and empty files ----------------------------------------------------------

def test_manuscript_not_utf8(tmp_path: Path) -> None:
    project(tmp_path, bib=items("a"))
    md = tmp_path / "paper.md"
    md.write_bytes(b"---\ntitle: Test\nbibliography: refs.json\n---\n\nCaf\xe9 [@a].\n")
    err = assert_input_error(audit_cli(md, cwd=tmp_path), str(md), lines=(6,))
    assert "not valid UTF-8" in err


@pytest.mark.parametrize(("name", "data", "line"), [
    ("refs.json", b'[\n  {"id": "a", "type": "book",\n   "title": "Caf\xe9"}\n]\n', 3),
    ("refs.bib", b"@book{a,\n  title={Caf\xe9},\n  year=2020\n}\n", 2),
    ("refs.yaml", b"references:\n- id: a\n  title: Caf\xe9\n", 3),
])
def test_bibliography_not_utf8(tmp_path: Path, name: str, data: bytes, line: int) -> None:
    md = project(tmp_path, "Text [@a].", data, bib_name=name)
    err = assert_input_error(audit_cli(md, cwd=tmp_path), name, lines=(line,))
    assert "not valid UTF-8" in err


def test_utf16_manuscript_is_rejected_not_misread(tmp_path: Path) -> None:
    project(tmp_path, bib=items("a"))
    md = tmp_path / "paper.md"
    md.write_bytes("---\ntitle: T\nbibliography: refs.json\n---\n\n[@a]\n".encode("utf-16"))
    err = assert_input_error(audit_cli(md, cwd=tmp_path), str(md))
    assert "not valid UTF-8" in err


@pytest.mark.parametrize("content", ["", "   \n\n\t\n"], ids=["empty", "whitespace"])
def test_empty_manuscript(tmp_path: Path, content: str) -> None:
    md = tmp_path / "paper.md"
    md.write_text(content)
    err = assert_input_error(audit_cli(md, cwd=tmp_path), str(md))
    assert "empty" in err


@pytest.mark.parametrize("name", ["refs.json", "refs.yaml", "refs.bib"])
def test_empty_bibliography_file_reports_every_citation_undefined(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    md = project(tmp_path, "Text [@a].\n\nMore [@b].", "", bib_name=name)
    code, report = audit_json(capsys, md)
    assert code == 1
    assert sorted((f["key"], f["line"]) for f in by_code(report, "undefined-citation")) == [
        ("a", 6), ("b", 8)]


# --- a 50 MB bibliography -----------------------------------------------------------------

N_BIG = 60_000


@pytest.fixture(scope="module")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~50 MB of CSL JSON (60,000 books over 75 years), two of them cited."""
    root = tmp_path_factory.mktemp("big")
    vocabulary = [f"{a}{b}" for a in ("spin", "abla", "verte", "cryo", "micro", "radi", "thera",
                                      "onco", "neuro", "kypho", "plasti", "metas")
                  for b in ("al", "tion", "bral", "genic", "wave", "ology", "py", "sis", "ic")]
    rng = random.Random(2024)
    works = [{"id": f"ref{i}", "type": "book",
              "title": f"Book {i}: " + " ".join(rng.choices(vocabulary, k=70)),
              "author": [{"family": f"Author{i % 5000}", "given": "A. B."}],
              "issued": {"date-parts": [[1950 + i % 75]]}, "publisher": "Publisher",
              "ISBN": "978-3-16-148410-0"} for i in range(N_BIG)]
    (root / "refs.json").write_text(json.dumps(works, indent=1))
    (root / "paper.md").write_text("---\ntitle: Big\nbibliography: refs.json\n---\n\n"
                                   "See [@ref0] and [@ref59999].\n")
    return root


@pytest.mark.slow
def test_50mb_bibliography_loads_with_lines_and_sane_memory(big_project: Path) -> None:
    """Loading used to locate each entry by searching the whole file (quadratic: hours)."""
    size = (big_project / "refs.json").stat().st_size
    assert 45e6 < size < 60e6, size
    script = ("import json, resource, sys; from pathlib import Path; "
              "from audit.inputs.bibliography import load; "
              "e = load(Path(sys.argv[1])); "
              "print(json.dumps([len(e), e[0].line, e[-1].key, e[-1].line, "
              "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
              "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    proc = subprocess.run([sys.executable, "-c", script, str(big_project / "refs.json")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    n, first_line, last_key, last_line, rss_self, rss_pandoc = json.loads(proc.stdout)
    text_lines = (big_project / "refs.json").read_text().split("\n")
    assert n == N_BIG and last_key == f"ref{N_BIG - 1}"
    assert text_lines[first_line - 1].strip() == '"id": "ref0",'
    assert text_lines[last_line - 1].strip() == f'"id": "ref{N_BIG - 1}",'
    # kilobytes on Linux: a few times the file, not unbounded
    assert rss_self < 2_000_000 and rss_pandoc < 3_000_000, (rss_self, rss_pandoc)


@pytest.mark.slow
def test_50mb_bibliography_audit_finishes_and_reports_uncited(big_project: Path) -> None:
    try:
        proc = subprocess.run([sys.executable, "-m", "audit", "paper.md", "--format", "json"],
                              cwd=big_project, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("the audit of a 50 MB bibliography did not finish in 2 minutes")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert len(by_code(report, "uncited-reference")) == N_BIG - 2
    assert by_code(report, "undefined-citation") == []
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 3_000_000


# --- malformed DOIs ------------------------------------------------------------------------

# (DOI field as written, expected severity of doi-malformed or None for no finding, words)
DOIS: list[tuple[str, str | None, str]] = [
    ("10.1000/ab c", "error", "whitespace"),
    ("10.1000 /abc", "error", "registrant"),
    ("1000/abc", "error", "'10.' prefix"),
    ("abc", "error", "'10.' prefix"),
    ("10.1234", "error", "no '/'"),
    ("10.1234/", "error", "empty DOI suffix"),
    ("10.abcd/xyz", "error", "registrant"),
    ("10.12ab/xyz", "error", "registrant"),
    ("10.12/xyz", "error", "registrant"),
    ("978-3-16-148410-0", "error", "ISBN"),
    ("ISBN 0-306-40615-2", "error", "DOI"),
    ("12345678", "error", "PubMed ID"),
    ("PMID: 12345678", "error", "PubMed ID"),
    ("PMC1234567", "error", "PubMed Central"),
    ("arXiv:2101.00001", "error", "arXiv"),
    ("https://example.org/10.1000/abc", "error", "not a doi.org link"),
    ("https://www.ncbi.nlm.nih.gov/pubmed/12345678", "error", "not a doi.org link"),
    ("10.1000/a\x07bc", "error", "control characters"),
    ("10.1000/\x1b[31mabc", "error", "control characters"),
    ("10.1000/abc\u200b", "error", "control characters"),
    ("   ", "error", "empty"),
    ("\t", "error", "empty"),
    ("https://doi.org/", "error", "empty"),
    ("10.1000/abc (online)", "error", "whitespace"),
    ("10.1000/abc [pii]", "error", "whitespace"),
    ("10.1000/abc; 10.1000/def", "error", "whitespace"),
    ("https://doi.org/10.1000/a%20b", "error", "whitespace"),
    # harmless forms: read, normalised, reported as info
    ("https://doi.org/10.1000/ABC1", "info", "read as '10.1000/abc1'"),
    ("http://dx.doi.org/10.1000/abc2", "info", "read as '10.1000/abc2'"),
    ("doi:10.1000/abc3", "info", "read as '10.1000/abc3'"),
    ("DOI: 10.1000/abc4", "info", "read as '10.1000/abc4'"),
    ("10.1000/ABC5", "info", "read as '10.1000/abc5'"),
    ("10.1000/abc6.", "info", "read as '10.1000/abc6'"),
    (" 10.1000/abc7 ", "info", "read as '10.1000/abc7'"),
    ("<10.1000/abc8>", "info", "read as '10.1000/abc8'"),
    # already canonical: nothing to say
    ("10.1000/abc9", None, ""),
    ("10.1000.5/x(1)-y;z", None, ""),
]


@pytest.fixture(scope="module")
def doi_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """One audit of a bibliography holding every DOI of :data:`DOIS`; findings by key."""
    tmp = tmp_path_factory.mktemp("dois")
    works = [{**ITEM, "id": f"k{i}", "title": f"Book {i}", "DOI": doi}
             for i, (doi, _, _) in enumerate(DOIS)]
    md = project(tmp, " ".join(f"[@k{i}]" for i in range(len(DOIS))), works)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(md), "--format", "json"])
    assert code == 1, err.getvalue()
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in json.loads(out.getvalue())["findings"]:
        found.setdefault(finding["key"], []).append(finding)
    return found


@pytest.mark.parametrize(("index", "severity", "words"),
                         [(i, sev, words) for i, (_, sev, words) in enumerate(DOIS)],
                         ids=[repr(doi) for doi, _, _ in DOIS])
def test_doi_field(doi_report: dict[str, list[dict[str, Any]]], index: int,
                   severity: str | None, words: str) -> None:
    findings = [f for f in doi_report.get(f"k{index}", []) if f["code"] == "doi-malformed"]
    if severity is None:
        assert findings == []
        return
    assert len(findings) == 1, findings
    assert findings[0]["severity"] == severity
    assert words in findings[0]["message"], findings[0]["message"]
    assert findings[0]["field"] == "DOI" and findings[0]["line"] is not None


def test_malformed_doi_is_never_looked_up(doi_report: dict[str, list[dict[str, Any]]]) -> None:
    """A rejected DOI gets no 'unverified'/'doi-not-found' on top of its error."""
    for i, (_, severity, _) in enumerate(DOIS):
        codes = {f["code"] for f in doi_report.get(f"k{i}", [])}
        if severity == "error":
            assert not codes & {"unverified", "doi-not-found", "metadata-mismatch"}, (i, codes)


# --- styles and missing files -----------------------------------------------------------

def test_build_unknown_style_is_a_clear_error(tmp_path: Path) -> None:
    proc = render(copy_project(tmp_path / "project"), "html", "--style", "nope")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "unknown CSL style 'nope'" in proc.stderr


def test_build_misspelt_style_suggests_the_right_one(tmp_path: Path) -> None:
    proc = render(copy_project(tmp_path / "project"), "html", "--style", "skeletal-radiolgy")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "unknown CSL style 'skeletal-radiolgy' (did you mean skeletal-radiology" in proc.stderr
    assert not (tmp_path / "project" / "output" / "manuscript.html").exists()


@pytest.mark.parametrize("style", ["nope", "skeletal-radiolgy", "missing/file.csl"])
def test_audit_unknown_style_exits_2(tmp_path: Path, style: str) -> None:
    md = project(tmp_path, "Text [@a].", items("a"))
    err = assert_input_error(audit_cli(md, "--style", style, cwd=tmp_path), "")
    assert style in err
    if style == "skeletal-radiolgy":
        assert "did you mean skeletal-radiology" in err


def test_audit_style_that_is_not_xml_exits_2(tmp_path: Path) -> None:
    md = project(tmp_path, "Text [@a].", items("a"))
    (tmp_path / "broken.csl").write_text("<style><info>")
    err = assert_input_error(audit_cli(md, "--style", "broken.csl", cwd=tmp_path), "")
    assert "broken.csl" in err


def test_audit_missing_bibliography_from_front_matter(tmp_path: Path) -> None:
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nbibliography: nowhere.json\n---\n\nText [@a].\n")
    err = assert_input_error(audit_cli(md, cwd=tmp_path), str(tmp_path / "nowhere.json"))
    assert "not found" in err


def test_audit_missing_bibliography_on_command_line(tmp_path: Path) -> None:
    md = project(tmp_path, "Text [@a].", items("a"))
    err = assert_input_error(audit_cli(md, "--bibliography", "gone.bib", cwd=tmp_path), "gone.bib")
    assert "not found" in err


@pytest.mark.parametrize("option", ["--jats", "--html"])
def test_audit_missing_output_file_exits_2(tmp_path: Path, option: str) -> None:
    md = project(tmp_path, "Text [@a].", items("a"))
    err = assert_input_error(audit_cli(md, option, "gone.out", cwd=tmp_path), "gone.out")
    assert "not found" in err


def test_audit_missing_manuscript(tmp_path: Path) -> None:
    err = assert_input_error(audit_cli("absent.md", cwd=tmp_path), "absent.md")
    assert "not found" in err


def test_build_missing_bibliography_names_it(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    review = root / "manuscript" / "review.md"
    review.write_text(review.read_text().replace("bibliography: references.json",
                                                 "bibliography: missing.json", 1))
    proc = render(root, "html")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    line = next(n for n, row in enumerate(review.read_text().split("\n"), 1) if "missing.json" in row)
    assert f"manuscript/review.md:{line}: file 'missing.json' not found" in proc.stderr


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with HTML and PDF built from the intact manuscript."""
    root = copy_project(tmp_path_factory.mktemp("image") / "project")
    proc = render(root, "html", "pdf")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.parametrize("target", ["html", "pdf"])
def test_build_missing_image_fails_naming_image_and_step(
        built_once: Path, tmp_path: Path, target: str) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_once, root)
    before = {p.name: p.read_bytes() for p in (root / "output").glob("manuscript.*")}
    review = root / "manuscript" / "review.md"
    review.write_text(review.read_text().replace("figures/treatment-selection.svg",
                                                 "figures/missing.svg"))
    proc = render(root, target)
    after = {p.name: p.read_bytes() for p in (root / "output").glob("manuscript.*")}
    assert after == before, "the previous outputs must be left as they were"
    assert "Traceback" not in proc.stderr
    assert proc.returncode != 0, proc.stderr
    # caught before any output is written: the step, the file and line, and the image
    assert "ast: missing image" in proc.stderr, proc.stderr
    line = next(n for n, row in enumerate(review.read_text().split("\n"), 1) if "missing.svg" in row)
    assert f"manuscript/review.md:{line}: image 'figures/missing.svg' not found" in proc.stderr


# --- what is and is not a citation ----------------------------------------------------------

def test_unbalanced_brackets_are_read_as_pandoc_reads_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pandoc reads ``[@a; @b`` and ``@c]`` as in-text citations; the audit agrees, with lines."""
    body = "Open [@a; @b without a close.\n\nClose @c] without an open.\n\nAnd [see @ghost"
    md = project(tmp_path, body, items("a", "b", "c"))
    code, report = audit_json(capsys, md)
    assert keys_of(report, "uncited-reference") == []
    assert [(f["key"], f["line"]) for f in by_code(report, "undefined-citation")] == [("ghost", 10)]
    assert code == 1


def test_email_addresses_are_not_citations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("Write to name@example.org, or <other@example.com>, or [admin@example.net].\n\n"
            "Mail: mailto:x@example.org.")
    md = project(tmp_path, body, items("example.org", "example.com", "example.net"))
    _, report = audit_json(capsys, md)
    assert by_code(report, "undefined-citation") == []
    assert keys_of(report, "uncited-reference") == ["example.com", "example.net", "example.org"]


def test_at_sign_in_autolinked_url_is_not_a_citation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "See <https://x.org/@user> and [the page](https://x.org/@handle)."
    md = project(tmp_path, body, items("user", "handle"))
    _, report = audit_json(capsys, md)
    assert by_code(report, "undefined-citation") == []
    assert keys_of(report, "uncited-reference") == ["handle", "user"]


def test_at_sign_in_bare_url_is_what_pandoc_makes_of_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pandoc (no ``autolink_bare_uris``) reads ``https://x.org/@user`` as text + a citation of
    ``user``: the built document would show a citation there, so the audit must say so (an
    undefined key at its line), not hide it."""
    md = project(tmp_path, "Text.\n\nSee https://x.org/@user here.", items("a"))
    _, report = audit_json(capsys, md)
    assert [(f["key"], f["line"]) for f in by_code(report, "undefined-citation")] == [("user", 8)]


def test_citations_in_code_are_not_citations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("Inline `[@a]` and ``[@b] with `tick` inside`` code.\n\n"
            "```\n[@c]\n```\n\n~~~ {.python}\nx = '@d'\n~~~\n\n    [@e] indented code\n\n"
            "`[@ghost1]` and\n\n```\n@ghost2\n```\n\nReal [@f].")
    md = project(tmp_path, body, items("a", "b", "c", "d", "e", "f"))
    code, report = audit_json(capsys, md)
    assert by_code(report, "undefined-citation") == []
    assert keys_of(report, "uncited-reference") == ["a", "b", "c", "d", "e"]
    assert code == 0


@pytest.mark.parametrize(("lock", "words"), [
    ('{"lock-version": 1, "records": {}, "aliases": []}', "'aliases'"),
    ('{"lock-version": 1, "records": {}, "aliases": {"10/abcd": "10.1000/x"}}', "'aliases'"),
    ('{"lock-version": 1, "records": {}, "aliases": {"10/abcd": {"fetched": "2026"}}}', "'doi'"),
    ('{"lock-version": 1}', "'records'"),
    ('{"lock-version": 2, "records": {}}', "lock-version 2"),
    ('{"lock-version": 1, "records": {}, "pubmed": ["28584570"]}', "'pubmed'"),
    ('{"lock-version": 1, "records": {}, "pubmed": {"28584570": {"fetched": "2026"}}}', "'record'"),
    ('{"lock-version": 1, "records": {}, "pubmed": {"28584570": {"record": "Bone"}}}', "'record'"),
    ('{"lock-version": 1, "records": {}, "pubmed": {"PMID:28584570": {"record": {}}}}',
     "'PMID:28584570', which is not a PMID"),
], ids=["aliases-list", "alias-string", "alias-without-doi", "no-records", "version",
        "pubmed-list", "pubmed-without-record", "pubmed-record-string", "pubmed-key-not-a-pmid"])
def test_a_malformed_lock_is_one_line_error(tmp_path: Path, lock: str, words: str) -> None:
    md = project(tmp_path, "Text.")
    (tmp_path / "references.lock.json").write_text(lock)
    err = assert_input_error(audit_cli(md, cwd=tmp_path), f"{tmp_path / 'references.lock.json'}:1")
    assert words in err


@pytest.mark.parametrize(("args", "env", "words"), [
    (["--refresh", "--max-concurrency", "0"], {}, "at least 1, not 0"),
    (["--refresh"], {"AUDIT_MAX_CONCURRENCY": "many"}, "at least 1, not 'many'"),
    (["--recheck-missing"], {}, "--recheck-missing asks the sources again: use it with --refresh"),
], ids=["option", "environment", "recheck-without-refresh"])
def test_a_refresh_setting_that_cannot_be_used_is_one_line_error(
        tmp_path: Path, args: list[str], env: dict[str, str], words: str) -> None:
    md = project(tmp_path, "Text.")
    proc = subprocess.run([sys.executable, "-m", "audit", str(md), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env, "AUDIT_CROSSREF_URL": "http://127.0.0.1:9"})
    err = assert_input_error(proc, "")
    assert words in err


def test_files_written_atomically_get_the_usual_permissions(tmp_path: Path) -> None:
    """A report, a lock, a manifest are written through a temporary file: they still get the
    mode any new file gets (mkstemp's are private to their owner)."""
    import os

    from audit.files import write_atomic

    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.json", "{}")
    finally:
        os.umask(umask)
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644
