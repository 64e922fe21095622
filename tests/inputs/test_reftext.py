"""Tests for :mod:`audit.inputs.reftext`: parsing a pasted, numbered Vancouver reference list."""

from __future__ import annotations

from typing import Any

import pytest

from audit.inputs.reftext import parse_reference_text
from audit.model import PrintedReference
from tests.conftest import SHARED

PRINTED = SHARED / "references" / "reference-list-as-printed.txt"


def one(text: str) -> PrintedReference:
    refs = parse_reference_text(text)
    assert len(refs) == 1, refs
    return refs[0]


def names(ref: PrintedReference) -> list[Any]:
    return [
        a.get("literal") or (a["family"], a["given"]) for a in ref.item.get("author", [])
    ]


# --------------------------------------------------------------------------- the real list


@pytest.fixture(scope="module")
def printed() -> dict[int, PrintedReference]:
    if not PRINTED.is_file():
        pytest.skip(f"shared printed reference list not found at {PRINTED}")
    refs = parse_reference_text(PRINTED.read_text(encoding="utf-8"), str(PRINTED))
    return {r.number: r for r in refs}


def test_printed_all_entries(printed: dict[int, PrintedReference]) -> None:
    assert sorted(printed) == list(range(1, 41))
    for n, ref in printed.items():
        assert ref.line == n  # one reference a line
        assert ref.item["id"] == f"ref-{n}"
        assert ref.raw and not ref.raw[0].isdigit()
    articles = [r for n, r in printed.items() if n not in (1, 30)]
    for ref in articles:
        assert ref.item["type"] == "article-journal"
        assert ref.problems == (), (ref.number, ref.problems)
        for key in ("author", "title", "container-title", "issued", "volume", "page"):
            assert ref.item.get(key), (ref.number, key)


SPOT = {
    2: {
        "author": [("Macedo", "F"), ("Ladeira", "K"), ("Pinho", "F")],
        "title": "Bone metastases: an overview",
        "container-title": "Oncol Rev",
        "year": 2017, "volume": "11", "issue": None, "page": "321", "et_al": True,
    },
    4: {
        "author": [("Strander", "H"), ("Turesson", "I"), ("Cavallin-Ståhl", "E")],
        "title": "A systematic overview of radiation therapy effects in soft tissue sarcomas",
        "container-title": "Acta Oncol",
        "year": 2003, "volume": "42", "issue": None, "page": "516-31", "et_al": False,
    },
    5: {
        "author": [
            ("van der Linden", "YM"), ("Steenland", "E"), ("van Houwelingen", "HC"),
            "Dutch Bone Metastasis Study Group",
        ],
        "title": "Patients with a favourable prognosis are equally palliated with single and "
        "multiple fraction radiotherapy: results on survival in the Dutch Bone Metastasis Study",
        "container-title": "Radiother Oncol",
        "year": 2006, "volume": "78", "issue": None, "page": "245-53", "et_al": True,
    },
    6: {
        "author": [("Paice", "JA")],
        "container-title": "Cancer",
        "year": 2018, "volume": "124", "issue": "12", "page": "2491-7", "et_al": False,
    },
    12: {
        "title": "Complications of percutaneous bone tumor cryoablation:a 10-year experience",
        "container-title": "Radiology",
        "year": 2019, "volume": "291", "page": "521-8", "et_al": True,
    },
    16: {
        "author": [("Cazzato", "RL"), ("Auloge", "P"), ("De Marini", "P")],
        "container-title": "Int J Hyperthermia",
        "year": 2018, "volume": "35", "page": "493-9", "et_al": True,
    },
    18: {
        "author": [("Cazzato", "RL"), ("Palussière", "J"), ("Auloge", "P")],
        "container-title": "Radiology",
        "year": 2020, "volume": "296", "issue": "1", "page": "227-35",
    },
    25: {
        "title": "Image-guided spinal ablation: a review",
        "container-title": "CardiovascIntervent Radiol",
        "year": 2016, "volume": "39", "page": "1229-38", "et_al": True,
    },
    29: {
        "title": "Percutaneous CT-Guided microwave ablation combined with vertebral augmentation "
        "for treatment of painful spinal metastases",
        "container-title": "AJNR Am J Neuroradiol",
        "year": 2022, "volume": "43", "issue": "3", "page": "501-6",
    },
    31: {
        "author": [
            "Expert Panels on Neurological Imaging, Interventional Radiology, and "
            "Musculoskeletal Imaging",
            ("Shah", "LM"), ("Jennings", "JW"), ("Kirsch", "CFE"),
        ],
        "title": "ACR appropriateness criteria: management of vertebral compression fractures",
        "container-title": "J Am Coll Radiol",
        "year": 2018, "volume": "15", "issue": "suppl 11", "page": "S347-64", "et_al": True,
    },
    33: {
        "author": [("Fisher", "CG"), ("DiPaola", "CP"), ("Ryken", "TC")],
        "container-title": "Spin (Phila Pa 1976)",
        "year": 2010, "volume": "35", "issue": None, "page": "E1221-9", "et_al": True,
    },
    36: {
        "container-title": "Int J Radiat Oncol Biol Phys",
        "year": 2012, "volume": "83", "page": "e597-605",
    },
    38: {
        "author": [
            ("Sørensen", "ST"), ("Kirkegaard", "AO"), ("Carreon", "L"), ("Rousing", "R"),
            ("Andersen", "MØ"),
        ],
        "container-title": "Spine J",
        "year": 2019, "volume": "19", "issue": "6", "page": "1067-107", "et_al": False,
    },
    39: {
        "author": [
            ("Berenson", "J"), ("Pflugmacher", "R"), ("Jarzem", "P"),
            "Cancer Patient Fracture Evaluation (CAFE) investigators",
        ],
        "title": "Balloon kyphoplasty versus non-surgical fracture management for treatment of "
        "painful vertebral body compression fractures in patients with cancer: a multicentre, "
        "randomised controlled trial",
        "container-title": "Lancet Oncol",
        "year": 2011, "volume": "12", "issue": "3", "page": "225-35", "et_al": True,
    },
}


@pytest.mark.parametrize("number", sorted(SPOT))
def test_printed_spot_checks(printed: dict[int, PrintedReference], number: int) -> None:
    ref, want = printed[number], SPOT[number]
    if "author" in want:
        assert names(ref) == want["author"]
    if "et_al" in want:
        assert ref.et_al is want["et_al"]
    for key in ("title", "container-title", "volume", "issue", "page"):
        if key in want:
            assert ref.item.get(key) == want[key], key
    assert ref.item["issued"] == {"date-parts": [[want["year"]]]}
    for key in ("DOI", "PMID", "PMCID", "URL"):  # none is printed in this list
        assert key not in ref.item


def test_printed_web_references(printed: dict[int, PrintedReference]) -> None:
    first, nccn = printed[1], printed[30]
    assert first.item["type"] == "webpage"
    assert first.item["URL"] == (
        "https://www.cancer.org/content/dam/cancer-org/research/cancer-facts-and-statistics/"
        "annual-cancer-facts-and-figures/2022/2022-cancer-facts-and-figures.pdf"
    )
    assert first.item["accessed"] == {"date-parts": [[2022, 4, 12]]}
    assert "author" not in first.item and "issued" not in first.item
    assert "no title found" in first.problems
    assert nccn.item["type"] == "webpage"
    assert nccn.item["URL"] == "https://www.nccn.org"
    assert nccn.item["accessed"] == {"date-parts": [[2022, 9, 4]]}
    assert nccn.item["title"] == (
        "NCCN clinical practice guidelines in oncology: adult cancer pain, version 1.2022"
    )
    assert names(nccn) == ["National Comprehensive Cancer Network"]
    assert nccn.item["container-title"] == "National Comprehensive Cancer Network website"
    assert "issued" not in nccn.item
    assert nccn.problems == ()


def test_printed_et_al_flags(printed: dict[int, PrintedReference]) -> None:
    truncated = {n for n, r in printed.items() if r.et_al}
    expected = {n for n, r in printed.items() if "et al." in r.raw}
    assert truncated == expected
    assert {2, 5, 31, 39} <= truncated and not {1, 9, 30, 38} & truncated


# --------------------------------------------------------------------------- numbering and lines


def test_numbering_forms_headings_and_blank_lines() -> None:
    text = (
        "References\n"
        "\n"
        "[1] Foo A. First title. J One. 2001;1:1-2.\n"
        "\n"
        "2. Bar B. Second title. J Two. 2002;2:3-4.\n"
        "3) Baz C. Third title. J Three. 2003;3:5-6.\n"
        "4 Qux D. Fourth title. J Four. 2004;4:7-8.\n"
    )
    refs = parse_reference_text(text)
    assert [(r.number, r.line) for r in refs] == [(1, 3), (2, 5), (3, 6), (4, 7)]
    assert [r.item["container-title"] for r in refs] == ["J One", "J Two", "J Three", "J Four"]
    assert all(r.problems == () for r in refs)


def test_wrapped_lines_and_hyphenation() -> None:
    text = (
        "1. Tomasian A, Jennings JW. Percutaneous CT-\n"
        "guided ablation of spinal metas-\n"
        "tases: a review. Radiology. 2020;\n"
        "296(1):227–35.\n"
        "2. Foo A. Short. J X. 2001;1:1.\n"
    )
    first, second = parse_reference_text(text)
    assert (first.number, first.line, second.line) == (1, 1, 5)
    assert first.item["title"] == "Percutaneous CT-guided ablation of spinal metastases: a review"
    assert first.item["issue"] == "1" and first.item["page"] == "227-35"
    assert first.raw.endswith("Radiology. 2020; 296(1):227–35.")


def test_wrapped_line_starting_with_a_number_is_a_continuation() -> None:
    text = (
        "1 Lee C. A long title. Bar Baz.\n"
        "2019 Feb;45:100-10.\n"
        "2 Kim D. Another. Qux. 2020;1:3.\n"
    )
    refs = parse_reference_text(text)
    assert [(r.number, r.line) for r in refs] == [(1, 1), (2, 3)]
    assert refs[0].item["issued"] == {"date-parts": [[2019, 2]]}


def test_number_alone_on_its_line() -> None:
    refs = parse_reference_text("1.\nFoo A. Title. J X. 2001;1:1.\n2.\nBar B. Other. J Y. 2002;2:2.")
    assert [(r.number, r.line, r.item["container-title"]) for r in refs] == [
        (1, 1, "J X"), (2, 3, "J Y"),
    ]


def test_bare_number_alone_is_not_an_entry() -> None:
    # a wrapped page range: the "2" only continues entry 1 (kept, as printed)
    refs = parse_reference_text("1 Foo A. A title. J X. 2001;1:1-\n2\n")
    assert len(refs) == 1
    assert refs[0].raw == "Foo A. A title. J X. 2001;1:1-2"
    assert refs[0].item["page"] == "1-2"


def test_wrapped_url_is_joined_without_space() -> None:
    ref = one("1. https://www.example.org/some/long/\npath/page.html. Accessed 1 May 2021.")
    assert ref.item["URL"] == "https://www.example.org/some/long/path/page.html"


# --------------------------------------------------------------------------- authors


def test_authors_with_full_stops_and_and() -> None:
    ref = one("1. Tomasian A., Wallace A.N. and Jennings J.W. A title. AJNR. 2016;37:189–95.")
    assert names(ref) == [("Tomasian", "A"), ("Wallace", "AN"), ("Jennings", "JW")]
    assert ref.item["title"] == "A title"


@pytest.mark.parametrize("sep", [" and ", " & ", ", and "])
def test_authors_and_before_last(sep: str) -> None:
    ref = one(f"1. Smith AB, Jones CD{sep}Brown EF. Title. Lancet. 2005;366:643–8.")
    assert names(ref) == [("Smith", "AB"), ("Jones", "CD"), ("Brown", "EF")]
    assert not ref.et_al


def test_authors_particles_diacritics_suffix() -> None:
    ref = one(
        "1. de la Cruz M, Hölzl-Müller A, O'Brien B, Le Roux D, Lee FT Jr, et al. "
        "A title. J X. 2010;1:2."
    )
    assert names(ref)[:4] == [
        ("de la Cruz", "M"), ("Hölzl-Müller", "A"), ("O'Brien", "B"), ("Le Roux", "D"),
    ]
    assert ref.item["author"][4] == {"family": "Lee", "given": "FT", "suffix": "Jr"}
    assert ref.et_al


def test_group_author_only() -> None:
    ref = one("1. World Health Organization. Cancer pain relief. Geneva: WHO; 1986.")
    assert names(ref) == ["World Health Organization"]
    assert ref.item["title"] == "Cancer pain relief"


def test_no_authors() -> None:
    ref = one("1. Cancer statistics, 2022. CA Cancer J Clin. 2022;72(1):7-33.")
    assert "author" not in ref.item
    assert ref.item["title"] == "Cancer statistics, 2022"
    assert ref.item["issued"] == {"date-parts": [[2022]]}
    assert "no authors found" in ref.problems


# --------------------------------------------------------------------------- titles and tails


def test_title_ending_in_question_mark() -> None:
    ref = one("1. Smith A. Is it worth it? Lancet Oncol. 2011;12:225-35.")
    assert ref.item["title"] == "Is it worth it?"
    assert ref.item["container-title"] == "Lancet Oncol"


def test_title_with_abbreviations_and_brackets() -> None:
    ref = one("1. Smith A. Surgery vs. radiotherapy [RCT] (phase 3). N Engl J Med 2010;362:1–10.")
    assert ref.item["title"] == "Surgery vs. radiotherapy [RCT] (phase 3)"
    assert ref.item["container-title"] == "N Engl J Med"
    assert ref.item["page"] == "1-10"


def test_pubmed_style_tail() -> None:
    ref = one(
        "1. Berenson J, Pflugmacher R. Balloon kyphoplasty. Lancet Oncol. 2011 Mar;12(3):225-35. "
        "doi: 10.1016/S1470-2045(11)70008-0. Epub 2011 Feb 16. PMID: 21333599; "
        "PMCID: PMC3123456."
    )
    item = ref.item
    assert item["issued"] == {"date-parts": [[2011, 3]]}
    assert (item["volume"], item["issue"], item["page"]) == ("12", "3", "225-35")
    assert item["DOI"] == "10.1016/S1470-2045(11)70008-0"
    assert (item["PMID"], item["PMCID"]) == ("21333599", "PMC3123456")
    assert ref.problems == ()


def test_pubmed_style_month_and_day() -> None:
    ref = one("1. Foo A. Title. Radiology. 2020 Apr 28;296(1):227-235.")
    assert ref.item["issued"] == {"date-parts": [[2020, 4, 28]]}
    assert ref.item["page"] == "227-235"


def test_thieme_style_tail() -> None:
    ref = one("1. Urch C. The pathophysiology of bone pain. Palliat Med 2004; 18 (04) 267-274")
    item = ref.item
    assert item["container-title"] == "Palliat Med"
    assert (item["volume"], item["issue"], item["page"]) == ("18", "04", "267-274")
    assert item["issued"] == {"date-parts": [[2004]]}


def test_bracketed_identifiers() -> None:
    ref = one(
        "1. Foo A. Title. Spine J. 2019;19(6):1067-107. "
        "[PMID: 30822527 DOI: 10.1016/j.spinee.2019.02.012]"
    )
    assert ref.item["PMID"] == "30822527"
    assert ref.item["DOI"] == "10.1016/j.spinee.2019.02.012"
    assert ref.item["page"] == "1067-107"
    assert ref.problems == ()


@pytest.mark.parametrize(
    "printed_doi",
    [
        "doi:10.1016/S0140-6736(05)66954-1.",
        "doi: 10.1016/S0140-6736(05)66954-1.",
        "https://doi.org/10.1016/S0140-6736(05)66954-1.",
        "(doi:10.1016/S0140-6736(05)66954-1).",
    ],
)
def test_doi_with_parentheses_and_trailing_period(printed_doi: str) -> None:
    ref = one(f"1. Horton R. Offline. Lancet. 2005;365:1733. {printed_doi}")
    assert ref.item["DOI"] == "10.1016/S0140-6736(05)66954-1"
    assert "URL" not in ref.item
    assert ref.item["page"] == "1733"


def test_doi_with_periods() -> None:
    ref = one("1. Lee E. Title. PLoS One. 2019;14(3):e0213456. doi:10.1371/journal.pone.0213456.")
    assert ref.item["DOI"] == "10.1371/journal.pone.0213456"
    assert ref.item["page"] == "e0213456"


def test_year_in_title_and_journal_is_not_the_date() -> None:
    ref = one("1. Foo A. Results of 2019: a review. Spine (Phila Pa 1976). 2010;35:E1221–9.")
    assert ref.item["title"] == "Results of 2019: a review"
    assert ref.item["container-title"] == "Spine (Phila Pa 1976)"
    assert ref.item["issued"] == {"date-parts": [[2010]]}


# --------------------------------------------------------------------------- books and web


def test_book() -> None:
    ref = one("1. Twycross R, Wilcock A. Palliative care formulary. 2nd ed. Oxford: Radcliffe; 2010.")
    item = ref.item
    assert item["type"] == "book"
    assert item["title"] == "Palliative care formulary"
    assert item["edition"] == "2nd ed"
    assert (item["publisher-place"], item["publisher"]) == ("Oxford", "Radcliffe")
    assert item["issued"] == {"date-parts": [[2010]]}
    assert ref.problems == ()


def test_chapter() -> None:
    ref = one(
        "1. Meltzer PS, Trent JM. Chromosome alterations in human solid tumors. In: Vogelstein B, "
        "Kinzler KW, editors. The genetic basis of human cancer. New York: McGraw-Hill; 2002. "
        "p. 93-113."
    )
    item = ref.item
    assert item["type"] == "chapter"
    assert item["title"] == "Chromosome alterations in human solid tumors"
    assert item["container-title"] == "The genetic basis of human cancer"
    assert item["editor"] == [{"family": "Vogelstein", "given": "B"},
                              {"family": "Kinzler", "given": "KW"}]
    assert (item["publisher"], item["page"]) == ("McGraw-Hill", "93-113")


def test_report() -> None:
    ref = one("1. NICE. Pain management. Technical report 12. London: NICE; 2016.")
    assert ref.item["type"] == "report"
    assert ref.item["publisher"] == "NICE"


def test_url_only_webpage() -> None:
    ref = one("1. https://www.example.org/page. Accessed 12 April 2022.")
    assert ref.item["type"] == "webpage"
    assert ref.item["URL"] == "https://www.example.org/page"
    assert ref.item["accessed"] == {"date-parts": [[2022, 4, 12]]}


@pytest.mark.parametrize(
    ("printed_date", "parts"),
    [
        ("Accessed 4 September 2022", [2022, 9, 4]),
        ("Accessed September 4, 2022", [2022, 9, 4]),
        ("Accessed on: 2022-09-04", [2022, 9, 4]),
        ("[cited 2022 Sep 4]", [2022, 9, 4]),
        ("Accessed September 2022", [2022, 9]),
    ],
)
def test_accessed_dates(printed_date: str, parts: list[int]) -> None:
    ref = one(f"1. Site. Page title. https://example.org/x. {printed_date}.")
    assert ref.item["accessed"] == {"date-parts": [parts]}
    assert ref.item["title"] == "Page title"
    assert ref.item.get("container-title") == "Site" or names(ref) == ["Site"]


def test_vancouver_internet_reference() -> None:
    ref = one(
        "1. Smith A. Guidance on pain [Internet]. London: NICE; 2019 [cited 2022 Jan 5]. "
        "Available from: https://www.nice.org.uk/guidance/ng1"
    )
    item = ref.item
    assert item["type"] == "webpage"
    assert item["title"] == "Guidance on pain"
    assert item["URL"] == "https://www.nice.org.uk/guidance/ng1"
    assert item["accessed"] == {"date-parts": [[2022, 1, 5]]}
    assert item["issued"] == {"date-parts": [[2019]]}


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize("text", ["", "   \n\n", "no numbers here\njust text\n", "1\n2\n3\n"])
def test_no_numbered_entries(text: str) -> None:
    assert parse_reference_text(text) == []


def test_garbage_entries_do_not_raise() -> None:
    text = "1. ;;;.. ((( ]]\n2. \x00\x0c\ufeff ???\n3. 2019;4:5\n4. .\n5. et al.\n"
    refs = parse_reference_text(text)
    assert [r.number for r in refs] == [1, 2, 3, 4, 5]
    assert all(r.problems for r in refs)
    assert all(r.item["type"] == "article-journal" for r in refs)
    assert all(isinstance(r.raw, str) for r in refs)


def test_numbering_gap_is_reported() -> None:
    refs = parse_reference_text(
        "1. Foo A. First. J X. 2001;1:1.\n\n3. Bar B. Third. J Y. 2002;2:2.\n"
    )
    assert [r.number for r in refs] == [1, 3]
    assert refs[1].problems == ("number 3 follows 1",)


def test_large_generated_list() -> None:
    lines = [
        f"{i}. Author{chr(65 + i % 26)} AB, Other CD, et al. Title number {i}: a study. "
        f"J Test. {1990 + i % 30};{i}({i % 12 + 1}):{i}-{i + 9}."
        for i in range(1, 5001)
    ]
    refs = parse_reference_text("\n".join(lines))
    assert len(refs) == 5000
    assert [r.number for r in refs] == list(range(1, 5001))
    assert refs[-1].line == 5000
    assert refs[-1].item["page"] == "5000-5009"
    assert all(r.et_al for r in refs)


def test_citing_medicine_labels_its_identifiers_pubmed_pmid_and_pubmed_central_pmcid() -> None:
    """NLM's Citing Medicine prints "PubMed PMID: …; PubMed Central PMCID: …": nothing is left."""
    (ref,) = parse_reference_text(
        "1. Tomasian A, Jennings JW. Spine metastases: thermal ablation and augmentation. Skeletal "
        "Radiol. 2023;52(10):1921-8. doi: 10.1007/s00256-023-04348-x. PubMed PMID: 37000000; "
        "PubMed Central PMCID: PMC9999999.")
    assert (ref.item["PMID"], ref.item["PMCID"]) == ("37000000", "PMC9999999")
    assert ref.item["container-title"] == "Skeletal Radiol"
    assert ref.problems == ()
