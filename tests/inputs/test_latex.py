"""Reading a LaTeX manuscript: every citation command, with its file and line (in the files it
inputs too); the bibliography files it names; a ``thebibliography`` list; and the audit's
findings and one-line errors on papers written by ``make_latex`` from the repository's real
references."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from audit import pandoc
from audit.compare import normalize_text
from audit.inputs import latex, markdown
from audit.inputs.bibliography import load_all
from audit.model import Citation
from tests.conftest import ROOT, run_audit
from tests.inputs.make_latex import SECTION, write_latex, write_thebibliography
from tests.inputs.spec import Spec

ITEMS: list[dict[str, Any]] = json.loads((ROOT / "manuscript" / "references.json").read_text("utf-8"))
BY_ID = {item["id"]: item for item in ITEMS}


def write(folder: Path, files: dict[str, str]) -> Path:
    """Each file of ``files`` (name: text) in ``folder``; the first is the main file."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")
    return folder / next(iter(files))


def line_of(path: Path, needle: str) -> int:
    """The line of ``path`` holding ``needle``, which must be there exactly once."""
    lines = [n for n, text in enumerate(path.read_text("utf-8").split("\n"), 1) if needle in text]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def placed(citations: list[Citation], folder: Path) -> list[tuple[str, str, int | None, str, str, str]]:
    return [(c.key, Path(c.file).relative_to(folder).as_posix(), c.line, c.mode, c.prefix, c.suffix)
            for c in citations]


# --- every citation command --------------------------------------------------------------

NORMAL, IN_TEXT, SUPPRESS, NOCITE = "NormalCitation", "AuthorInText", "SuppressAuthor", "nocite"
NBSP = "\u00a0"

PAPER = r"""\documentclass{article}
\usepackage[numbers]{natbib}
\nocite{patchell2005}
\title{Thermal ablation of \emph{spinal} metastases}
\begin{document}
\maketitle
\begin{abstract}
Ablation relieves pain \cite{acs2022}.
\end{abstract}
% \cite{weld2005} a commented citation, and one of a key cited below: \cite{macedo2017}
Bone metastases are common \cite{macedo2017,urch2004}.
Pain is treated \citep[see][p.~12]{strander2003} and \citet{vanderlinden2006} showed it.
The guideline \parencite[chap.~3]{paice2018} and \textcite{anchala2014} agree;
\autocite[cf.][]{bagla2016} and a note\footcite{tomasian2018bipedicular}.
Several at once \cites[e.g.][12]{wallace2016}[][p.~3]{tomasian2016}.
\citeauthor{auloge2019} in \citeyear{auloge2019}.
Dropped by pandoc: \citenum{khan2018}, \Citet{tomasian2018advances}, \fullcite{mcmenomy2013}.
In a command pandoc does not know: \todo{check \cite{cazzato2018}}.
A citation over two lines \cite{levy2020,
  cazzato2020}.
\verb|\cite{weld2005}| and \lstinline|\cite{weld2005}|, 50\% of \url{https://x.org/a%20b} \cite{saliou2010}
\begin{verbatim}
\cite{weld2005}
\end{verbatim}
\begin{lstlisting}
\cite{weld2005}
\end{lstlisting}
\begin{minted}{latex}
\cite{weld2005}
\end{minted}
\begin{comment}
\cite{weld2005}
\end{comment}
\iffalse
\cite{weld2005}
\fi
\input{sections/methods}
\nocite{*}
\end{document}
\cite{weld2005}
"""
METHODS = r"""\section{Methods}
% the same key, first in a comment: \cite{pusceddu2016}
Patients were selected \cite{pusceddu2016} as before \cite{macedo2017}.
\begin{figure}\caption{Probes \cite{venier2019}.}\end{figure}
"""


def test_every_citation_command_gives_keys_modes_notes_file_and_line(tmp_path: Path) -> None:
    main = write(tmp_path, {"paper.tex": PAPER, "sections/methods.tex": METHODS})
    doc = latex.read([main])
    m, s = "paper.tex", "sections/methods.tex"
    assert placed(doc.manuscript.citations, tmp_path) == [
        ("patchell2005", m, 3, NOCITE, "", ""),
        ("acs2022", m, 8, NORMAL, "", ""),  # in the abstract (pandoc's metadata)
        ("macedo2017", m, 11, NORMAL, "", ""),  # not line 10, its comment
        ("urch2004", m, 11, NORMAL, "", ""),
        ("strander2003", m, 12, NORMAL, "see", f"p.{NBSP}12"),
        ("vanderlinden2006", m, 12, IN_TEXT, "", ""),
        ("paice2018", m, 13, NORMAL, "", f"chap.{NBSP}3"),
        ("anchala2014", m, 13, IN_TEXT, "", ""),
        ("bagla2016", m, 14, NORMAL, "cf.", ""),
        ("tomasian2018bipedicular", m, 14, NORMAL, "", ""),
        ("wallace2016", m, 15, NORMAL, "e.g.", "12"),
        ("tomasian2016", m, 15, NORMAL, "", f"p.{NBSP}3"),
        ("auloge2019", m, 16, IN_TEXT, "", ""),
        ("auloge2019", m, 16, SUPPRESS, "", ""),
        ("khan2018", m, 17, NORMAL, "", ""),
        ("tomasian2018advances", m, 17, IN_TEXT, "", ""),
        ("mcmenomy2013", m, 17, NORMAL, "", ""),
        ("cazzato2018", m, 18, NORMAL, "", ""),
        ("levy2020", m, 19, NORMAL, "", ""),
        ("cazzato2020", m, 20, NORMAL, "", ""),  # its own line
        ("saliou2010", m, 21, NORMAL, "", ""),  # after a % inside \url, not a comment
        ("pusceddu2016", s, 3, NORMAL, "", ""),
        ("macedo2017", s, 3, NORMAL, "", ""),
        ("venier2019", s, 4, NORMAL, "", ""),
    ]
    assert doc.manuscript.nocite_all
    assert doc.manuscript.metadata == {"title": "Thermal ablation of spinal metastases"}
    assert [p.relative_to(tmp_path).as_posix() for p in doc.manuscript.files] == [m, s]
    assert doc.bibliographies == [] and doc.printed == [] and doc.entries == []


def test_input_include_import_subfile_and_endinput_are_followed(tmp_path: Path) -> None:
    main = write(tmp_path, {
        "main.tex": "\\documentclass{article}\n\\input{glyphtounicode}\n\\begin{document}\n"
                    "Before \\cite{acs2022} \\input{parts/a} after \\cite{urch2004}.\n"
                    "\\include{parts/b}\n\\input parts/c\n\\import{parts/deep/}{d}\n"
                    "\\subfile{parts/e}\n\\end{document}\n",
        "parts/a.tex": "inline \\cite{macedo2017}",
        "parts/b.tex": "\\cite{strander2003}\n\\endinput\n\\cite{weld2005}\n",
        "parts/c.tex": "\\cite{paice2018}\n",
        "parts/deep/d.tex": "\\cite{anchala2014}\n\\subimport{more/}{f}\n",
        "parts/deep/more/f.tex": "\\cite{bagla2016}\n",
        "parts/e.tex": "\\documentclass[../main.tex]{subfiles}\n\\title{\\cite{weld2005}}\n"
                       "\\begin{document}\n\\cite{wallace2016}\n\\end{document}\n\\cite{weld2005}\n",
    })
    doc = latex.read([main])
    assert [(key, file, line) for key, file, line, *_ in placed(doc.manuscript.citations, tmp_path)] == [
        ("acs2022", "main.tex", 4),
        ("macedo2017", "parts/a.tex", 1),  # an \input in the middle of a line
        ("urch2004", "main.tex", 4),
        ("strander2003", "parts/b.tex", 1),
        ("paice2018", "parts/c.tex", 1),
        ("anchala2014", "parts/deep/d.tex", 1),
        ("bagla2016", "parts/deep/more/f.tex", 1),  # relative to the folder \import named
        ("wallace2016", "parts/e.tex", 4),  # a subfile's preamble is not read
    ]
    assert len(doc.manuscript.files) == 7


@pytest.mark.parametrize("package", ["natbib", "biblatex"])
def test_the_review_written_as_latex_by_pandoc_cites_what_its_markdown_cites(
        tmp_path: Path, package: str) -> None:
    """The repository's review (71 citations, in tables, footnotes, with locators) as LaTeX:
    the same keys and modes in the same order as the Markdown reader finds, each at a line
    holding its key."""
    review = ROOT / "manuscript" / "review.md"
    tex = tmp_path / "review.tex"
    pandoc.run([review.name, "-s", f"--{package}", "-t", "latex", "-o", str(tex)], cwd=review.parent)
    text = re.sub(r"(\\bibliography|\\addbibresource)\{[^}]*\}", "", tex.read_text("utf-8"))
    tex.write_text(text, "utf-8")
    expected = markdown.read([review]).manuscript
    doc = latex.read([tex])
    assert [(c.key, c.mode) for c in doc.manuscript.citations] == [
        (c.key, c.mode) for c in expected.citations]
    lines = text.split("\n")
    assert all(c.line and c.key in lines[c.line - 1] for c in doc.manuscript.citations)
    assert doc.manuscript.metadata["title"] == expected.metadata["title"]


# --- the audit of papers written from the repository's references ------------------------

PARAGRAPHS = (
    "Spinal metastases cause pain [@macedo2017; @urch2004], and radiotherapy is the mainstay "
    "of care [@vanderlinden2006].",
    "Radiofrequency ablation relieves pain [@levy2020] and cryoablation controls tumours "
    "[@tomasian2016; @cazzato2022].",
    "Augmentation stabilises fractures [@berenson2011]; a claim cites a key nobody listed "
    "[@nosuch2021].",
)
CITED = ("macedo2017", "urch2004", "vanderlinden2006", "levy2020", "tomasian2016", "cazzato2022",
         "berenson2011")


def review_spec(*extra: dict[str, Any]) -> Spec:
    """A short review citing real works, one listed but never cited (schag1984), one cited but
    never listed (nosuch2021), and ``extra`` items."""
    items = tuple(BY_ID[key] for key in (*CITED, "schag1984")) + extra
    return Spec("Thermal ablation of spinal metastases", PARAGRAPHS, items)


def audit_json(paper: Path) -> list[dict[str, Any]]:
    proc = run_audit([str(paper), "--format", "json", "--fail-on", "never"], cwd=paper.parent)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return findings


def where(findings: list[dict[str, Any]], code: str) -> list[tuple[str, str, int]]:
    return sorted((f["key"], Path(f["file"]).as_posix(), f["line"]) for f in findings
                  if f["code"] == code)


@pytest.mark.parametrize("natbib", [False, True], ids=["biblatex", "natbib"])
def test_undefined_uncited_and_duplicate_keys_at_their_file_and_line(tmp_path: Path,
                                                                      natbib: bool) -> None:
    twice = dict(BY_ID["levy2020"], title="The same key, a second time")
    paper = write_latex(review_spec(twice), tmp_path, natbib=natbib)
    bib, section = tmp_path / "refs.bib", tmp_path / SECTION
    text = paper.read_text("utf-8")
    assert ("\\citep{" if natbib else "\\parencite{") in text and "\\cite{" in text
    assert ("\\bibliography{refs}" if natbib else "\\addbibresource{refs.bib}") in text
    findings = audit_json(paper)
    assert where(findings, "undefined-citation") == [
        ("nosuch2021", section.as_posix(), line_of(section, "nosuch2021"))]
    assert where(findings, "uncited-reference") == [
        ("schag1984", bib.as_posix(), line_of(bib, "{schag1984,"))]
    declarations = [n for n, t in enumerate(bib.read_text("utf-8").split("\n"), 1) if "{levy2020," in t]
    assert where(findings, "duplicate-key") == [("levy2020", bib.as_posix(), declarations[1])]


def test_the_bib_file_keeps_the_items_keys_and_dois(tmp_path: Path) -> None:
    spec = review_spec()
    for natbib in (False, True):
        write_latex(spec, tmp_path / str(natbib), natbib=natbib)
        doc = latex.read([tmp_path / str(natbib) / "paper.tex"])
        entries = {e.key: e.item for e in load_all(doc.bibliographies)}
        assert list(entries) == [item["id"] for item in spec.items]
        assert all(entries[i["id"]]["DOI"].lower() == i["DOI"].lower() for i in spec.items if "DOI" in i)
        assert [c.key for c in doc.manuscript.citations] == [*CITED, "nosuch2021"]


def first_author(item: dict[str, Any]) -> str:
    name = item["author"][0]
    return str(name.get("family") or name.get("literal"))


def test_thebibliography_entries_are_parsed_from_vancouver_latex(tmp_path: Path) -> None:
    """The repository's 41 references typed in Vancouver style (\\emph, \\href, --, {[}…{]})
    read back as the works they are."""
    spec = Spec("All the references", tuple(f"A claim [@{item['id']}]." for item in ITEMS),
                tuple(ITEMS))
    paper = write_thebibliography(spec, tmp_path)
    doc = latex.read([paper])
    assert [(r.number, r.key, r.listed) for r in doc.printed] == [
        (n, item["id"], True) for n, item in enumerate(ITEMS, 1)]
    for ref, item in zip(doc.printed, ITEMS, strict=True):
        assert ref.file == str(paper) and ref.line == line_of(paper, f"\\bibitem{{{item['id']}}}")
        assert "\\" not in ref.raw and "{" not in ref.raw, ref.raw
        if item["type"] != "article-journal":
            continue
        got = ref.item
        assert not ref.problems, (item["id"], ref.problems)
        assert normalize_text(got["title"]) == normalize_text(item["title"])
        assert first_author(got) == first_author(item)
        assert got["issued"]["date-parts"][0][0] == item["issued"]["date-parts"][0][0]
        assert got["container-title"] in (item.get("container-title-short"), item["container-title"])
        assert (got.get("volume"), got.get("issue")) == (item.get("volume"), item.get("issue"))
        assert got["page"].split("-")[0] == item["page"].split("-")[0]
        assert got.get("DOI", "").lower() == item.get("DOI", "").lower()


def test_thebibliography_keys_are_what_citations_point_at(tmp_path: Path) -> None:
    paper = write_thebibliography(review_spec(BY_ID["levy2020"]), tmp_path)
    findings = audit_json(paper)
    section = tmp_path / SECTION
    assert where(findings, "undefined-citation") == [
        ("nosuch2021", section.as_posix(), line_of(section, "nosuch2021"))]
    assert where(findings, "uncited-reference") == [
        ("schag1984", paper.as_posix(), line_of(paper, "\\bibitem{schag1984}"))]
    items = [n for n, t in enumerate(paper.read_text("utf-8").split("\n"), 1) if "\\bibitem{levy2020}" in t]
    assert where(findings, "duplicate-key") == [("levy2020", paper.as_posix(), items[1])]
    assert not [f for f in findings if f["code"] == "reference-unparsed"]


def test_a_paper_shipped_with_its_bbl_and_no_bib_is_read_from_the_bbl(tmp_path: Path) -> None:
    r"""``\bibliography{refs}`` makes LaTeX read ``paper.bbl``: without refs.bib, that is the list."""
    paper = write_thebibliography(review_spec(), tmp_path)
    text = paper.read_text("utf-8")
    start = text.index("\\begin{thebibliography}")
    end = text.index("\\end{thebibliography}") + len("\\end{thebibliography}")
    bbl = tmp_path / "paper.bbl"
    bbl.write_text(text[start:end] + "\n", "utf-8")
    paper.write_text(text[:start] + "\\bibliographystyle{vancouver}\n\\bibliography{refs}" + text[end:],
                     "utf-8")
    findings = audit_json(paper)
    section = tmp_path / SECTION
    assert where(findings, "undefined-citation") == [
        ("nosuch2021", section.as_posix(), line_of(section, "nosuch2021"))]
    assert where(findings, "uncited-reference") == [
        ("schag1984", bbl.as_posix(), line_of(bbl, "\\bibitem{schag1984}"))]
    bbl.unlink()
    assert one_line_error(paper) == (f"paper.tex:{line_of(paper, '{refs}')}: \\bibliography{{refs}}: "
                                     "bibliography file not found: refs.bib (nor paper.bbl)")


# --- what the audit cannot read is one line naming the file and line ------------------------

def one_line_error(paper: Path) -> str:
    proc = run_audit([str(paper.name), "--format", "json"], cwd=paper.parent)
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("error: "), err
    return err.removeprefix("error: ")


BODY = "\\documentclass{article}\n\\begin{document}\nPain \\cite{macedo2017}.\n"


@pytest.mark.parametrize(("files", "place", "words"), [
    pytest.param({"paper.tex": BODY + "\\input{sections/a}\n\\end{document}\n",
                  "sections/a.tex": "A.\n\\input{sections/b}\n",
                  "sections/b.tex": "B \\cite{urch2004}.\n\n\\input{sections/a}\n"},
                 "sections/b.tex:3", "input each other", id="input-cycle"),
    pytest.param({"paper.tex": BODY + "\\input{paper}\n\\end{document}\n"},
                 "paper.tex:4", "input each other", id="input-itself"),
    pytest.param({"paper.tex": BODY + "See \\include{sections/missing}.\n\\end{document}\n"},
                 "paper.tex:4", "file not found", id="missing-input"),
    pytest.param({"paper.tex": BODY + "\\bibliography{refs,other}\n\\end{document}\n",
                  "refs.bib": "@article{macedo2017, title={Bone metastases}, year=2017}\n"},
                 "paper.tex:4", "other.bib", id="missing-bib"),
    pytest.param({"paper.tex": BODY + "\\addbibresource{refs.bib}\n\\end{document}\n",
                  "refs.bib": "@article{macedo2017,\n  title = {Bone metastases,\n  year = 2017\n}\n\n"
                              "@article{urch2004, title={Cancer pain}}\n"},
                 "refs.bib:6", "cannot read bibliography", id="broken-bib"),
    pytest.param({"paper.tex": BODY + "\\input{sections/a}\n\\end{document}\n",
                  "sections/a.tex": "Fine.\n\\begin{itemize}\n\\item x\n\\end{enumerate}\n"},
                 "sections/a.tex:2", "\\begin{itemize} is never closed", id="pandoc-cannot-parse"),
])
def test_bad_input_is_one_line_naming_file_and_line(tmp_path: Path, files: dict[str, str],
                                                    place: str, words: str) -> None:
    err = one_line_error(write(tmp_path, files))
    assert err.startswith(place + ": ") and words in err, err


def test_a_file_that_is_not_utf8_is_one_line_error(tmp_path: Path) -> None:
    main = write(tmp_path, {"paper.tex": BODY + "\\input{latin}\n\\end{document}\n"})
    (tmp_path / "latin.tex").write_bytes("Caf\u00e9 \\cite{urch2004}.\n".encode("latin-1"))
    assert one_line_error(main).startswith("latin.tex:1: not valid UTF-8")


def test_audit_reads_latex_told_by_content(tmp_path: Path) -> None:
    """A LaTeX file without a .tex name is read as LaTeX (its \\documentclass tells)."""
    paper = write(tmp_path, {"paper": BODY + "\\bibliography{refs}\n\\end{document}\n",
                             "refs.bib": "@article{urch2004, title={Cancer pain}, year=2004}\n"})
    findings = audit_json(paper)
    assert where(findings, "undefined-citation") == [("macedo2017", paper.as_posix(), 3)]
    assert where(findings, "uncited-reference") == [("urch2004", (tmp_path / "refs.bib").as_posix(), 1)]

