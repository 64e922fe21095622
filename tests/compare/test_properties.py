"""Property-based tests (hypothesis) for identifiers and the graded comparison."""

from __future__ import annotations

import re
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from audit.compare import compare_works, expand_page_range, names_match, normalize_text
from audit.identifiers import doi_url, normalize_doi

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(max_examples=60, deadline=None)

# ------------------------------------------------------------------------ DOIs

registrants = st.builds(
    lambda head, tail: head + "".join(f".{t}" for t in tail),
    st.from_regex(r"[1-9][0-9]{3,8}", fullmatch=True),
    st.lists(st.from_regex(r"[0-9]{1,3}", fullmatch=True), max_size=2),
)
suffix_chars = string.ascii_lowercase + string.digits + "-._;()/:<>#?%"
suffixes = st.text(suffix_chars, min_size=1, max_size=30).filter(
    lambda s: s[-1] not in ".,;:)]" and s.count("(") == s.count(")")
)
valid_dois = st.builds(lambda r, s: f"10.{r}/{s}", registrants, suffixes)


@FAST
@given(st.text(max_size=60))
def test_normalize_doi_is_idempotent_on_anything(text: str) -> None:
    first = normalize_doi(text)
    if first.doi is None:
        assert first.problem
        return
    second = normalize_doi(first.doi)
    assert second.doi == first.doi
    assert second.changed is False
    assert first.changed == (first.doi != text)


@FAST
@given(st.text(max_size=60).filter(lambda s: "10." not in s))
def test_strings_without_doi_prefix_are_never_dois(text: str) -> None:
    result = normalize_doi(text)
    assert result.doi is None
    assert result.problem


@FAST
@given(
    st.from_regex(r"10\.[0-9]{0,3}/[a-z0-9]{1,10}", fullmatch=True)
    | st.from_regex(r"10\.[0-9]{4,9}", fullmatch=True)
    | st.from_regex(r"10\.[0-9]{4,9}/ ?[a-z0-9]* [a-z0-9]+", fullmatch=True)
    | st.from_regex(r"10\.[a-z]{1,5}[0-9]{0,4}/[a-z0-9]{1,10}", fullmatch=True)
)
def test_malformed_doi_shapes_are_rejected(text: str) -> None:
    assert normalize_doi(text).doi is None


@FAST
@given(valid_dois)
def test_valid_doi_is_accepted_unchanged(doi: str) -> None:
    result = normalize_doi(doi)
    assert result.doi == doi
    assert result.changed is False


@FAST
@given(
    valid_dois,
    st.sampled_from(
        [
            "https://doi.org/{}",
            "http://dx.doi.org/{}",
            "https://dx.doi.org/{}",
            "doi.org/{}",
            "doi:{}",
            "DOI: {}",
            "doi {}",
            " {} ",
            "<{}>",
            "{}.",
            "({})",
        ]
    ),
    st.booleans(),
)
def test_doi_forms_round_trip(doi: str, template: str, upper: bool) -> None:
    written = doi
    if "doi.org" in template:
        written = doi_url(doi).removeprefix("https://doi.org/")
    text = template.format(written)
    if upper:
        text = text.upper()
    assert normalize_doi(text).doi == doi


@FAST
@given(valid_dois)
def test_doi_url_round_trips(doi: str) -> None:
    url = doi_url(doi)
    assert url.startswith("https://doi.org/10.")
    assert not re.search(r"[\s#?<>\"%](?![0-9A-F]{2})", url.removeprefix("https://doi.org/"))
    assert normalize_doi(url).doi == doi


# ------------------------------------------------------------------ page ranges


@st.composite
def page_ranges(draw: st.DrawFn) -> tuple[str, int, int, str]:
    """(prefix, first, last, abbreviated form): the end keeps only some trailing digits."""
    prefix = draw(st.sampled_from(["", "", "e", "E", "S"]))
    first = draw(st.integers(min_value=1, max_value=99_999))
    last = first + draw(st.integers(min_value=1, max_value=5_000))
    start, end = str(first), str(last)
    if len(end) == len(start):
        # keeping the last k digits works when the start supplies the dropped leading ones
        ks = [k for k in range(1, len(end) + 1) if start[: len(start) - k] + end[len(end) - k :] == end]
    else:
        ks = [len(end)]
    keep = draw(st.sampled_from(ks))
    end_prefix = draw(st.sampled_from(["", prefix]))
    return prefix, first, last, f"{prefix}{start}-{end_prefix}{end[len(end) - keep :]}"


@FAST
@given(page_ranges())
def test_abbreviated_page_range_expands_to_full_range(case: tuple[str, int, int, str]) -> None:
    prefix, first, last, abbreviated = case
    assert expand_page_range(abbreviated) == (f"{prefix}{first}", f"{prefix}{last}")


@FAST
@given(page_ranges() | st.text(alphabet="0123456789-eS–, ", max_size=15).map(lambda t: ("", 0, 0, t)))
def test_page_range_expansion_is_idempotent(case: tuple[str, int, int, str]) -> None:
    first, last = expand_page_range(case[3])
    joined = f"{first}-{last}" if last is not None else first
    assert expand_page_range(joined) == (first, last)


@SLOW
@given(page_ranges())
def test_abbreviated_range_is_no_finding_and_wrong_start_is_error(case: tuple[str, int, int, str]) -> None:
    prefix, first, last, abbreviated = case
    full = f"{prefix}{first}-{prefix}{last}"
    assert compare_works({"page": abbreviated}, {"page": full}, fields=["page"]) == []
    wrong = f"{prefix}{first + 1}-{last + 1}"
    [difference] = compare_works({"page": wrong}, {"page": full}, fields=["page"])
    assert difference.grade == "error"


# ---------------------------------------------------------------------- names

letters = st.sampled_from(list("bcdfghjklmnprstvz"))
vowels = st.sampled_from(list("aeiou"))
syllables = st.builds(lambda c, v: c + v, letters, vowels)
words = st.lists(syllables, min_size=2, max_size=4).map("".join)
capitalised = words.map(str.capitalize)
DIACRITICS = {"a": "å", "o": "ø", "e": "é", "u": "ü", "c": "ç", "n": "ñ"}


def accented(word: str) -> str:
    return "".join(DIACRITICS.get(ch, ch) for ch in word)


def initials(given_names: list[str], style: str) -> str:
    letters_ = [g[0] for g in given_names]
    return {
        "plain": "".join(letters_),
        "dotted": ". ".join(letters_) + ".",
        "tight": ".".join(letters_) + ".",
    }[style]


@FAST
@given(
    capitalised, st.lists(capitalised, min_size=1, max_size=3), st.sampled_from(["plain", "dotted", "tight"])
)
def test_initials_match_given_names_and_diacritics_do_not_matter(
    family: str, given_names: list[str], style: str
) -> None:
    full = {"family": accented(family), "given": " ".join(given_names)}
    short = {"family": family, "given": initials(given_names, style)}
    assert names_match(full, short)
    assert names_match(short, full)
    # only the first given name, or only its initial, still matches
    assert names_match(full, {"family": family, "given": given_names[0]})
    assert names_match(full, {"family": family, "given": given_names[0][0]})


@FAST
@given(
    capitalised,
    st.sampled_from(["van der", "van", "de", "von", "van den", "de la"]),
    st.lists(capitalised, min_size=1, max_size=2),
)
def test_particles_in_family_or_particle_field_match(
    family: str, particle: str, given_names: list[str]
) -> None:
    given_ = " ".join(given_names)
    in_family = {"family": f"{particle} {family}", "given": initials(given_names, "plain")}
    non_dropping = {"family": family, "non-dropping-particle": particle, "given": given_}
    dropping = {"family": family, "dropping-particle": particle, "given": given_}
    capital = {"family": f"{particle.title()} {family}", "given": given_}
    for other in (non_dropping, dropping, capital):
        assert names_match(in_family, other)
        assert names_match(other, in_family)


@FAST
@given(capitalised, capitalised, st.lists(capitalised, min_size=1, max_size=2))
def test_different_family_names_do_not_match(family_a: str, family_b: str, given_names: list[str]) -> None:
    assume(normalize_text(family_a) != normalize_text(family_b))
    given_ = " ".join(given_names)
    assert not names_match({"family": family_a, "given": given_}, {"family": family_b, "given": given_})


@FAST
@given(
    st.lists(
        st.tuples(capitalised, st.lists(capitalised, min_size=1, max_size=2)),
        min_size=2,
        max_size=8,
        unique_by=lambda t: t[0],
    ),
    st.data(),
)
def test_author_list_truncated_with_et_al_is_not_a_difference(
    people: list[tuple[str, list[str]]], data: st.DataObject
) -> None:
    expected = {"author": [{"family": f, "given": " ".join(g)} for f, g in people]}
    n = data.draw(st.integers(min_value=1, max_value=len(people)))
    found = {
        "author": [{"family": f, "given": initials(g, "plain")} for f, g in people[:n]]
        + [{"literal": "others"}]
    }
    assert compare_works(found, expected, fields=["author"]) == []


# --------------------------------------------------------------------- titles


def vocabulary(text: str) -> list[str]:
    return text.split()


MEDICAL = vocabulary(
    "spinal metastases ablation vertebral augmentation radiofrequency cryoablation palliation "
    "kyphoplasty cementoplasty oncology fracture percutaneous outcomes imaging tumour"
)
UNRELATED = vocabulary(
    "harvest orchard violin weather railway cathedral symphony glacier tapestry lantern "
    "meadow harbour porcelain compass thunder velvet"
)
medical_titles = st.lists(st.sampled_from(MEDICAL), min_size=4, max_size=12)
unrelated_titles = st.lists(st.sampled_from(UNRELATED), min_size=4, max_size=12)


def restyle(title_words: list[str], cases: list[int], seps: list[str], end: str) -> str:
    styled = []
    for i, word in enumerate(title_words):
        style = cases[i % len(cases)]
        styled.append(word.upper() if style == 2 else word.capitalize() if style == 1 else word)
    out = styled[0]
    for i, word in enumerate(styled[1:]):
        out += seps[i % len(seps)] + word
    return out + end


@FAST
@given(
    medical_titles,
    st.lists(st.integers(0, 2), min_size=1, max_size=5),
    st.lists(
        st.sampled_from([" ", "  ", ", ", " – ", "-", " — ", " (", ") ", " / "]), min_size=1, max_size=4
    ),
    st.sampled_from(["", ".", "?", " .", "!"]),
)
def test_title_comparison_ignores_case_and_punctuation(
    title_words: list[str], cases: list[int], seps: list[str], end: str
) -> None:
    expected = {"title": " ".join(title_words).capitalize()}
    found = {"title": restyle(title_words, cases, seps, end)}
    assert compare_works(found, expected, fields=["title"]) == []


@FAST
@given(medical_titles.filter(lambda w: len(" ".join(w)) >= 30), st.data())
def test_single_character_typo_in_long_title_is_warning(title_words: list[str], data: st.DataObject) -> None:
    title = " ".join(title_words)
    letter_positions = [i for i, ch in enumerate(title) if ch.isalpha()]
    i = data.draw(st.sampled_from(letter_positions))
    replacement = data.draw(st.sampled_from([c for c in string.ascii_lowercase if c != title[i]]))
    kind = data.draw(st.sampled_from(["substitute", "delete", "insert"]))
    if kind == "substitute":
        typo = title[:i] + replacement + title[i + 1 :]
    elif kind == "delete":
        typo = title[:i] + title[i + 1 :]
    else:
        typo = title[:i] + replacement + title[i:]
    assume(typo.replace(" ", "") != title.replace(" ", ""))
    [difference] = compare_works({"title": typo}, {"title": title}, fields=["title"])
    assert difference.grade == "warning"


@FAST
@given(medical_titles, unrelated_titles)
def test_unrelated_title_is_error(title_words: list[str], other_words: list[str]) -> None:
    [difference] = compare_works(
        {"title": " ".join(other_words)}, {"title": " ".join(title_words)}, fields=["title"]
    )
    assert difference.grade == "error"


@FAST
@given(st.text(max_size=40))
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once == once.strip()
    assert "  " not in once
