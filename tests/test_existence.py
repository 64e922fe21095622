"""References without identifiers: real works are found, invented ones are not (issue 17).

The registrars are the fake one on 127.0.0.1 (Crossref's bibliographic search, PubMed's
esearch and esummary), serving real records: the meta-review corpus's (Manubot's, from the
registrars) and the public records of the review's references (``../shared``). The case:

- every journal article of those records with a title, a first author, a journal and a year,
  stripped of its identifiers: the review's as its published article printed them (with
  their typos), the others as a Vancouver list prints them (initials, abbreviated journals,
  shortened page ranges; now and then in sentence case, without the subtitle, a year off by
  one, a letter swapped); a few that only PubMed holds (no DOI at Crossref);
- invented look-alikes built from the same records: chimeric titles (half of one real title,
  half of another), real authors on titles nobody wrote, real titles under other authors in
  another journal and year, and plausible invented titles in real journals.

Every invented entry must be reported ``reference-not-found`` (at least 90% of them, the
issue's bar), no real one, online and offline from the lock alike.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from audit.model import Outcome, Work
from audit.sources.crossref import Crossref
from audit.sources.fake import FakeRegistrar, pubmed_from_csl, records_from_csl
from audit.sources.http import Client
from audit.works import SEARCH_ROWS, next_searches, search_plan, searched
from tests.conftest import about, need_shared, public_records, run_audit

SEED = 17
# E-utilities' pace with an API key (10 a second, not 3): the fake does not check the key
FAST_PUBMED = {"NCBI_API_KEY": "not-a-real-key-17"}
# plausible titles nobody wrote, in the records' two fields (spine interventions; open science)
INVENTED_TITLES = (
    "Deep convolutional priors for vertebral cement leakage prediction in cryoablation",
    "Machine learning prediction of local tumor control after spinal radiofrequency ablation",
    "Cement augmentation after microwave ablation of sacral metastases: long-term pain outcomes",
    "Thermal protection of the spinal cord during vertebral cryoablation: a prospective study",
    "Continuous integration for scholarly manuscripts: a randomized comparison of workflows",
    "Open peer review and citation accuracy in computational biology journals",
    "Version-controlled authorship improves the reproducibility of genomic analyses",
    "Automated reference verification reduces citation errors in radiology manuscripts",
    "Preprint servers as registries of negative results in clinical oncology",
    "Collaborative writing platforms and retraction rates: a bibliometric cohort",
)
INVENTED_AUTHORS = ("Kaminski J", "Haldane PR", "Oyelaran T", "Vasquez-Lind M", "Marchetti GL",
                    "Osterberg K", "Nakagawa Y", "Delacroix A", "Brennan SW", "Iyer RV")
# ISO 4 words, for the journals whose records give no abbreviation
ISO4 = {"journal": "J", "computer": "Comput", "science": "Sci", "the": "", "uksg": "UKSG",
        "insights": "Insights"}


# --------------------------------------------------------------------------- the records


def _year(item: dict[str, Any]) -> int:
    return int(str(item["issued"]["date-parts"][0][0]))


def _article(item: dict[str, Any]) -> bool:
    authors = item.get("author") or []
    return (item.get("type") == "article-journal" and str(item.get("DOI", "")).startswith("10.")
            and bool(item.get("title")) and bool(item.get("container-title"))
            and bool(authors) and bool(authors[0].get("family")) and bool(item.get("issued")))


def registrar_records() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, str]]:
    """The journal articles of the shared records (CSL, with their PMIDs), PubMed's records
    by PMID (the meta-review's and the review's), and the review's references as its
    published article prints them, by DOI (``reference-list-as-printed.txt``)."""
    corpus = json.loads(need_shared("corpora", "meta-review", "output", "references.json")
                        .read_text("utf-8"))
    public = {str(r["DOI"]).lower(): r for r in json.loads(
        need_shared("references", "public-records.json").read_text("utf-8")) if r.get("DOI")}
    lines = dict(re.findall(r"(?m)^(\d+)\. (.*)$", need_shared(
        "references", "reference-list-as-printed.txt").read_text("utf-8")))
    review = []
    for doi, item in public_records().items():
        pmid = public[doi].get("PMID")
        review.append({**item, **({"PMID": str(pmid)} if pmid else {})})
    articles = [i for i in [*corpus, *review] if _article(i)]
    as_printed = {doi: lines[str(r["n"])] for doi, r in public.items()}
    return articles, pubmed_from_csl([*corpus, *review]), as_printed


# --------------------------------------------------------------------------- as printed


def _initials(given: str) -> str:
    return "".join(w[0].upper() for w in re.findall(r"[^\W\d_]+", given))


def _authors(names: list[dict[str, Any]]) -> str:
    """A Vancouver author list: ``Family AB``, six at most, then ``et al``."""
    shown = []
    for name in names[:6]:
        if name.get("literal"):
            shown.append(str(name["literal"]))
        else:
            family = " ".join(str(name[k]) for k in ("non-dropping-particle", "family") if name.get(k))
            shown.append(f"{family} {_initials(str(name.get('given') or ''))}".strip())
    return ", ".join(shown) + (", et al" if len(names) > 6 else "")


def _journal(item: dict[str, Any]) -> str:
    """The journal as NLM abbreviates it: the record's short title without dots, else ISO 4."""
    short = str(item.get("container-title-short") or "").replace(".", "")
    if short:
        return " ".join(short.split())
    words = [ISO4.get(w.lower(), w) for w in str(item["container-title"]).split()]
    return " ".join(w for w in words if w)


def _pages(page: str) -> str:
    """1240-1241 → 1240-1, as Vancouver shortens a range."""
    first, _, last = page.replace("–", "-").partition("-")
    if not last or len(first) != len(last) or not (first.isdigit() and last.isdigit()):
        return page
    same = next((i for i, (a, b) in enumerate(zip(first, last, strict=True)) if a != b), len(last))
    return f"{first}-{last[same:] or last}"


def noisy(item: dict[str, Any], n: int) -> dict[str, Any]:
    """A real reference as authors write them, now and then: in sentence case (every 3rd),
    without its subtitle (every 5th), a year off by one (online vs print: every 7th), a
    letter swapped in its longest title word (every 11th)."""
    title = str(item["title"])
    if n % 3 == 0:
        title = title[:1] + title[1:].lower()
    if n % 5 == 0 and ": " in title:
        title = title.split(": ", 1)[0]
    if n % 11 == 0:
        word = max(title.split(), key=len)
        title = title.replace(word, word[:2] + word[3] + word[2] + word[4:], 1)
    year = _year(item) + (1 if n % 7 == 0 else 0)
    return {**item, "title": title, "issued": {"date-parts": [[year]]}}


def printed(item: dict[str, Any]) -> str:
    """A reference as a Vancouver list prints it, without identifiers."""
    title = str(item["title"]).strip()
    title += "" if title.endswith((".", "?", "!")) else "."
    tail = f"{_year(item)}"
    if item.get("volume"):
        tail += f";{item['volume']}"
        tail += f"({item['issue']})" if item.get("issue") else ""
        tail += f":{_pages(str(item['page']))}" if item.get("page") else ""
    return f"{_authors(item['author'])}. {title} {_journal(item)}. {tail}."


# --------------------------------------------------------------------------- invented


def _halves(title: str) -> tuple[str, str]:
    words = title.rstrip(".").split()
    cut = max(2, len(words) // 2)
    return " ".join(words[:cut]), " ".join(words[cut:])


def invented(articles: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Look-alikes of the records, by kind, each an item as :func:`printed` writes it."""
    rng = random.Random(SEED)
    long_titles = [a for a in articles if len(str(a["title"]).split()) >= 6]
    out: list[tuple[str, dict[str, Any]]] = []
    # chimeras: the first half of one real title, the second half of another from the same field
    for a, b in zip(rng.sample(long_titles, 5), rng.sample(long_titles, 5), strict=True):
        if a is b:
            b = long_titles[(long_titles.index(a) + 1) % len(long_titles)]
        out.append(("chimeric title", {**a, "title": f"{_halves(str(a['title']))[0]} "
                                                    f"{_halves(str(b['title']))[1]}"}))
    # a real author list on a title nobody wrote, in the authors' own journal and year
    for a, title in zip(rng.sample(articles, 5), INVENTED_TITLES[5:], strict=True):
        out.append(("real authors, unwritten title", {**a, "title": title}))
    # a real title under other real authors, in another journal, years later
    for a, b, c in zip(rng.sample(articles, 5), rng.sample(articles, 5), rng.sample(articles, 5),
                       strict=True):
        out.append(("real title, wrong authors, journal and year",
                    {**a, "author": b["author"] if b["author"][0] != a["author"][0] else
                     [{"family": "Lindqvist", "given": "E"}], "container-title": c["container-title"],
                     "container-title-short": c.get("container-title-short"),
                     "issued": {"date-parts": [[_year(a) + 3]]}}))
    # an invented title and invented authors in a real journal
    for a, title in zip(rng.sample(articles, 5), INVENTED_TITLES[:5], strict=True):
        people = [dict(zip(("family", "given"), n.rsplit(" ", 1), strict=True))
                  for n in rng.sample(INVENTED_AUTHORS, 3)]
        out.append(("invented title in a real journal", {
            **a, "title": title, "author": people, "issued": {"date-parts": [[2021]]},
            "volume": str(rng.randint(10, 300)), "issue": None,
            "page": f"{(p := rng.randint(100, 900))}-{p + rng.randint(5, 12)}"}))
    return out


# --------------------------------------------------------------------------- the case


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    """The case: the printed list, which numbers are real, which invented (and how), the
    registrar's records and PubMed's."""
    articles, pubmed, as_printed = registrar_records()
    with_pmid = sorted((a for a in articles if a.get("PMID")), key=lambda a: str(a["PMID"]))
    pubmed_only = {str(a["DOI"]).lower() for a in with_pmid[::12][:3]}  # PubMed has them, Crossref not
    crossref = {doi: item for doi, item in records_from_csl(articles).items()
                if doi.lower() not in pubmed_only}
    fakes = invented(articles)
    # the review's references as its article printed them; the others as a list would
    lines = [as_printed.get(str(a["DOI"]).lower()) or printed(noisy(a, n))
             for n, a in enumerate(articles, 1)] + [printed(item) for _, item in fakes]
    real = set(range(1, len(articles) + 1))
    kinds = {len(articles) + i: kind for i, (kind, _) in enumerate(fakes, 1)}
    return {"text": "".join(f"{n}. {line}\n" for n, line in enumerate(lines, 1)), "real": real,
            "invented": kinds, "crossref": crossref, "pubmed": pubmed,
            "pubmed_only": {n for n, a in enumerate(articles, 1)
                            if str(a["DOI"]).lower() in pubmed_only},
            "dois": {n: str(a["DOI"]).lower() for n, a in enumerate(articles, 1)}}


def _verdicts(findings: list[dict[str, Any]]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in findings:
        if f["key"] and f["key"].startswith("#"):
            out.setdefault(int(f["key"][1:]), set()).add(f["code"])
    return out


def test_invented_references_are_not_found_and_real_ones_are_online_and_offline(
        case: dict[str, Any], tmp_path: Path) -> None:
    listing, lock = tmp_path / "references.txt", tmp_path / "references.lock.json"
    listing.write_text(case["text"], "utf-8")
    args = ["--reference-text", str(listing), "--lock", str(lock), "--format", "json"]
    with FakeRegistrar(case["crossref"], pubmed=case["pubmed"], rate_limit=200) as server:
        online = run_audit([*args, "--refresh"], server, env=FAST_PUBMED)
        esearches = [p for p, _ in server.requests if "/esearch.fcgi" in p]
    assert "Traceback" not in online.stderr, online.stderr
    found = json.loads(online.stdout)["findings"]
    verdicts = _verdicts(found)
    flagged = {n for n, codes in verdicts.items() if "reference-not-found" in codes}
    invented = set(case["invented"])
    assert len(case["real"]) >= 15 and len(invented) >= 15
    assert not flagged & case["real"], [f for f in found if f["code"] == "reference-not-found"
                                        and int(f["key"][1:]) in case["real"]]
    recall = len(flagged & invented) / len(invented)
    assert recall >= 0.9, sorted(invented - flagged)
    # the real ones were found (Crossref's DOI, or PubMed's PMID for those only PubMed holds)
    said = {(int(f["key"][1:]), f["field"]) for f in found
            if f["code"] == "doi-missing" and f["severity"] == "info"}
    assert {n for n, field in said if field == "DOI"} == case["real"] - case["pubmed_only"]
    assert {n for n, field in said if field == "PMID"} == case["pubmed_only"]
    assert esearches  # PubMed was asked, for what Crossref did not have
    # each verdict names what was searched and the closest candidates, with what differs
    message = next(f["message"] for f in found if f["code"] == "reference-not-found")
    assert "Crossref" in message and "PubMed" in message and "closest: '" in message
    assert re.search(r"(title|first author|year|journal)( and \w+( \w+)?)* differs?\)", message)
    assert all(f["severity"] == "warning" for f in found if f["code"] == "reference-not-found")
    # the searches are locked, each with its candidates, when and from where
    searches = json.loads(lock.read_text("utf-8"))["searches"]
    assert set(searches) == {"crossref", "pubmed"}
    entry = next(iter(searches["pubmed"].values()))
    assert entry["fetched"] and entry["provenance"]["source"] == "pubmed"
    assert "esearch.fcgi" in entry["provenance"]["url"] and "candidates" in entry
    # offline, from the lock: the very same findings
    offline = run_audit(args)
    assert json.loads(offline.stdout)["findings"] == found


# --------------------------------------------------------------------------- entries


def _entries() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The registrar's records (Crossref's, by DOI; PubMed's, by PMID), and bibliography
    entries without identifiers: a real work with a wrong year and volume, one only PubMed
    holds, an invented chimera, an invented conference paper and an invented work of this
    year (the two kinds a registrar may well lack), and a book (which is not searched for)."""
    articles, pubmed, _ = registrar_records()
    by_doi = {str(a["DOI"]).lower(): a for a in articles}
    tomasian, patchell = by_doi["10.3174/ajnr.a4521"], by_doi["10.1016/s0140-6736(05)66954-1"]
    crossref = {d: a for d, a in records_from_csl(articles).items() if d.lower() != str(
        patchell["DOI"]).lower()}

    def entry(key: str, item: dict[str, Any], **changed: Any) -> dict[str, Any]:
        kept = {k: v for k, v in item.items() if k not in ("DOI", "PMID", "PMCID", "URL")}
        return {**kept, "id": key, **changed}

    sorensen = by_doi["10.1016/j.spinee.2019.02.012"]
    chimera = f"{_halves(str(tomasian['title']))[0]} {_halves(str(sorensen['title']))[1]}"
    this_year = datetime.now(UTC).year
    return crossref, pubmed, [
        entry("wrong-year", tomasian, issued={"date-parts": [[2019]]}, volume="39"),
        entry("pubmed-only", patchell),
        entry("chimera", tomasian, title=chimera),
        entry("conference", tomasian, type="paper-conference", title=INVENTED_TITLES[0],
              **{"container-title": "Proceedings of the Annual Meeting on Spine Intervention"}),
        entry("this-year", tomasian, title=INVENTED_TITLES[1], issued={"date-parts": [[this_year]]}),
        {"id": "book", "type": "book", "title": "Interventional spine oncology",
         "author": [{"family": "Kaminski", "given": "J"}], "issued": {"date-parts": [[2020]]}},
    ]


def _manuscript(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    (tmp_path / "refs.json").write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    md = tmp_path / "paper.md"
    cites = " ".join(f"[@{e['id']}]" for e in entries)
    md.write_text(f"---\nbibliography: refs.json\n---\n\nAs shown {cites}.\n", "utf-8")
    return md


def test_bibliography_entries_get_the_verdict_then_are_checked_field_by_field(tmp_path: Path) -> None:
    crossref, pubmed, entries = _entries()
    md = _manuscript(tmp_path, entries)
    with FakeRegistrar(crossref, pubmed=pubmed, rate_limit=200) as server:
        online = run_audit([str(md), "--refresh", "--format", "json"], server, env=FAST_PUBMED)
        asked = [p for p, _ in server.requests]
    assert "Traceback" not in online.stderr, online.stderr
    found = json.loads(online.stdout)["findings"]
    # found at Crossref: its DOI suggested, then compared with its record like any entry
    # with a DOI: the wrong year and volume are errors; its missing DOI a note, not a warning
    assert about(found, "wrong-year") == [
        ("doi-missing", "info", None), ("doi-suggested", "info", "DOI"),
        ("metadata-mismatch", "error", "volume"), ("metadata-mismatch", "error", "year")]
    suggested = next(f for f in found if f["key"] == "wrong-year" and f["code"] == "doi-suggested")
    assert suggested["expected"] == "10.3174/ajnr.a4521"
    assert "title, first author and journal agree; year differs" in suggested["message"]
    # found only at PubMed (Crossref has no record of it): its PMID suggested, and the DOI
    # PubMed lists; compared with PubMed's record (which agrees)
    assert about(found, "pubmed-only") == [
        ("doi-missing", "info", None), ("doi-suggested", "info", "DOI"),
        ("doi-suggested", "info", "PMID")]
    assert next(f["expected"] for f in found if f["key"] == "pubmed-only"
                and f["field"] == "PMID") == "16112300"
    # the chimera: not found, a warning, naming the two works it was made of as the closest
    (chimera,) = [f for f in found if f["key"] == "chimera"]
    assert (chimera["code"], chimera["severity"]) == ("reference-not-found", "warning")
    assert "'Spine Cryoablation" in chimera["message"] and "'Vertebroplasty" in chimera["message"]
    # kinds a registrar may lack: not found is a note, saying why
    for key, why in (("conference", "proceedings"), ("this-year", "indexed yet")):
        (note,) = [f for f in found if f["key"] == key]
        assert (note["code"], note["severity"]) == ("reference-not-found", "info")
        assert why in note["message"]
    # a book is not searched for: no verdict (and no request about it)
    assert about(found, "book") == []
    assert not [p for p in asked if "interventional" in p.lower()]
    assert online.returncode == 1  # the wrong year and volume
    # offline, from the lock: the same verdicts; --strict makes not finding one an error
    offline = run_audit([str(md), "--format", "json"])
    assert json.loads(offline.stdout)["findings"] == found
    strict = json.loads(run_audit([str(md), "--format", "json", "--strict"]).stdout)["findings"]
    assert [(f["key"], f["severity"]) for f in strict if f["code"] == "reference-not-found"] == [
        ("chimera", "error"), ("conference", "info"), ("this-year", "info")]


def test_an_unreachable_registrar_is_unverified_never_not_found(tmp_path: Path) -> None:
    crossref, pubmed, entries = _entries()
    md = _manuscript(tmp_path, [e for e in entries if e["id"] in ("wrong-year", "chimera")])
    dead = "http://127.0.0.1:9"  # nothing listens there: connection refused
    with FakeRegistrar(crossref, pubmed=pubmed, rate_limit=200) as server:
        no_pubmed = run_audit([str(md), "--refresh", "--format", "json", "--pubmed-url", dead],
                              server, env=FAST_PUBMED)
        no_crossref = run_audit([str(md), "--refresh", "--format", "json", "--crossref-url", dead,
                                 "--lock", str(tmp_path / "other.lock.json")], server,
                                env=FAST_PUBMED)
    # PubMed down: what Crossref finds is found; the rest is unverified, not "not found"
    found = json.loads(no_pubmed.stdout)["findings"]
    assert ("doi-suggested", "info", "DOI") in about(found, "wrong-year")
    assert about(found, "chimera") == [("doi-missing", "warning", None),
                                       ("unverified", "unverified", None)]
    (unverified,) = [f for f in found if f["key"] == "chimera" and f["code"] == "unverified"]
    assert "127.0.0.1:9" in unverified["message"]
    # Crossref down: nothing is judged missing either (PubMed finds no chimera, but Crossref
    # was not asked)
    found = json.loads(no_crossref.stdout)["findings"]
    assert not [f for f in found if f["code"] == "reference-not-found"]
    assert ("unverified", "unverified", None) in about(found, "chimera")
    # what failed is not locked: offline, the chimera is unverified still, never not found
    searches = json.loads((tmp_path / "references.lock.json").read_text("utf-8"))["searches"]
    assert set(searches) == {"crossref"}
    offline = json.loads(run_audit([str(md), "--format", "json"]).stdout)["findings"]
    assert ("unverified", "unverified", None) in about(offline, "chimera")
    assert "--refresh" in next(f["message"] for f in offline
                               if f["key"] == "chimera" and f["code"] == "unverified")


def test_searches_are_kept_until_max_age_and_what_was_not_found_is_searched_again(
        tmp_path: Path) -> None:
    crossref, pubmed, entries = _entries()
    md = _manuscript(tmp_path, [e for e in entries if e["id"] in ("wrong-year", "chimera")])

    def searched(*options: str) -> list[str]:
        with FakeRegistrar(crossref, pubmed=pubmed, rate_limit=200) as server:
            proc = run_audit([str(md), "--refresh", "--format", "json", *options], server,
                             env=FAST_PUBMED)
            assert "reference-not-found" in proc.stdout
            return [p for p, _ in server.requests if "query.bibliographic" in p or "esearch" in p]

    first = searched()
    assert len([p for p in first if "query.bibliographic" in p]) == 2
    # the chimera's, by title: no record has its words, so the first author cannot narrow it
    assert len([p for p in first if "esearch" in p]) == 1
    # a work found is not searched again while its searches are fresh; one not found is
    again = searched()
    assert len(again) == 2 and not [p for p in again if "Tomasian+A" in p and "Vertebral" in p]
    # older than --max-age: every search is made again
    assert len(searched("--max-age", "0")) == 3


def test_typed_citation_documents_get_the_same_verdict(tmp_path: Path) -> None:
    """A LaTeX ``thebibliography`` (read as a printed list, as a Word file's typed list and
    JATS ``mixed-citation``s are): the same searches, the same verdicts."""
    crossref, pubmed, _ = _entries()
    tex = tmp_path / "paper.tex"
    tex.write_text(r"""\documentclass{article}
\begin{document}
Cryoablation relieves pain \cite{tomasian}, if cement does not leak \cite{kaminski}.
\begin{thebibliography}{9}
\bibitem{tomasian} Tomasian A, Wallace A, Northrup B, Hillen TJ, Jennings JW. Spine
cryoablation: pain palliation and local tumor control for vertebral metastases. AJNR Am J
Neuroradiol. 2016;37:189--95.
\bibitem{kaminski} Kaminski J, Smith QR. Deep convolutional priors for vertebral cement leakage
prediction in cryoablation. Radiology. 2021;298:112--9.
\end{thebibliography}
\end{document}
""", "utf-8")
    with FakeRegistrar(crossref, pubmed=pubmed, rate_limit=200) as server:
        online = run_audit([str(tex), "--refresh", "--format", "json"], server, env=FAST_PUBMED)
    found = json.loads(online.stdout)["findings"]
    assert about(found, "tomasian") == [("doi-missing", "info", "DOI")]
    assert about(found, "kaminski") == [("reference-not-found", "warning", None)]
    assert json.loads(run_audit([str(tex), "--format", "json"]).stdout)["findings"] == found


def test_the_fake_crossref_search_ranks_as_a_search_engine_does(case: dict[str, Any]) -> None:
    """What the verdict relies on, held for the fake registrar too: a real reference's work
    comes first, well ahead; an invented one still gets the nearest records (Crossref always
    answers), which the grading must refuse."""
    lines = [line.split(". ", 1)[1] for line in case["text"].splitlines()]
    real = sorted(case["real"] - case["pubmed_only"])
    asked = [lines[n - 1] for n in real] + [lines[n - 1] for n in sorted(case["invented"])]
    with FakeRegistrar(case["crossref"], rate_limit=200) as server:
        client = Client(timeout=5.0, backoff_base=0.01, total_deadline=60.0)
        said = Crossref(client, server.url).search_many(asked)
    assert all(o.status == "ok" and len(o.candidates) == 5 for o in said)
    for n, outcome in zip(real, said, strict=False):
        first, second = outcome.candidates[:2]
        assert str(first["DOI"]).lower() == case["dois"][n]
        assert first["score"] >= 1.5 * second["score"], outcome.asked


def test_pubmed_is_asked_by_title_then_narrowed_by_first_author_only_when_needed() -> None:
    """The plan: Crossref, PubMed by title, then by title and first author only when the title
    alone matched more records than a search keeps (a short title many articles share)."""
    item = {"type": "article-journal", "title": "Bone metastases: an overview",
            "author": [{"family": "Macedo", "given": "F"}], "issued": {"date-parts": [[2017]]},
            "container-title": "Oncol Rev"}
    work = Work("macedo", item, None, None, "bibliography")
    (crossref, by_title, with_author) = search_plan(work)
    assert [s for s, _ in (crossref, by_title, with_author)] == ["crossref", "pubmed", "pubmed"]
    assert (by_title[1], with_author[1]) == (
        "bone[ti] AND metastases[ti] AND overview[ti]",
        "bone[ti] AND metastases[ti] AND overview[ti] AND macedo[1au]")
    other = {"PMID": "1", "title": "Bone metastases: an overview of imaging",
             "author": [{"family": "Ito", "given": "K"}], "issued": {"date-parts": [[2009]]}}
    nothing = Outcome(crossref[1], "ok", source="crossref")
    answers = {crossref: nothing, by_title: Outcome(by_title[1], "ok", candidates=(other,) * 4)}
    assert next_searches([work], answers) == []  # every match seen: the author can add none
    assert searched(work, answers).complete and searched(work, answers).found is None
    answers[by_title] = Outcome(by_title[1], "ok", candidates=(other,) * SEARCH_ROWS)
    assert next_searches([work], answers) == [with_author]  # the best five only: narrow them
    macedo = {**item, "PMID": "28584570"}
    answers[with_author] = Outcome(with_author[1], "ok", candidates=(macedo,))
    found = searched(work, answers)
    assert (found.found, found.source) == (macedo, "pubmed")
