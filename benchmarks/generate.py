"""Deterministic synthetic manuscripts for the benchmarks (issue: "Benchmarks at 40, 600 and 5,000 refs").

Each size becomes a project folder that ``python -m audit build --root <folder>`` can build:

    <folder>/pyproject.toml                  [tool.manuscript-audit], manuscript = "manuscript/review.md"
    <folder>/pandoc/                         a copy of the repository's pandoc defaults and filters
    <folder>/manuscript/review.md            front matter of the real review (new title/abstract),
                                             headings, prose with [@k], [@a; @b], @k, [-@k], [@k, p. 3],
                                             and one pipe table
    <folder>/manuscript/references.json      CSL JSON, a DOI on most items
    <folder>/manuscript/references.lock.json the registrar records for those DOIs (lock-version 1)

Everything comes from ``random.Random(seed)``: the same size and seed give the same bytes.

    python -m benchmarks.generate --size L --out /tmp/bench/L
    python -m benchmarks.generate --size XL --build --out /tmp/bench/XL   (the build rounds' XL)
    python -m benchmarks.generate --refresh 1000 --out /tmp/bench/R   (1,000 DOIs, empty lock)
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOI_PREFIX = "10.5555"  # Crossref's documented test prefix: never a real work
FETCHED = "2026-11-23T00:00:00Z"


@dataclass(frozen=True)
class Size:
    name: str
    references: int
    words: int  # of prose (every reference is cited whatever the words)
    build_words: int | None = None  # the build rounds' prose, when less than ``words``
    note: str = ""  # said in RESULTS.md under the inputs


SIZES = {
    "T": Size("T", 12, 800, note="T is the tests' smoke run's size, not a benchmark."),
    "S": Size("S", 40, 6_000),
    "L": Size("L", 600, 60_000),
    "XL": Size("XL", 5_000, 100_000, build_words=10_000, note=(
        "XL's build rounds use the same 5,000 references, all cited, with 10,000 words of prose "
        "instead of 100,000 (`XL build`; its word count includes the paragraphs that cite what "
        "the prose did not), so that 7 rounds of every build measurement fit in the 12 minutes "
        "of a run. Measured on this machine on 2026-12-03: one XL round took 65 s at 100,000 "
        "words (2 rounds; the whole build's floor 19.0-19.7 s, through nox 14.5-15.0 s; each "
        "output's ratio to its floor: html 0.99-1.03, pdf 1.00-1.03, jats 1.07-1.11, docx "
        "1.03-1.06) and 38-45 s at 10,000 words (4 runs of 7 rounds; floor 11.2-11.7 s, through "
        "nox 9.0-10.9 s; median ratios html 1.02-1.04, pdf 1.03-1.07, jats 1.07-1.10, docx "
        "1.02-1.06). Less prose still (3,000 words: 34 s a round) would raise the ratios "
        "(html 1.07-1.13, jats 1.13-1.16): the product's own cost is about the same in seconds, "
        "the floor smaller. The offline audit is measured on the full 100,000 words (`XL`): less "
        "prose would halve its time (1.45 s against 0.75 s, cache warm).")),
}

# --------------------------------------------------------------------------- vocabulary

FAMILIES = [
    "Adams", "Ahmed", "Alvarez", "Andersen", "Aoki", "Baker", "Bauer", "Becker", "Berg", "Bianchi",
    "Brown", "Campbell", "Carter", "Castro", "Chen", "Cho", "Clarke", "Costa", "Cruz", "Dahl",
    "Das", "Davies", "Delgado", "Diaz", "Dubois", "Edwards", "Eriksson", "Evans", "Fischer",
    "Fernandez", "Fontaine", "Garcia", "Gomez", "Gonzalez", "Gupta", "Hansen", "Harris", "Hayashi",
    "Hernandez", "Hoffmann", "Huang", "Hughes", "Ibrahim", "Ito", "Jackson", "Jansen", "Jensen",
    "Johansson", "Johnson", "Jones", "Kang", "Kato", "Keller", "Khan", "Kim", "Klein", "Kobayashi",
    "Kowalski", "Kumar", "Larsen", "Laurent", "Lee", "Lehmann", "Li", "Lindqvist", "Liu", "Lopez",
    "Martin", "Martinez", "Meyer", "Miller", "Moreau", "Moreno", "Muller", "Murphy", "Nakamura",
    "Nguyen", "Nielsen", "Novak", "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Peters", "Petrov",
    "Popescu", "Ramirez", "Rao", "Reyes", "Richter", "Rossi", "Russo", "Sato", "Schmidt",
    "Schneider", "Schulz", "Silva", "Singh", "Smith", "Sorensen", "Suzuki", "Takahashi", "Tanaka",
    "Taylor", "Thomas", "Thompson", "Torres", "Vargas", "Volkov", "Wagner", "Walker", "Wang",
    "Watanabe", "Weber", "White", "Wilson", "Wong", "Wu", "Xu", "Yamamoto", "Yang", "Zhang", "Zhao",
    "Zimmermann",
]
INITIALS = [
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "R", "S", "T",
    "V", "W", "Y",
]
JOURNALS = [
    ("Skeletal Radiology", "Skeletal Radiol"),
    ("Radiology", "Radiology"),
    ("Journal of Vascular and Interventional Radiology", "J Vasc Interv Radiol"),
    ("CardioVascular and Interventional Radiology", "Cardiovasc Intervent Radiol"),
    ("American Journal of Neuroradiology", "AJNR Am J Neuroradiol"),
    ("European Radiology", "Eur Radiol"),
    ("Spine", "Spine"),
    ("The Spine Journal", "Spine J"),
    ("Journal of Neurosurgery: Spine", "J Neurosurg Spine"),
    ("International Journal of Radiation Oncology, Biology, Physics", "Int J Radiat Oncol Biol Phys"),
    ("Journal of Clinical Oncology", "J Clin Oncol"),
    ("Cancer", "Cancer"),
    ("Pain Physician", "Pain Physician"),
    ("American Journal of Roentgenology", "AJR Am J Roentgenol"),
    ("Journal of Bone Oncology", "J Bone Oncol"),
    ("Neurosurgery", "Neurosurgery"),
]
PUBLISHERS = ["Springer", "Elsevier", "Wiley", "Thieme", "Oxford University Press", "Lippincott"]
TOPICS = """radiofrequency ablation|microwave ablation|cryoablation|vertebroplasty|balloon kyphoplasty|
stereotactic body radiotherapy|spinal metastases|epidural disease|thermal protection|pathological fracture|
cement leakage|pain palliation|local tumour control|oligometastatic disease|osteoid osteoma|
renal cell carcinoma|breast cancer|prostate cancer|lung cancer|multiple myeloma|spinal instability|
bone-modifying agents|opioid consumption|quality of life|thermocouple monitoring|carbon dioxide dissection|
posterior element involvement|sacral insufficiency|laser interstitial thermal therapy|
MR-guided focused ultrasound"""
TOPICS_LIST = [t.strip() for t in TOPICS.split("|")]
DESIGNS = [
    "a retrospective cohort", "a prospective single-arm study", "a randomised controlled trial",
    "a multicentre registry", "a systematic review and meta-analysis", "a cadaveric study",
    "a phantom study", "a case series", "a consensus statement", "a cost-effectiveness analysis",
]
TITLE_FORMS = [
    "{topic} for {topic2}: {design}",
    "Outcomes of {topic} in patients with {topic2}",
    "{topic} versus {topic2}: {design}",
    "Safety and efficacy of {topic} combined with {topic2}",
    "Long-term results of {topic} for {topic2}",
    "Predictors of {topic} after {topic2}",
    "{topic} and {topic2}: a narrative review",
]
SUBJECTS = [
    "Pain scores", "Local control", "Opioid use", "Functional status", "Neurological outcome",
    "Cement leakage", "Fracture progression", "Overall survival", "Time to retreatment",
    "Procedure time", "Thermal injury", "Ambulatory status", "Quality of life",
    "Analgesic requirement", "Tumour necrosis",
]
VERBS = [
    "improved", "declined", "remained stable", "varied widely", "was reported inconsistently",
    "differed between modalities", "depended on lesion size", "correlated with histology",
    "was better with augmentation", "was worse near the posterior wall",
]
QUALIFIERS = [
    "in most series", "after a median follow-up of 14 months", "within the first week",
    "in lytic lesions", "when thermocouples were used", "in radioresistant tumours",
    "in the thoracic spine", "at six months", "despite small sample sizes",
    "when the ablation zone covered the tumour margin", "in elderly patients",
    "across the included studies",
]
CONNECT = [
    "However,", "In contrast,", "Similarly,", "Moreover,", "Notably,", "Accordingly,",
    "In addition,", "Nevertheless,", "By comparison,", "Taken together,",
]
FILLER = [
    "the", "procedure", "was", "performed", "under", "conscious", "sedation", "with", "computed",
    "tomography", "guidance", "and", "the", "needles", "were", "positioned", "through", "a",
    "transpedicular", "or", "parapedicular", "route", "before", "the", "tumour", "was", "treated",
    "with", "overlapping", "ablation", "zones", "while", "the", "neural", "structures", "were",
    "monitored", "continuously", "by", "thermocouples", "and", "evoked", "potentials", "so", "that",
    "the", "energy", "could", "be", "reduced", "whenever", "the", "temperature", "approached",
    "the", "safety", "threshold", "and", "the", "patients", "were", "usually", "discharged", "on",
    "the", "same", "day", "with", "instructions", "about", "analgesia",
]
SECTIONS = [
    "Introduction", "Patient selection", "Ablation modalities", "Vertebral augmentation",
    "Thermal protection", "Pain palliation", "Local tumour control", "Oligometastatic disease",
    "Complications", "Special locations", "Imaging follow-up", "Health economics",
    "Future directions", "Limitations of the evidence", "Practical recommendations",
]


# --------------------------------------------------------------------------- references


def make_references(
    rng: random.Random, n: int, *, tag: str, doi_share: float = 0.9, all_dois: bool = False
) -> list[dict[str, Any]]:
    """``n`` CSL JSON items with unique ids; about ``doi_share`` of them carry a DOI."""
    items: list[dict[str, Any]] = []
    used: set[str] = set()
    for i in range(n):
        authors = [
            {"family": rng.choice(FAMILIES), "given": "".join(rng.sample(INITIALS, rng.randint(1, 2)))}
            for _ in range(rng.choice([1, 2, 3, 3, 4, 5, 6, 8]))
        ]
        year = rng.randint(1984, 2024)
        base = f"{authors[0]['family'].lower()}{year}"
        key = base
        suffix = 0
        while key in used:
            suffix += 1
            key = f"{base}{chr(ord('a') + suffix % 26)}{suffix // 26 or ''}"
        used.add(key)
        topic, topic2 = rng.sample(TOPICS_LIST, 2)
        title = rng.choice(TITLE_FORMS).format(topic=topic, topic2=topic2, design=rng.choice(DESIGNS))
        title = title[0].upper() + title[1:]
        kind = (
            "article-journal"
            if (all_dois or rng.random() < 0.88)
            else rng.choice(["book", "chapter", "report"])
        )
        item: dict[str, Any] = {
            "id": key,
            "type": kind,
            "author": authors,
            "title": title,
            "issued": {"date-parts": [[year]]},
        }
        if kind == "article-journal":
            journal, short = rng.choice(JOURNALS)
            first = rng.randint(1, 2400)
            item.update(
                {
                    "container-title": journal,
                    "container-title-short": short,
                    "volume": str(rng.randint(1, 120)),
                    "issue": str(rng.randint(1, 12)),
                    "page": f"{first}-{first + rng.randint(3, 15)}",
                }
            )
        elif kind == "chapter":
            item.update(
                {
                    "container-title": f"Interventional oncology of the {rng.choice(['spine', 'skeleton'])}",
                    "publisher": rng.choice(PUBLISHERS),
                    "publisher-place": "Cham",
                    "page": f"{rng.randint(1, 300)}-{rng.randint(301, 400)}",
                }
            )
        elif kind == "book":
            item.update({"publisher": rng.choice(PUBLISHERS), "publisher-place": "New York"})
        else:
            item.update({"publisher": "National Cancer Registry", "publisher-place": "London"})
        if (
            all_dois
            or (kind == "article-journal" and rng.random() < doi_share / 0.88)
            or (kind != "article-journal" and rng.random() < 0.4)
        ):
            item["DOI"] = f"{DOI_PREFIX}/bench.{tag}.{i:05d}"
        if rng.random() < 0.3 and kind == "article-journal":
            item["PMID"] = str(rng.randint(10_000_000, 39_999_999))
        items.append(item)
    return items


def lock_records(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The metadata lock for ``items``: each DOI's record as the registrar would give it,
    and each PMID's as PubMed would (through the registrars' own formats and back)."""
    from audit.sources.crossref import crossref_to_csl, csl_to_crossref
    from audit.sources.pubmed import csl_to_esummary, esummary_to_csl

    pubmed = {}
    for item in items:
        if pmid := item.get("PMID"):
            pubmed[str(pmid)] = {
                "fetched": FETCHED,
                "provenance": {"source": "pubmed", "url": "https://eutils.ncbi.nlm.nih.gov/entrez/"
                               f"eutils/esummary.fcgi?db=pubmed&id={pmid}&retmode=json"},
                "record": esummary_to_csl(csl_to_esummary(item, str(pmid))),
            }
    records = {}
    for item in items:
        doi = item.get("DOI")
        if not doi:
            continue
        record = crossref_to_csl(csl_to_crossref({k: v for k, v in item.items() if k != "id"}))
        records[doi.lower()] = {
            "fetched": FETCHED,
            "provenance": {"source": "crossref", "url": f"https://api.crossref.org/works/{doi}"},
            "record": record,
        }
    return {"lock-version": 1, "records": dict(sorted(records.items())),
            **({"pubmed": dict(sorted(pubmed.items(), key=lambda kv: int(kv[0])))} if pubmed else {})}


# --------------------------------------------------------------------------- prose


class Citer:
    """Hands out citation keys: every key once (in a shuffled order), then random re-citations."""

    def __init__(self, rng: random.Random, keys: list[str]) -> None:
        self.rng = rng
        self.keys = keys
        self.queue = list(keys)
        rng.shuffle(self.queue)

    def take(self) -> str:
        return self.queue.pop() if self.queue else self.rng.choice(self.keys)

    def citation(self) -> str:
        """One pandoc citation: parenthetical, grouped, with a locator, or author-suppressed."""
        r = self.rng.random()
        if r < 0.45:
            return f"[@{self.take()}]"
        if r < 0.80:
            group = list(dict.fromkeys(self.take() for _ in range(self.rng.randint(2, 5))))
            return "[" + "; ".join(f"@{k}" for k in group) + "]"
        if r < 0.90:
            return f"[@{self.take()}, p. {self.rng.randint(2, 400)}]"
        if r < 0.95:
            return f"[see @{self.take()}; also @{self.take()}]"
        return f"[-@{self.take()}]"


def sentence(rng: random.Random, citer: Citer | None) -> str:
    """One sentence of about 20 words, possibly ending in a citation or starting with a narrative one."""
    subject, verb, qual = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(QUALIFIERS)
    start = rng.randrange(0, len(FILLER) - 12)
    tail = " ".join(FILLER[start : start + rng.randint(4, 10)])
    if citer is not None and rng.random() < 0.12:
        key = citer.take()
        return f"@{key} reported that {subject.lower()} {verb} {qual}, and {tail}."
    lead = rng.choice(CONNECT) + " " if rng.random() < 0.3 else ""
    text = f"{lead}{subject.lower() if lead else subject} {verb} {qual}, as {tail}"
    if citer is not None:
        text += " " + citer.citation()
    return text + "."


def paragraph(rng: random.Random, citer: Citer, n_cites: int) -> str:
    n_sentences = rng.randint(5, 8)
    cite_at = set(rng.sample(range(n_sentences), min(n_cites, n_sentences)))
    return " ".join(sentence(rng, citer if i in cite_at else None) for i in range(n_sentences))


def table(rng: random.Random, citer: Citer) -> str:
    rows = [
        "| Modality | Studies | Patients | Pain response | Local control |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for modality in [
        "Radiofrequency ablation",
        "Microwave ablation",
        "Cryoablation",
        "Laser ablation",
        "Vertebroplasty alone",
        "Ablation + augmentation",
    ]:
        rows.append(
            f"| {modality} | {rng.randint(3, 40)} | {rng.randint(20, 900)} | "
            f"{rng.randint(55, 97)}% [@{citer.take()}] | {rng.randint(60, 98)}% |"
        )
    return (
        "\n".join(rows)
        + "\n\nTable: Table 1. Published series by modality (synthetic numbers). {#tbl:series}"
    )


def front_matter(size_name: str, abstract: str) -> str:
    """The real review's front matter block, with this manuscript's title and abstract."""
    text = (ROOT / "manuscript" / "review.md").read_text("utf-8")
    block = text.split("---", 2)[1]
    kept: list[str] = []
    skipping = False
    for line in block.strip("\n").splitlines():
        top = re.match(r"^([A-Za-z][\w-]*):", line)
        if top:
            skipping = top.group(1) in ("title", "abstract", "bibliography")
        elif not line.startswith((" ", "\t", "-")) and line.strip() and not line.startswith("#"):
            skipping = False
        if not skipping:
            kept.append(line)
    title = (
        f"Synthetic benchmark review ({size_name}): thermal ablation and augmentation for spinal metastases"
    )
    abstract_block = "abstract: |\n  " + abstract
    return (
        "---\n"
        + "\n".join([f'title: "{title}"', *kept, abstract_block, "bibliography: references.json"])
        + "\n---\n"
    )


def manuscript(rng: random.Random, keys: list[str], words: int, size_name: str) -> str:
    citer = Citer(rng, keys)
    # about 119 words a paragraph; enough citations per paragraph to cite every key at least once
    n_paragraphs = max(8, words // 119)
    per_par = max(2, math.ceil(len(keys) * 1.25 / n_paragraphs / 2.2))  # ~2.2 keys per citation
    abstract = " ".join(sentence(rng, None) for _ in range(8))
    parts = [front_matter(size_name, abstract)]
    sections = max(4, n_paragraphs // 12)
    per_section = math.ceil(n_paragraphs / sections)
    written = 0
    table_at = min(2, sections - 1)
    for s in range(sections):
        name = SECTIONS[s % len(SECTIONS)] + (f" ({s // len(SECTIONS) + 1})" if s >= len(SECTIONS) else "")
        parts.append(f"# {name}\n")
        for p in range(per_section):
            if written >= n_paragraphs:
                break
            if p and p % 4 == 0:
                parts.append(f"## {rng.choice(TOPICS_LIST).capitalize()} {s + 1}.{p // 4}\n")
            parts.append(paragraph(rng, citer, per_par) + "\n")
            written += 1
        if s == table_at:
            parts.append(table(rng, citer) + "\n")
    while citer.queue:  # any key not cited yet: one closing paragraph per 40 keys
        chunk = [citer.queue.pop() for _ in range(min(40, len(citer.queue)))]
        parts.append(
            "Further series were summarised elsewhere [" + "; ".join(f"@{k}" for k in chunk) + "].\n"
        )
    return "\n".join(parts)


# --------------------------------------------------------------------------- projects


def pyproject() -> str:
    """The project's configuration: the JATS schema shipped with the package (no ../shared)."""
    lines = [
        "[project]",
        'name = "benchmark-manuscript"',
        'version = "0"',
        "",
        "[tool.manuscript-audit]",
        'manuscript = "manuscript/review.md"',
        'style = "skeletal-radiology"',
        'output = "output"',
    ]
    return "\n".join(lines) + "\n"


def write_project(
    out: Path,
    *,
    name: str,
    n_refs: int,
    words: int,
    seed: int = 20261123,
    empty_lock: bool = False,
    all_dois: bool = False,
) -> dict[str, Any]:
    """Write one buildable project into ``out`` (replacing it); returns a summary."""
    rng = random.Random(f"{seed}:{name}")
    if out.exists():
        shutil.rmtree(out)
    (out / "manuscript").mkdir(parents=True)
    shutil.copytree(ROOT / "pandoc", out / "pandoc")
    if (ROOT / "csl").is_dir():
        shutil.copytree(ROOT / "csl", out / "csl")
    (out / "pyproject.toml").write_text(pyproject(), "utf-8")
    items = make_references(rng, n_refs, tag=name.lower(), all_dois=all_dois)
    text = manuscript(rng, [i["id"] for i in items], words, name)
    (out / "manuscript" / "review.md").write_text(text, "utf-8")
    (out / "manuscript" / "references.json").write_text(
        json.dumps(items, indent=1, ensure_ascii=False) + "\n", "utf-8"
    )
    lock: dict[str, Any] = {"lock-version": 1, "records": {}} if empty_lock else lock_records(items)
    (out / "manuscript" / "references.lock.json").write_text(
        json.dumps(lock, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    body = text.split("\n---\n", 1)[1]
    return {
        "name": name,
        "root": str(out),
        "references": len(items),
        "dois": sum(1 for i in items if i.get("DOI")),
        "locked": len(lock["records"]),
        "words": len(re.findall(r"\S+", body)),
        "citations": len(re.findall(r"-?@[a-z]", body)),
    }


def generate(size: str, out: Path, seed: int = 20261123, *, build: bool = False) -> dict[str, Any]:
    """The project of ``size``; ``build``: with the build rounds' prose (the same references)."""
    spec = SIZES[size]
    words = spec.build_words if build and spec.build_words else spec.words
    return write_project(out, name=spec.name, n_refs=spec.references, words=words, seed=seed)


def generate_refresh(n_dois: int, out: Path, seed: int = 20261123) -> dict[str, Any]:
    """A manuscript citing ``n_dois`` works, every one with a DOI, and an empty lock."""
    return write_project(out, name=f"R{n_dois}", n_refs=n_dois, words=max(3000, n_dois * 6), seed=seed,
                         empty_lock=True, all_dois=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), help="S, L or XL (T: the tests' tiny one)")
    parser.add_argument("--refresh", type=int, metavar="N", help="a project with N DOIs and an empty lock")
    parser.add_argument("--build", action="store_true", help="with the build rounds' prose (XL)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    if args.refresh:
        summary = generate_refresh(args.refresh, args.out, args.seed)
    elif args.size:
        summary = generate(args.size, args.out, args.seed, build=args.build)
    else:
        parser.error("give --size or --refresh")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
