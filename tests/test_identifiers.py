"""DOI, PMID, PMCID, arXiv and citation-key normalisation."""

from __future__ import annotations

import pytest

from audit.identifiers import (
    CITEKEY_HANDLERS,
    CiteKey,
    DoiNormalization,
    doi_url,
    normalize_arxiv,
    normalize_doi,
    normalize_isbn,
    normalize_pmcid,
    normalize_pmid,
    parse_citekey,
)

# --------------------------------------------------------------------- DOIs


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("https://doi.org/10.1007/s00270-016-1402-6", "10.1007/s00270-016-1402-6"),
        ("http://dx.doi.org/10.1007/s00270-016-1402-6", "10.1007/s00270-016-1402-6"),
        ("https://www.doi.org/10.1007/s00270-016-1402-6", "10.1007/s00270-016-1402-6"),
        ("doi.org/10.3174/ajnr.A4521", "10.3174/ajnr.a4521"),
        ("doi:10.3174/ajnr.A4521", "10.3174/ajnr.a4521"),
        ("DOI: 10.3174/AJNR.A4521", "10.3174/ajnr.a4521"),
        ("doi 10.3174/ajnr.a4521", "10.3174/ajnr.a4521"),
        ("10.1097/BRS.0b013e3181e16ae2", "10.1097/brs.0b013e3181e16ae2"),
        ("  10.1148/radiol.2020191905\n", "10.1148/radiol.2020191905"),
        ("10.1148/radiol.2020191905.", "10.1148/radiol.2020191905"),
        ("10.1148/radiol.2020191905;", "10.1148/radiol.2020191905"),
        ("10.1148/radiol.2020191905,", "10.1148/radiol.2020191905"),
        ("10.1148/radiol.2020191905:", "10.1148/radiol.2020191905"),
        ("(doi:10.1148/radiol.2020191905)", "10.1148/radiol.2020191905"),
        ("[10.1148/radiol.2020191905]", "10.1148/radiol.2020191905"),
        ("<10.1148/radiol.2020191905>", "10.1148/radiol.2020191905"),
        ("https://doi.org/10.1148%2Fradiol.2020191905", "10.1148/radiol.2020191905"),
        ("https://doi.org/10.1148/radiol.2020191905#abstract", "10.1148/radiol.2020191905"),
        ("info:doi/10.1148/radiol.2020191905", "10.1148/radiol.2020191905"),
        # Balanced parentheses belong to the DOI; an unbalanced closing one does not.
        ("10.1016/S0140-6736(05)66954-1", "10.1016/s0140-6736(05)66954-1"),
        ("10.1016/S0140-6736(05)66954-1).", "10.1016/s0140-6736(05)66954-1"),
        ("10.36076/ppj.2014/17/315", "10.36076/ppj.2014/17/315"),
        ("10.1000.10/123", "10.1000.10/123"),
        # SICI-style DOIs keep their odd characters; '#' is encoded in the URL form.
        (
            "https://doi.org/10.1002/(SICI)1097-4636(199812)43:4%3C338::AID-JBM1%3E3.0.CO;2-%23",
            "10.1002/(sici)1097-4636(199812)43:4<338::aid-jbm1>3.0.co;2-#",
        ),
    ],
)
def test_normalize_doi_accepts_harmless_forms(text: str, doi: str) -> None:
    result = normalize_doi(text)
    assert result == DoiNormalization(doi=doi, original=text, changed=text != doi, problem=None)
    again = normalize_doi(result.doi or "")
    assert again.doi == doi
    assert again.changed is False


def test_normalize_doi_reports_unchanged_canonical_doi() -> None:
    result = normalize_doi("10.1007/s00256-023-04348-x")
    assert result.doi == "10.1007/s00256-023-04348-x"
    assert result.changed is False
    assert result.problem is None


@pytest.mark.parametrize(
    ("text", "problem_words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1007/s00270-016-1402-6", "10."),
        ("11.1007/s00270", "10."),
        ("10.1234", "/"),
        ("10.12/abc", "registrant"),
        ("10.abcd/abc", "registrant"),
        ("10.1234567890/abc", "registrant"),
        ("10.1234/", "suffix"),
        ("10.1234/.", "suffix"),
        ("10.1234/abc def", "whitespace"),
        ("10.1234/abc\tdef", "whitespace"),
        ("10.1234/abc\x00def", "control"),
        ("https://example.org/10.1234/abc", "url"),
        ("https://link.springer.com/article/10.1007/s00256-023-04348-x", "url"),
        ("www.example.com/10.1234/x", "url"),
        ("PMID: 28584570", "pmid"),
        ("28584570", "pmid"),
        ("PMC5444408", "pmcid"),
        ("978-0-306-40615-7", "isbn"),
        ("0-306-40615-2", "isbn"),
        ("hep-th/9901001", "arxiv"),
        ("arXiv:2101.01234v2", "arxiv"),
        ("not a doi", "10."),
        ("doi:", "empty"),
    ],
)
def test_normalize_doi_rejects_non_dois(text: str, problem_words: str) -> None:
    result = normalize_doi(text)
    assert result.doi is None
    assert result.changed is False
    assert result.original == text
    assert result.problem is not None
    assert problem_words.lower() in result.problem.lower()


def test_doi_url_encodes_only_what_needs_it() -> None:
    assert doi_url("10.1007/s00270-016-1402-6") == "https://doi.org/10.1007/s00270-016-1402-6"
    assert doi_url("10.1016/S0140-6736(05)66954-1") == "https://doi.org/10.1016/s0140-6736(05)66954-1"
    assert doi_url("10.1234/a;b:c") == "https://doi.org/10.1234/a;b:c"
    sici = "10.1002/(sici)1097-4636(199812)43:4<338::aid-jbm1>3.0.co;2-#"
    assert doi_url(sici) == (
        "https://doi.org/10.1002/(sici)1097-4636(199812)43:4%3C338::aid-jbm1%3E3.0.co;2-%23"
    )
    assert doi_url("10.1234/a?b%c") == "https://doi.org/10.1234/a%3Fb%25c"
    assert normalize_doi(doi_url("10.1234/a?b%c")).doi == "10.1234/a?b%c"


def test_doi_url_rejects_non_doi() -> None:
    with pytest.raises(ValueError, match="not a DOI"):
        doi_url("28584570")


# ------------------------------------------------------------- PMID, PMCID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28584570", "28584570"),
        ("PMID: 28584570", "28584570"),
        ("pmid:28584570", "28584570"),
        (" 1 ", "1"),
        ("12345678", "12345678"),
        ("123456789", None),
        ("0", None),
        ("PMC5444408", None),
        ("10.1234/x", None),
        ("2858457a", None),
        ("", None),
    ],
)
def test_normalize_pmid(text: str, expected: str | None) -> None:
    assert normalize_pmid(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PMC5444408", "PMC5444408"),
        ("pmc5444408", "PMC5444408"),
        ("pmc:5444408", "PMC5444408"),
        ("PMCID: PMC5444408", "PMC5444408"),
        ("5444408", None),  # bare digits could be a PMID
        ("PMC", None),
        ("PMCabc", None),
        ("PMID:5444408", None),
    ],
)
def test_normalize_pmcid(text: str, expected: str | None) -> None:
    assert normalize_pmcid(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2101.01234v2", "2101.01234v2"),
        ("2101.01234", "2101.01234"),
        ("arXiv:2101.01234V2", "2101.01234v2"),
        ("https://arxiv.org/abs/2101.01234v2", "2101.01234v2"),
        ("0704.0001", "0704.0001"),
        ("1412.6980", "1412.6980"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("math.gt/0309136v1", "math.GT/0309136v1"),
        ("2113.01234", None),  # month 13
        ("1501.0123", None),  # five digits from 2015 on
        ("1412.01234", None),  # four digits before 2015
        ("0612.0001", None),  # new style began in April 2007
        ("hep-th/1501001", None),  # old style ended in 2007
        ("10.1234/abc", None),
        ("hepth9901001", None),
    ],
)
def test_normalize_arxiv(text: str, expected: str | None) -> None:
    assert normalize_arxiv(text) == expected


def test_normalize_isbn_checks_check_digit() -> None:
    assert normalize_isbn("978-0-306-40615-7") == "9780306406157"
    assert normalize_isbn("ISBN 0-306-40615-2") == "0306406152"
    assert normalize_isbn("978-0-306-40615-8") is None
    assert normalize_isbn("0-306-40615-3") is None


# ------------------------------------------------------------------ citekeys


@pytest.mark.parametrize(
    ("key", "scheme", "identifier"),
    [
        ("doi:10.1007/S00270-016-1402-6", "doi", "10.1007/s00270-016-1402-6"),
        ("DOI:10.1007/s00270-016-1402-6", "doi", "10.1007/s00270-016-1402-6"),
        ("doi:https://doi.org/10.1007/s00270-016-1402-6", "doi", "10.1007/s00270-016-1402-6"),
        ("pmid:28584570", "pmid", "28584570"),
        ("pubmed:28584570", "pmid", "28584570"),
        ("pmcid:PMC5444408", "pmcid", "PMC5444408"),
        ("pmc:5444408", "pmcid", "PMC5444408"),
        ("PMC:PMC5444408", "pmcid", "PMC5444408"),
        ("arxiv:2101.01234v2", "arxiv", "2101.01234v2"),
        ("arXiv:hep-th/9901001", "arxiv", "hep-th/9901001"),
        ("url:https://www.cancer.org/facts", "url", "https://www.cancer.org/facts"),
        ("https://www.nccn.org/guidelines", "url", "https://www.nccn.org/guidelines"),
        ("http://example.org/a", "url", "http://example.org/a"),
        ("isbn:978-0-306-40615-7", "isbn", "9780306406157"),
        ("wikidata:q42", "wikidata", "Q42"),
        ("tag:smith-review", "tag", "smith-review"),
        ("raw:anything goes", "raw", "anything goes"),
        ("anchala2014", None, "anchala2014"),
        ("tomasian2018bipedicular", None, "tomasian2018bipedicular"),
        ("fig:overview", None, "fig:overview"),
        ("@doi:10.1234/abc", "doi", "10.1234/abc"),
    ],
)
def test_parse_citekey(key: str, scheme: str | None, identifier: str) -> None:
    parsed = parse_citekey(key)
    assert parsed == CiteKey(scheme=scheme, identifier=identifier, raw=key, problem=None)


@pytest.mark.parametrize(
    ("key", "scheme", "identifier"),
    [
        ("doi:1007/s00270", "doi", "1007/s00270"),
        ("pmid:PMC5444408", "pmid", "PMC5444408"),
        ("pmcid:abc", "pmcid", "abc"),
        ("arxiv:2113.01234", "arxiv", "2113.01234"),
        ("isbn:978-0-306-40615-8", "isbn", "978-0-306-40615-8"),
        ("wikidata:42", "wikidata", "42"),
        ("url:ftp//nothing", "url", "ftp//nothing"),
    ],
)
def test_parse_citekey_keeps_invalid_identifier_with_problem(key: str, scheme: str, identifier: str) -> None:
    parsed = parse_citekey(key)
    assert parsed.scheme == scheme
    assert parsed.identifier == identifier
    assert parsed.problem


def test_citekey_handlers_are_a_table_per_scheme() -> None:
    assert set(CITEKEY_HANDLERS) == {
        "doi", "pmid", "pmcid", "arxiv", "url", "isbn", "wikidata", "tag", "raw"
    }  # fmt: skip
    for scheme, handler in CITEKEY_HANDLERS.items():
        assert handler.scheme == scheme
