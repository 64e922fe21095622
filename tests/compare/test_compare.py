"""Graded comparison of bibliography entries with registrar records.

Examples are printed Vancouver data (as in the manuscript's reference list)
against registrar-style CSL JSON records.
"""

from __future__ import annotations

from typing import Any

import pytest

from audit.compare import (
    FIELDS,
    Difference,
    compare_works,
    expand_page_range,
    journal_matches,
    names_match,
    normalize_text,
    title_similarity,
    year_of,
)


def name(family: str, given: str | None = None, **extra: str) -> dict[str, str]:
    item = {"family": family, **extra}
    if given is not None:
        item["given"] = given
    return item


def one(found: dict[str, Any], expected: dict[str, Any], field: str) -> Difference | None:
    differences = compare_works(found, expected, fields=[field])
    assert len(differences) <= 1
    assert all(d.field == field for d in differences)
    return differences[0] if differences else None


def grade(found: dict[str, Any], expected: dict[str, Any], field: str) -> str | None:
    difference = one(found, expected, field)
    return difference.grade if difference else None


REGISTRAR = {
    "type": "article-journal",
    "author": [
        name("Tsoumakidou", "Georgia"),
        name("Koch", "Guillaume"),
        name("Caudrelier", "Jean"),
        name("Garnon", "Julien"),
        name("Cazzato", "Roberto Luigi"),
        name("Edalat", "Faramarz"),
        name("Gangi", "Afshin"),
    ],
    "title": "Image-Guided Spinal Ablation: A Review",
    "container-title": "CardioVascular and Interventional Radiology",
    "container-title-short": "Cardiovasc Intervent Radiol",
    "ISSN": ["0174-1551", "1432-086X"],
    "issued": {"date-parts": [[2016, 5, 20]]},
    "volume": "39",
    "issue": "9",
    "page": "1229-1238",
    "DOI": "10.1007/s00270-016-1402-6",
}

PRINTED = {
    "type": "article-journal",
    "author": [
        name("Tsoumakidou", "G"),
        name("Koch", "G"),
        name("Caudrelier", "J"),
        name("Garnon", "J"),
        name("Cazzato", "RL"),
        name("Edalat", "F"),
        {"literal": "others"},
    ],
    "title": "Image-guided spinal ablation: a review.",
    "container-title": "Cardiovasc Intervent Radiol",
    "issued": {"date-parts": [[2016]]},
    "volume": "39",
    "issue": "9",
    "page": "1229-38",
}


def test_fields_constant() -> None:
    assert FIELDS == ("title", "author", "year", "container", "volume", "issue", "page")


def test_style_only_record_has_no_differences() -> None:
    assert compare_works(PRINTED, REGISTRAR) == []


def test_every_field_can_differ_at_once() -> None:
    found = {
        "author": [name("Smith", "J")],
        "title": "Karnofsky performance status revisited",
        "container-title": "Pain Physician",
        "issued": {"date-parts": [[2010]]},
        "volume": "17",
        "issue": "4",
        "page": "317-27",
    }
    differences = compare_works(found, REGISTRAR)
    assert [d.field for d in differences] == list(FIELDS)
    assert {d.grade for d in differences} == {"error"}


def test_fields_argument_restricts_and_orders() -> None:
    found = dict(PRINTED, volume="40", page="1300-10")
    assert [d.field for d in compare_works(found, REGISTRAR, fields=["page", "volume"])] == [
        "page",
        "volume",
    ]
    assert compare_works(found, REGISTRAR, fields=["title"]) == []
    with pytest.raises(KeyError):
        compare_works(found, REGISTRAR, fields=["colour"])


@pytest.mark.parametrize("field", ["title", "author", "container", "volume", "issue", "page"])
def test_absent_or_empty_field_is_not_compared(field: str) -> None:
    keys = {"container": "container-title"}.get(field, field)
    found = {k: v for k, v in PRINTED.items() if k != keys}
    assert one(found, REGISTRAR, field) is None
    assert one(dict(PRINTED, **{keys: ""}), REGISTRAR, field) is None
    expected = {k: v for k, v in REGISTRAR.items() if k not in {keys, "container-title-short"}}
    assert one(PRINTED, expected, field) is None


def test_absent_year_is_not_compared() -> None:
    assert one({"title": "x"}, REGISTRAR, "year") is None
    assert one(PRINTED, {"issued": {"date-parts": [[]]}}, "year") is None


# -------------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        # title case vs sentence case, trailing period
        (
            "Spine metastases: thermal ablation and augmentation.",
            "Spine Metastases: Thermal Ablation and Augmentation",
        ),
        # JATS/HTML markup and entities in registrar titles
        ("Effect of CO2 on bone in vivo", "Effect of CO<sub>2</sub> on bone <i>in vivo</i>"),
        ("Pain & palliation", "Pain &amp; palliation"),
        ("Pain and palliation", "Pain &amp; Palliation"),
        ("The SINS score", "The <scp>SINS</scp> score"),
        # diacritics, dashes, subtitle separators
        ("Long-term results in Sao Paulo", "Long–term results in São Paulo"),
        ("Bone metastases. An overview", "Bone Metastases: An Overview"),
        ("Bone metastases - an overview", "Bone Metastases: An Overview"),
        ("Image guided spinal ablation", "Image-Guided Spinal Ablation"),
        ("TNF-α blockade", "TNF-alpha blockade"),
    ],
)
def test_title_style_differences_are_not_reported(found: str, expected: str) -> None:
    assert one({"title": found}, {"title": expected}, "title") is None


def test_title_with_registrar_subtitle_field() -> None:
    expected = {"title": "Bone metastases", "subtitle": ["An overview"]}
    assert one({"title": "Bone Metastases: An Overview"}, expected, "title") is None
    assert grade({"title": "Bone Metastases"}, expected, "title") is None


@pytest.mark.parametrize(
    ("found", "expected", "words"),
    [
        ("Image-guided spinal ablation", "Image-Guided Spinal Ablation: A Review", "subtitle missing"),
        ("Image-guided spinal ablation: a review", "Image-Guided Spinal Ablation", "extra subtitle"),
        (
            "Spinal metastases: thermal ablation and augmentation",
            "Spine metastases: thermal ablation and augmentation",
            "'al' instead of 'e'",
        ),
        (
            "Percutaneous cryoablation of musculoskeletal metastatic disease for complete remission",
            "Percutaneous cryoablation of musculoskeletal oligometastatic disease for complete remission",
            "missing 'oligo'",
        ),
    ],
)
def test_title_small_edits_and_subtitles_are_warnings(found: str, expected: str, words: str) -> None:
    difference = one({"title": found}, {"title": expected}, "title")
    assert difference is not None
    assert difference.grade == "warning"
    assert words in difference.detail
    assert difference.found == found


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (
            "Karnofsky performance status revisited: reliability, validity, and guidelines",
            "Spine metastases: thermal ablation and augmentation",
        ),
        (
            "Radiofrequency ablation of spinal metastases",
            "Cryoablation of spinal metastases in children",
        ),
        ("Bone metastases", "Brain metastases from lung cancer"),
    ],
)
def test_different_titles_are_errors(found: str, expected: str) -> None:
    difference = one({"title": found}, {"title": expected}, "title")
    assert difference is not None
    assert difference.grade == "error"
    assert "different title" in difference.detail


def test_title_similarity_ignores_style() -> None:
    assert title_similarity("Bone Metastases: An Overview.", "bone metastases an overview") == 1.0
    assert title_similarity("Bone metastases", "Bone metastasis") > 0.9
    assert title_similarity("Bone metastases", "Karnofsky performance status") < 0.5


# ------------------------------------------------------------------- authors


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (name("Tomasian", "A"), name("Tomasian", "Anderanik")),
        (name("Jennings", "JW"), name("Jennings", "Jack W.")),
        (name("Jennings", "J.W."), name("Jennings", "Jack William")),
        (name("Jennings", "J. W."), name("Jennings", "Jack")),
        (name("Garnon", "J-P"), name("Garnon", "Jean-Pierre")),
        (name("Garnon", "JP"), name("Garnon", "Jean-Pierre")),
        (name("Cavallin-Ståhl", "E"), name("Cavallin-Stahl", "Eva")),
        (name("Gonçalves", "F"), name("Goncalves", "Filipa")),
        (name("Sørensen", "ST"), name("Sorensen", "S T")),
        (name("van der Linden", "YM"), name("Linden", "Yvette M", **{"non-dropping-particle": "van der"})),
        (name("Linden", "Y. M.", **{"dropping-particle": "van der"}), name("van der Linden", "YM")),
        (name("Van Der Linden", "Y"), name("van der Linden", "Yvette")),
        (name("Souza", "M"), name("de Souza", "Maria")),
        (name("Tomasian"), name("Tomasian", "A")),
        ({"literal": "American Cancer Society"}, {"literal": "American Cancer Society"}),
        ({"literal": "Anderanik Tomasian"}, name("Tomasian", "Anderanik")),
    ],
)
def test_names_match_style_differences(a: dict[str, str], b: dict[str, str]) -> None:
    assert names_match(a, b)
    assert names_match(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (name("Tomasian", "A"), name("Tomasan", "A")),
        (name("Jennings", "JW"), name("Jennings", "Kate")),
        (name("Jennings", "J.W."), name("Jennings", "Jack Xavier")),
        (name("van der Linden", "Y"), name("van den Berg", "Y")),
        ({"literal": "American Cancer Society"}, {"literal": "National Cancer Institute"}),
    ],
)
def test_names_that_do_not_match(a: dict[str, str], b: dict[str, str]) -> None:
    assert not names_match(a, b)
    assert not names_match(b, a)


EXPECTED_AUTHORS = {
    "author": [
        name("Linden", "Yvette M.", **{"non-dropping-particle": "van der"}),
        name("Steenland", "Ellen"),
        name("van Houwelingen", "Hans C."),
        name("Post", "Wendy J."),
        name("Oei", "Boen"),
    ]
}


def authors(*names: dict[str, str]) -> dict[str, Any]:
    return {"author": list(names)}


def test_author_style_and_et_al_truncation_are_not_reported() -> None:
    full = authors(
        name("van der Linden", "YM"),
        name("Steenland", "E"),
        name("van Houwelingen", "HC"),
        name("Post", "WJ"),
        name("Oei", "B"),
    )
    assert one(full, EXPECTED_AUTHORS, "author") is None
    for n in (1, 3):
        truncated = authors(*full["author"][:n], {"literal": "others"})
        assert one(truncated, EXPECTED_AUTHORS, "author") is None
    assert one(authors(name("van der Linden", "Y"), name("et al.")), EXPECTED_AUTHORS, "author") is None


def test_author_family_typo_is_warning() -> None:
    found = authors(name("van der Linden", "YM"), name("Steentand", "E"), {"literal": "others"})
    difference = one(found, EXPECTED_AUTHORS, "author")
    assert difference is not None
    assert difference.grade == "warning"
    assert "'Steentand E' vs 'Steenland E'" in difference.detail
    assert "'t' instead of 'l'" in difference.detail


def test_first_author_typo_is_warning_but_different_first_author_is_error() -> None:
    typo = authors(name("van der Lindon", "YM"), {"literal": "others"})
    assert grade(typo, EXPECTED_AUTHORS, "author") == "warning"
    other = authors(name("Smith", "J"), name("Steenland", "E"), {"literal": "others"})
    difference = one(other, EXPECTED_AUTHORS, "author")
    assert difference is not None
    assert difference.grade == "error"
    assert "different first author" in difference.detail


def test_swapped_adjacent_authors_and_missing_middle_author_are_warnings() -> None:
    swapped = authors(
        name("van der Linden", "YM"), name("van Houwelingen", "HC"), name("Steenland", "E"),
        name("Post", "WJ"), name("Oei", "B"),
    )  # fmt: skip
    difference = one(swapped, EXPECTED_AUTHORS, "author")
    assert difference is not None and difference.grade == "warning"
    assert "swapped" in difference.detail
    missing = authors(
        name("van der Linden", "YM"), name("van Houwelingen", "HC"), name("Post", "WJ"), name("Oei", "B")
    )
    difference = one(missing, EXPECTED_AUTHORS, "author")
    assert difference is not None and difference.grade == "warning"
    assert "Steenland E" in difference.detail and "missing" in difference.detail


def test_list_cut_short_without_et_al_is_warning() -> None:
    found = authors(name("van der Linden", "YM"), name("Steenland", "E"))
    difference = one(found, EXPECTED_AUTHORS, "author")
    assert difference is not None and difference.grade == "warning"
    assert "2 of 5" in difference.detail


def test_mostly_different_author_list_is_error() -> None:
    found = authors(name("van der Linden", "YM"), name("Jones", "A"), name("Brown", "B"), name("White", "C"))
    assert grade(found, EXPECTED_AUTHORS, "author") == "error"


# ---------------------------------------------------------------------- year


def test_year_of_reads_date_parts_literal_and_raw() -> None:
    assert year_of({"issued": {"date-parts": [[2016, 1]]}}) == 2016
    assert year_of({"issued": {"date-parts": [["2016"]]}}) == 2016
    assert year_of({"issued": {"literal": "Spring 2004"}}) == 2004
    assert year_of({"issued": {"raw": "2019-02-01"}}) == 2019
    assert year_of({"issued": {"date-parts": [[]]}}) is None
    assert year_of({}) is None


@pytest.mark.parametrize(
    ("found", "expected_grade"),
    [(2016, None), (2017, "warning"), (2015, "warning"), (2018, "error"), (2006, "error")],
)
def test_year_grades(found: int, expected_grade: str | None) -> None:
    assert grade({"issued": {"date-parts": [[found]]}}, REGISTRAR, "year") == expected_grade


def test_year_matching_print_or_online_date_is_fine() -> None:
    expected = dict(REGISTRAR, **{"published-online": {"date-parts": [[2015, 12, 1]]}})
    assert grade({"issued": {"date-parts": [[2014]]}}, expected, "year") == "warning"
    expected = dict(expected, issued={"date-parts": [[2017]]})
    assert grade({"issued": {"date-parts": [[2015]]}}, expected, "year") is None


# ------------------------------------------------------------------- journal


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ("Cardiovasc Intervent Radiol", {"container-title": "CardioVascular and Interventional Radiology"}),
        ("J Neurooncol", {"container-title": "Journal of Neuro-Oncology"}),
        ("J Neuro-Oncol", {"container-title": "Journal of Neuro-Oncology"}),
        ("Radiother Oncol", {"container-title": "Radiotherapy and Oncology"}),
        ("Radiother. Oncol.", {"container-title": "Radiotherapy & Oncology"}),
        ("Lancet", {"container-title": "The Lancet"}),
        ("Spine J", {"container-title": "The Spine Journal"}),
        ("Lancet Oncol", {"container-title": "The Lancet Oncology"}),
        ("Spine", {"container-title": "Spine", "container-title-short": "Spine (Phila Pa 1976)"}),
        ("Spine (Phila Pa 1976)", {"container-title": "Spine"}),
        (
            "AJNR",
            {
                "container-title": "American Journal of Neuroradiology",
                "container-title-short": "AJNR Am J Neuroradiol",
            },
        ),
        ("AJNR Am J Neuroradiol", {"container-title": "American Journal of Neuroradiology"}),
        ("AJR", {"container-title": "American Journal of Roentgenology"}),
        (
            "Int J Radiat Oncol Biol Phys",
            {"container-title": "International Journal of Radiation Oncology*Biology*Physics"},
        ),
        ("Clin Orthop Relat Res", {"container-title": "Clinical Orthopaedics and Related Research"}),
        (
            "Proc Natl Acad Sci U S A",
            {
                "container-title": "Proceedings of the National Academy of Sciences"
                " of the United States of America"
            },
        ),
        ("J Am Coll Radiol", {"container-title": "Journal of the American College of Radiology"}),
        ("Acta Oncol", {"container-title": "Acta Oncologica"}),
        ("Oncologist", {"container-title": "The Oncologist"}),
        ("Journal of Neuro-Oncology", {"container-title": "J Neurooncol"}),
        ("Revista Española de Cardiología", {"container-title": "Revista Espanola de Cardiologia"}),
        (
            "0174-1551",
            {"container-title": "CardioVascular and Interventional Radiology", "ISSN": ["0174-1551"]},
        ),
    ],
)
def test_journal_abbreviations_match(found: str, expected: dict[str, Any]) -> None:
    assert journal_matches(found, expected)
    assert one({"container-title": found}, expected, "container") is None


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ("Pain Physician", {"container-title": "Radiology"}),
        ("Lancet", {"container-title": "Cancer"}),
        ("Oncol Res", {"container-title": "Oncology Reviews"}),
        ("J Clin Oncol", {"container-title": "Clinical Oncology"}),
        ("J Neurosurg", {"container-title": "Journal of Neuroscience"}),
        ("Radiology", {"container-title": "Radiotherapy and Oncology"}),
        ("Eur Radiol", {"container-title": "European Journal of Radiology"}),
        (
            "AJR",
            {
                "container-title": "American Journal of Neuroradiology",
                "container-title-short": "AJNR Am J Neuroradiol",
            },
        ),
        ("1234-5678", {"container-title": "Radiology", "ISSN": ["0033-8419"]}),
    ],
)
def test_different_journals_are_errors(found: str, expected: dict[str, Any]) -> None:
    assert not journal_matches(found, expected)
    difference = one({"container-title": found}, expected, "container")
    assert difference is not None
    assert difference.grade == "error"
    assert "different journal" in difference.detail


def test_journal_typo_against_short_title_is_warning_with_exact_detail() -> None:
    expected = {"container-title": "Spine", "container-title-short": "Spine (Phila Pa 1976)"}
    assert not journal_matches("Spin (Phila Pa 1976)", expected)
    difference = one({"container-title": "Spin (Phila Pa 1976)"}, expected, "container")
    assert difference == Difference(
        field="container",
        grade="warning",
        expected="Spine",
        found="Spin (Phila Pa 1976)",
        detail="'Spin (Phila Pa 1976)' vs 'Spine (Phila Pa 1976)': 1 character differs (missing 'e')",
    )


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ("CardiovascIntervent Radiol", {"container-title": "CardioVascular and Interventional Radiology"}),
        ("CardiovascIntervent Radiol", REGISTRAR),
        ("Radiother Oncl", {"container-title": "Radiotherapy and Oncology"}),
        ("Radiotherapy and Oncolgy", {"container-title": "Radiotherapy and Oncology"}),
        ("Spin", {"container-title": "Spine"}),
    ],
)  # fmt: skip
def test_journal_typos_are_warnings(found: str, expected: dict[str, Any]) -> None:
    assert not journal_matches(found, expected)
    assert grade({"container-title": found}, expected, "container") == "warning"


def test_same_issn_downgrades_unrecognised_journal_name() -> None:
    expected = {"container-title": "Radiology", "ISSN": "0033-8419"}
    found = {"container-title": "Radiol (Easton)", "ISSN": "0033-8419"}
    assert one(found, expected, "container") is None
    assert grade(dict(found, ISSN="1234-5678"), expected, "container") == "error"


# ------------------------------------------------------------------- volume, issue


def test_volume() -> None:
    assert grade({"volume": "39"}, {"volume": "39"}, "volume") is None
    assert grade({"volume": "Vol. 39"}, {"volume": "39"}, "volume") is None
    assert grade({"volume": "39 Suppl 1"}, {"volume": "39"}, "volume") == "warning"
    difference = one({"volume": "38"}, {"volume": "39"}, "volume")
    assert difference is not None and difference.grade == "error"
    assert "'38' vs '39'" in difference.detail


def test_issue_is_warning_only_when_volume_and_first_page_agree() -> None:
    assert grade(dict(PRINTED, issue="09"), REGISTRAR, "issue") is None
    assert grade(dict(PRINTED, issue="8"), REGISTRAR, "issue") == "warning"
    assert grade(dict(PRINTED, issue="8", volume="38"), REGISTRAR, "issue") == "error"
    assert grade(dict(PRINTED, issue="8", page="1230-8"), REGISTRAR, "issue") == "error"
    no_page = {k: v for k, v in PRINTED.items() if k != "page"}
    assert grade(dict(no_page, issue="8"), REGISTRAR, "issue") == "error"


# --------------------------------------------------------------------- pages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1067-75", ("1067", "1075")),
        ("1067-1075", ("1067", "1075")),
        ("1067–1075", ("1067", "1075")),
        ("1067-107", ("1067", "1107")),
        ("e597-605", ("e597", "e605")),
        ("e597-e605", ("e597", "e605")),
        ("E1221-9", ("E1221", "E1229")),
        ("S347-64", ("S347", "S364")),
        ("pp. 225-35", ("225", "235")),
        ("99-101", ("99", "101")),
        ("321", ("321", None)),
        ("e0123456", ("e0123456", None)),
        ("1-5, 9", ("1", "5")),
        ("", ("", None)),
    ],
)
def test_expand_page_range(text: str, expected: tuple[str, str | None]) -> None:
    assert expand_page_range(text) == expected


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ("1067-75", "1067-1075"),
        ("e597-605", "e597-e605"),
        ("E1221-9", "E1221-E1229"),
        ("S347-64", "S347-S364"),
        ("1067", "1067-1075"),
        ("1067-1075", "1067"),
        ("1229–38", "1229-1238"),
    ],
)
def test_page_style_differences_are_not_reported(found: str, expected: str) -> None:
    assert one({"page": found}, {"page": expected}, "page") is None


def test_different_last_page_is_warning_showing_both_expansions() -> None:
    difference = one({"page": "1067-107"}, {"page": "1067-1075"}, "page")
    assert difference is not None
    assert difference.grade == "warning"
    assert "1067–1107" in difference.detail and "1067–1075" in difference.detail


def test_different_first_page_is_error() -> None:
    difference = one({"page": "317-27"}, {"page": "315-327"}, "page")
    assert difference is not None
    assert difference.grade == "error"
    assert "first page" in difference.detail


def test_page_first_is_used_when_page_is_absent() -> None:
    assert grade({"page": "1229-38"}, {"page-first": "1229"}, "page") is None
    assert grade({"page": "1230-38"}, {"page-first": "1229"}, "page") == "error"


# --------------------------------------------------------------- normalize_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ståhl", "stahl"),
        ("Gonçalves", "goncalves"),
        ("Sørensen Æbelø", "sorensen aebelo"),
        ("Straße", "strasse"),
        ("Neuro–Oncology", "neuro oncology"),
        ("<i>In vivo</i> &amp; in vitro.", "in vivo and in vitro"),
        ("CO<sub>2</sub>", "co2"),
        ("  Multiple   spaces\n", "multiple spaces"),
    ],
)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected
    assert normalize_text(normalize_text(text)) == normalize_text(text)
