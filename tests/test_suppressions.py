"""Suppressions file: loading (with file:line errors) and matching."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from audit.model import Finding, Severity
from audit.suppressions import (
    DEFAULT_FILENAME,
    Suppression,
    SuppressionError,
    apply_suppressions,
    default_path,
    load_suppressions,
)

EXAMPLE = """\
suppressions:
  - code: doi-missing
    key: urch2004
    reason: "Palliative Medicine 2004 has no DOI registered for this article"
  - code: metadata-mismatch
    key: anchala2014
    field: page
    reason: "the DOI suffix and the printed pages differ at the publisher"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / DEFAULT_FILENAME
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def finding(code: str, key: str | None = None, field: str | None = None,
            severity: Severity = Severity.WARNING) -> Finding:
    return Finding(code=code, severity=severity, message=f"{code} {key}", key=key, field=field)


def sup(code: str, key: str | None = None, field: str | None = None, line: int = 1) -> Suppression:
    return Suppression(code=code, key=key, field=field, reason="because", line=line)


# ---------------------------------------------------------------- loading


def test_load_example(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    loaded = load_suppressions(path)
    assert [(s.code, s.key, s.field, s.line) for s in loaded] == [
        ("doi-missing", "urch2004", None, 2),
        ("metadata-mismatch", "anchala2014", "page", 5),
    ]
    assert loaded[0].reason.startswith("Palliative Medicine 2004")
    assert loaded[1].location == f"{path}:5"


def test_empty_file_and_empty_list(tmp_path: Path) -> None:
    assert load_suppressions(write(tmp_path, "")) == []
    assert load_suppressions(write(tmp_path, "suppressions:\n")) == []
    assert load_suppressions(write(tmp_path, "suppressions: []\n")) == []


def test_missing_file_required_or_not(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert load_suppressions(missing, required=False) == []
    with pytest.raises(SuppressionError, match=r"nope\.yaml: suppressions file not found"):
        load_suppressions(missing, required=True)


def test_default_path_is_beside_the_manuscript(tmp_path: Path) -> None:
    assert default_path(tmp_path / "paper.md") == tmp_path / ".audit-suppressions.yaml"


def test_missing_reason_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        suppressions:
          - code: doi-missing
            key: a
            reason: ok
          - code: doi-missing
            key: b
        """)
    with pytest.raises(SuppressionError) as info:
        load_suppressions(path)
    assert str(info.value).startswith(f"{path}:5: ")
    assert "reason" in str(info.value)
    assert info.value.line == 5


def test_blank_reason_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, 'suppressions:\n  - code: doi-missing\n    reason: "  "\n')
    with pytest.raises(SuppressionError, match=r":2: .*reason"):
        load_suppressions(path)


def test_unknown_field_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        suppressions:
          - code: doi-missing
            key: a
            resaon: typo
        """)
    with pytest.raises(SuppressionError, match=r"\.yaml:4: unknown key 'resaon'"):
        load_suppressions(path)


def test_unknown_code_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "suppressions:\n  - code: doi-mising\n    reason: x\n")
    with pytest.raises(SuppressionError, match=r":2: unknown finding code.*doi-missing"):
        load_suppressions(path)


def test_missing_code(tmp_path: Path) -> None:
    path = write(tmp_path, "suppressions:\n  - key: a\n    reason: x\n")
    with pytest.raises(SuppressionError, match=r":2: .*'code'"):
        load_suppressions(path)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        suppressions:
          - code: doi-missing
            key: [a
            reason: x
        """)
    with pytest.raises(SuppressionError) as info:
        load_suppressions(path)
    message = str(info.value)
    assert message.startswith(f"{path}:4: invalid YAML")
    assert isinstance(info.value.__cause__, Exception)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("- code: doi-missing\n  reason: x\n", 1, "'suppressions'"),
        ("suppresions:\n  - code: doi-missing\n", 1, "unknown top-level key"),
        ("suppressions:\n  code: doi-missing\n", 2, "must be a list"),
        ("suppressions:\n  - doi-missing\n", 2, "must be a mapping"),
        ("suppressions:\n  - code: doi-missing\n    key: [a, b]\n    reason: x\n", 3,
         "single value"),
    ],
)
def test_structure_errors(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SuppressionError) as info:
        load_suppressions(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert fragment in str(info.value)


def test_null_and_wildcard_values(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        suppressions:
          - code: unverified
            key: "*"
            field: ~
            reason: registrar outage
        """)
    (only,) = load_suppressions(path)
    assert only.key == "*"
    assert only.field is None


def test_numeric_looking_key_stays_text(tmp_path: Path) -> None:
    path = write(tmp_path, "suppressions:\n  - code: doi-missing\n    key: 2004\n    reason: x\n")
    assert load_suppressions(path)[0].key == "2004"


# ---------------------------------------------------------------- matching


def test_code_must_match() -> None:
    kept, suppressed, unused = apply_suppressions(
        [finding("doi-missing", "a")], [sup("doi-not-found", "a")])
    assert [f.key for f in kept] == ["a"]
    assert suppressed == []
    assert len(unused) == 1


def test_key_and_field_must_match_when_given() -> None:
    findings = [
        finding("metadata-mismatch", "anchala2014", "page"),
        finding("metadata-mismatch", "anchala2014", "volume"),
        finding("metadata-mismatch", "other", "page"),
    ]
    kept, suppressed, unused = apply_suppressions(
        findings, [sup("metadata-mismatch", "anchala2014", "page")])
    assert [(f.key, f.field) for f, _ in suppressed] == [("anchala2014", "page")]
    assert [(f.key, f.field) for f in kept] == [("anchala2014", "volume"), ("other", "page")]
    assert unused == []
    assert suppressed[0][1] == "because"


def test_field_given_but_finding_has_none() -> None:
    kept, suppressed, _ = apply_suppressions(
        [finding("doi-missing", "a")], [sup("doi-missing", "a", "page")])
    assert kept and not suppressed


@pytest.mark.parametrize("key", [None, "*"])
def test_no_key_or_star_matches_every_key(key: str | None) -> None:
    findings = [finding("unverified", "a"), finding("unverified", "b"), finding("doi-missing", "c")]
    kept, suppressed, unused = apply_suppressions(findings, [sup("unverified", key)])
    assert [f.key for f, _ in suppressed] == ["a", "b"]
    assert [f.key for f in kept] == ["c"]
    assert unused == []


def test_star_field_matches_any_field() -> None:
    findings = [finding("metadata-mismatch", "k", "page"), finding("metadata-mismatch", "k", None)]
    kept, suppressed, _ = apply_suppressions(findings, [sup("metadata-mismatch", "k", "*")])
    assert kept == [] and len(suppressed) == 2


def test_unused_suppressions_reported_in_file_order() -> None:
    suppressions = [sup("doi-missing", "gone", line=2), sup("doi-missing", "a", line=5),
                    sup("retracted", "b", line=9)]
    kept, suppressed, unused = apply_suppressions([finding("doi-missing", "a")], suppressions)
    assert kept == []
    assert len(suppressed) == 1
    assert [s.line for s in unused] == [2, 9]


def test_first_matching_entry_wins_and_duplicate_is_unused() -> None:
    first = Suppression("doi-missing", "a", None, "first", 2)
    second = Suppression("doi-missing", None, None, "second", 6)
    _, suppressed, unused = apply_suppressions([finding("doi-missing", "a")], [first, second])
    assert suppressed[0][1] == "first"
    assert unused == [second]


def test_loaded_example_applies(tmp_path: Path) -> None:
    suppressions = load_suppressions(write(tmp_path, EXAMPLE))
    findings = [
        finding("doi-missing", "urch2004", severity=Severity.INFO),
        finding("metadata-mismatch", "anchala2014", "page"),
        finding("metadata-mismatch", "anchala2014", "issued"),
    ]
    kept, suppressed, unused = apply_suppressions(findings, suppressions)
    assert [f.field for f in kept] == ["issued"]
    assert {f.key for f, _ in suppressed} == {"urch2004", "anchala2014"}
    assert unused == []
