"""A :class:`~tests.inputs.spec.Spec` as a JATS article, written the way real tools write
one: the spec's Markdown through pandoc and citeproc, to JATS Publishing.

- ``mixed=False``: ``element-citation``s (pandoc's ``+element_citations``), each field in
  its element, DOIs and PMIDs in ``pub-id``s;
- ``mixed=True``: ``mixed-citation``s, the references as printed in a CSL style
  (``spec.extra["style"]``, by default Vancouver: a numbered list of the kind journals print).

``-M link-citations=true`` makes pandoc write an ``<xref ref-type="bibr" rid="ref-KEY">``
for each citation: keys in the JATS are ``ref-<key>``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from lxml import etree

from audit.pandoc import pandoc_path
from audit.safexml import parser
from audit.styles import resolve_style
from tests.inputs.spec import Spec, write_markdown

DEFAULT_STYLE = "vancouver"


def jats_key(key: str) -> str:
    """The id pandoc gives the ``ref`` of a citation key."""
    return f"ref-{key}"


def write_jats(spec: Spec, folder: Path, *, mixed: bool = False) -> Path:
    """``paper.xml`` in ``folder`` (beside the ``paper.md`` and ``references.json`` it is
    made from): every work of the spec in the reference list, every citation an xref (a key
    the list lacks too), or this raises."""
    markdown = write_markdown(spec, folder, nocite=True)
    out = folder / "paper.xml"
    writer = "jats_publishing" if mixed else "jats_publishing+element_citations"
    args = [pandoc_path(), markdown.name, "-f", "markdown", "-t", writer, "--citeproc",
            "--standalone", "-M", "link-citations=true", "-o", out.name]
    if mixed:
        args += ["--csl", str(resolve_style(str(spec.extra.get("style", DEFAULT_STYLE))).path)]
    proc = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"pandoc failed: {proc.stderr}")
    root = etree.parse(str(out), parser()).getroot()
    refs = {ref.get("id") for ref in root.iter("ref")}
    linked = {rid for xref in root.iter("xref") if xref.get("ref-type") == "bibr"
              for rid in (xref.get("rid") or "").split()}
    listed = {jats_key(item["id"]) for item in spec.items}
    cited = {jats_key(k) for k in spec.cited()}
    if refs != listed or linked != cited:
        raise RuntimeError(f"{out}: pandoc wrote refs {sorted(refs)} and links to "
                           f"{sorted(linked)}, not {sorted(listed)} and {sorted(cited)} (a "
                           "numbered style collapses three or more in a row into a range "
                           "that links only its ends)")
    return out
