"""Reading a bibliography: in parts, side by side, and from the cache of pandoc's readings."""

from __future__ import annotations

import json
from pathlib import Path

from audit.inputs import bibliography
from tests.conftest import ROOT, need_shared

ARTICLE = {
    "id": "smith2020",
    "type": "article-journal",
    "title": "Radiofrequency ablation of painful spinal metastases: a prospective study",
    "author": [{"family": "Smith", "given": "J. A."}, {"family": "van der Berg", "given": "K."}],
    "container-title": "J Vasc Interv Radiol",
    "issued": {"date-parts": [[2020]]},
    "volume": "31",
    "issue": "11",
    "page": "1745-1752",
    "DOI": "10.1016/j.jvir.2020.07.014",
}

# --- a big CSL JSON file is read by several pandocs side by side --------------------------

def _bibliography_for_chunks(tmp_path: Path) -> tuple[Path, list[dict]]:
    """Real CSL JSON (the meta-review's registrar records and our review's references), with a
    key declared twice and an item whose date pandoc must parse from a raw string."""
    corpus = need_shared("corpora", "meta-review", "output", "references.json")
    items = json.loads(corpus.read_text()) + json.loads((ROOT / "manuscript/references.json").read_text())
    items.insert(13, dict(items[40], title="The same key, a second time"))
    items.append({"id": "raw-date", "type": "book", "title": "<i>In vitro</i> work",
                  "issued": {"raw": "2020-03"}})
    path = tmp_path / "refs.json"
    path.write_text(json.dumps(items, indent=2, ensure_ascii=False), "utf-8")
    return path, items


def test_csl_json_read_in_parts_is_what_one_pandoc_reads(tmp_path: Path) -> None:
    path, items = _bibliography_for_chunks(tmp_path)
    whole = bibliography._read_with_pandoc(path, "csljson", path.read_text("utf-8"), False)
    parts = bibliography._csljson_chunks(items, path, 17)
    assert len(whole) == len(items)
    assert parts == whole


def test_a_bibliography_loaded_in_parts_keeps_keys_items_and_lines(tmp_path: Path,
                                                                    monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", "")  # each load reads with pandoc
    path, items = _bibliography_for_chunks(tmp_path)
    one = bibliography.load(path, chunk=10**9)
    parts = bibliography.load(path, chunk=17)
    assert parts == one
    twice = [e for e in parts if e.key == items[13]["id"]]
    assert len(twice) == 2 and twice[0].line != twice[1].line  # each at its own declaration
    raw = next(e for e in parts if e.key == "raw-date")
    assert raw.item["issued"] == {"date-parts": [[2020, 3]]}  # pandoc's reading, not the text's


# --- pandoc's reading of a bibliography is kept for the same text ------------------------

def test_an_unchanged_bibliography_is_read_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "refs.json"
    path.write_text(json.dumps([ARTICLE]), "utf-8")
    first = bibliography.load(path)
    (kept,) = (tmp_path / "cache" / "bibliography").glob("*.json")
    assert json.loads(kept.read_text()) == [e.item for e in first]
    # what the cache holds is what the next read gives (doctored here to tell the two apart)
    kept.write_text(json.dumps([dict(first[0].item, title="From the cache")]), "utf-8")
    assert bibliography.load(path)[0].item["title"] == "From the cache"
    # any change to the text is read by pandoc again
    path.write_text(json.dumps([ARTICLE]) + "\n", "utf-8")
    assert bibliography.load(path)[0].item["title"] == ARTICLE["title"]


def test_a_damaged_cache_or_none_means_pandoc_reads(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "refs.json"
    path.write_text(json.dumps([ARTICLE]), "utf-8")
    bibliography.load(path)
    (kept,) = (tmp_path / "cache" / "bibliography").glob("*.json")
    kept.write_text('[{"id": "smith2020", "title": "cut sh', "utf-8")
    assert bibliography.load(path)[0].item["title"] == ARTICLE["title"]
    monkeypatch.setenv("AUDIT_CACHE_DIR", "")  # set empty: no cache at all
    other = tmp_path / "other.json"
    other.write_text(json.dumps([dict(ARTICLE, id="other")]), "utf-8")
    assert bibliography.load(other)[0].key == "other"
    assert len(list((tmp_path / "cache" / "bibliography").glob("*.json"))) == 1


