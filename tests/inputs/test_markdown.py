"""Markdown manuscripts in Manubot's syntax: alias lines, template expressions, bare DOIs,
``citekey-aliases``, and one work cited through several keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from audit.inputs.markdown import read_manuscript
from audit.locate import blank_code
from tests.conftest import need_shared

DOI = "10.1098/rsif.2017.0387"  # the Deep Review, as Manubot's own template cites it


def audit_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    code = main([*args, "--format", "json"])
    assert code in (0, 1)
    findings: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["findings"]
    return findings


def test_alias_lines_define_aliases_and_are_not_citations(tmp_path: Path, capsys) -> None:
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\n---\n\nDeep learning in biology [@deep-review; @tag:dr2].\n\n"
                  f"[@deep-review]: doi:{DOI}\n[@tag:dr2]: doi:{DOI.upper()}\n\n"
                  "```\n[@in-code]: doi:10.1/not-an-alias\n```\n")
    manuscript = read_manuscript([md])
    assert [(c.key, c.line) for c in manuscript.citations] == [("deep-review", 5), ("tag:dr2", 5)]
    assert manuscript.aliases == {"deep-review": f"doi:{DOI}", "tag:dr2": f"doi:{DOI.upper()}"}
    findings = audit_json(capsys, str(md))
    # one work (its DOI, not in the lock: unverified), cited by two keys (Manubot warns)
    assert [(f["code"], f["key"]) for f in findings] == [
        ("several-keys", "tag:dr2"), ("unverified", "deep-review")]
    assert f"doi:{DOI}" in findings[0]["message"]


def test_template_expressions_are_not_citations(tmp_path: Path) -> None:
    """Manubot renders Jinja2 before pandoc reads the text; what a template says is not the
    manuscript's (Manubot's own template writes @{{author.mastodon}} in its front matter)."""
    md = tmp_path / "front.md"
    md.write_text("---\ntitle: T\n---\n\n"
                  "[@{{author.mastodon}}@{{author[\"mastodon-server\"]}}](https://x.org)\n\n"
                  "{% if manubot.ci_source is defined %}[@tag:hidden]{% endif %} "
                  "{# a comment [@tag:note] #} text [@doi:10.1101/142760], {{n}} new.\n")
    keys = [(c.key, c.line) for c in read_manuscript([md]).citations]
    # what an {% if %} block holds is the manuscript's when the condition holds: it counts
    assert keys == [("tag:hidden", 7), ("doi:10.1101/142760", 7)]


def test_a_bare_doi_is_a_doi_key(tmp_path: Path, capsys) -> None:
    md = tmp_path / "paper.md"
    md.write_text(f"---\ntitle: T\n---\n\nAs shown [@{DOI}] and again [@doi:{DOI}].\n")
    findings = audit_json(capsys, str(md))
    assert {f["code"] for f in findings} == {"several-keys", "unverified"}
    assert [f["message"] for f in findings if f["code"] == "unverified"] == [
        f"{DOI} could not be checked: not in the metadata lock (run with --refresh to fetch it)"]


def test_citekey_aliases_metadata(tmp_path: Path) -> None:
    md = tmp_path / "paper.md"
    md.write_text(f"---\ncitekey-aliases:\n  dr: doi:{DOI}\n---\n\nText [@dr].\n")
    assert read_manuscript([md]).aliases == {"dr": f"doi:{DOI}"}


def test_an_undefined_tag_says_where_tags_are_defined(tmp_path: Path, capsys) -> None:
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\n---\n\nText [@tag:nowhere].\n")
    (finding,) = audit_json(capsys, str(md))
    assert finding["code"] == "undefined-citation" and finding["line"] == 5
    assert "alias line" in finding["message"]


def test_blanking_code_keeps_every_offset(tmp_path: Path) -> None:
    text = "a\n```python\nx = '@k'\n```\nb `@c` d\n~~~~\n@e\n~~~~\n"
    blanked = blank_code(text)
    assert len(blanked) == len(text) and blanked.count("\n") == text.count("\n")
    assert "@" not in blanked


def test_the_meta_review_content_reads_its_alias_lines() -> None:
    """The real Manubot manuscript: its 9 alias lines define aliases, none is a citation."""
    content = need_shared("corpora", "meta-review", "content")
    main_text = content / "02.main-text.md"
    manuscript = read_manuscript([main_text])
    alias_lines = [n for n, line in enumerate(main_text.read_text().split("\n"), 1)
                   if line.startswith("[@tag:")]
    assert len(alias_lines) == 9
    assert not {c.line for c in manuscript.citations} & set(alias_lines)
    assert manuscript.aliases["tag:avasthi-preprints"] == "doi:10.7554/eLife.38532"
    assert len(manuscript.aliases) == 9
