"""Whether a record is the work a reference describes (:func:`audit.compare.agreement`):
the same work written another way agrees; chimeras and borrowed names do not.

The records are real (the review's, as PubMed and the registrar give them); the references
are what a printed list makes of them, or look-alikes made from them.
"""

from __future__ import annotations

from typing import Any

import pytest

from audit.compare import agreement, best_agreement

TOMASIAN = {
    "DOI": "10.3174/ajnr.a4521", "type": "article-journal",
    "title": "Spine Cryoablation: Pain Palliation and Local Tumor Control for Vertebral Metastases",
    "author": [{"family": "Tomasian", "given": "A."}, {"family": "Wallace", "given": "A."},
               {"family": "Northrup", "given": "B."}],
    "container-title": "American Journal of Neuroradiology",
    "container-title-short": "AJNR Am J Neuroradiol", "issued": {"date-parts": [[2016]]},
    "volume": "37", "page": "189-195",
}
SORENSEN = {
    "DOI": "10.1016/j.spinee.2019.02.012", "type": "article-journal",
    "title": "Vertebroplasty or kyphoplasty as palliative treatment for cancer-related vertebral "
             "compression fractures: a systematic review",
    "author": [{"family": "Sørensen", "given": "Signe Tandrup"}],
    "container-title": "The Spine Journal", "container-title-short": "Spine J",
    "issued": {"date-parts": [[2019]]}, "volume": "19", "page": "1067-1075",
}
# reference 11 of the review, as its article printed it (initials, "AJNR", sentence case)
PRINTED = {"title": "Spine cryoablation: pain palliation and local tumor control for vertebral "
                    "metastases", "author": [{"family": "Tomasian", "given": "A"}],
           "container-title": "AJNR", "issued": {"date-parts": [[2016]]}}


def variant(**changed: Any) -> dict[str, Any]:
    return {**PRINTED, **changed}


@pytest.mark.parametrize(("entry", "differing"), [
    (PRINTED, ()),
    (variant(title="Spine cryoablation: pain palliation and local tumor control for vertebral "
                   "metastsaes"), ()),  # a typo
    (variant(title="Spine cryoablation"), ()),  # without its subtitle
    (variant(issued={"date-parts": [[2017]]}), ()),  # a year off by one: a warning
    (variant(issued={"date-parts": [[2019]]}), ("year",)),  # a wrong year: found, then a finding
    (variant(**{"container-title": "Radiology"}), ("container",)),  # a wrong journal, likewise
    (variant(author=[{"family": "Tomasian", "given": "Anderanik"}, {"literal": "et al."}]), ()),
    (variant(author=[{"literal": "SPINE Study Group"}]), ()),  # a group is not compared
    ({"title": PRINTED["title"]}, ()),  # a title alone: nothing else to tell
])
def test_the_same_work_written_another_way_agrees(entry: dict[str, Any],
                                                  differing: tuple[str, ...]) -> None:
    graded = agreement(entry, TOMASIAN)
    assert graded.agrees and graded.differing == differing


@pytest.mark.parametrize(("kind", "entry", "differing"), [
    ("chimera: half of one title, half of another",
     variant(title="Spine cryoablation: pain palliation and cancer-related vertebral compression "
                   "fractures: a systematic review"), ("title",)),
    ("a real author's name on a title nobody wrote",
     variant(title="Deep convolutional priors for vertebral cement leakage prediction in "
                   "cryoablation"), ("title",)),
    ("a real title under another author",
     variant(author=[{"family": "Kaminski", "given": "J"}]), ("author",)),
    ("a real title and author in another journal and another year",
     variant(issued={"date-parts": [[2021]]}, **{"container-title": "Radiology"}),
     ("year", "container")),
    ("a real title alone, with a wrong year", {"title": PRINTED["title"],
                                               "issued": {"date-parts": [[2012]]}}, ("year",)),
])
def test_look_alikes_do_not_agree(kind: str, entry: dict[str, Any],
                                  differing: tuple[str, ...]) -> None:
    graded = agreement(entry, TOMASIAN)
    assert not graded.agrees, kind
    assert graded.differing == differing


def test_the_best_agreeing_candidate_is_chosen_and_none_when_none_agrees() -> None:
    wrong_year = {**TOMASIAN, "DOI": "10.9999/other", "issued": {"date-parts": [[2012]]}}
    best = best_agreement(PRINTED, [SORENSEN, wrong_year, TOMASIAN])
    assert best is not None and best.record["DOI"] == "10.3174/ajnr.a4521"
    assert best_agreement(PRINTED, [SORENSEN]) is None
    assert best_agreement(PRINTED, []) is None
