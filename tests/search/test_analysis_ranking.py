"""What people type (abbreviations, full names, traditional and full-width characters, English
names, licensing items) finds what they mean; a query word's synonyms count once; credit
overtakes relevance only by the documented blend (docs/search.md)."""

import os

import pytest
from whoosh import index

from market.agencies.services import agency_of
from market.extensions import db as _db
from market.search import analysis, engine

from .test_engine import agency, ids


def test_folding_gives_half_width_lowercase_simplified_text_of_the_same_length(app):
    assert analysis.fold("ＺＪ０１２ EIA") == "zj012 eia"
    assert analysis.fold("環境影響評價 測繪") == "环境影响评价 测绘"
    text = "重庆（渝北）環評有限公司　ＺＪ０１２"
    assert len(analysis.fold(text)) == len(text)
    # offsets into the folded text mark the original characters
    words = {text[start:end]: word for word, start, end in analysis.words_of(text)}
    assert words["環評"] == "环评" and words["ＺＪ０１２"] == "zj012"


def test_every_synonym_is_one_word_to_the_tokenizer(app):
    engine._setup()
    terms = {t for key, group in analysis.synonyms().items() for t in (key, *group)}
    assert len(terms) >= 60
    for term in terms:
        if not term.isascii():
            assert term in [w for w, _, _ in analysis.words_of(term)], term


# Two groups name services the shipped catalogue does not list yet (agencies still describe
# them); every other group must find at least one catalogue item.
NOT_IN_THE_CATALOGUE = {"稳评", "交评"}


def test_every_synonym_group_finds_a_catalogue_item(app, db):
    engine.rebuild(["items"])
    lines = [
        line.split("=")[0].strip().lower()
        for line in (analysis.DATA / "synonyms.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) >= 30
    dead = {key for key in lines if not engine.search("items", key).total}
    assert dead == NOT_IN_THE_CATALOGUE


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("雷评", "ZJ008"),
        ("洪评", "ZJ015"),
        ("职评", "ZJ030"),
        ("压矿", "ZJ026"),
        ("文勘", "ZJ028"),
        ("環評", "ZJ012"),
        ("EIA", "ZJ012"),
        ("environmental impact assessment", "ZJ012"),
        ("Soil and Water Conservation", "ZJ010"),
        ("規劃核實", "ZJ018"),
    ],
)
def test_what_people_type_finds_the_item(app, db, query, code):
    engine.rebuild(["items"])
    found = [h.fields["code"] for h in engine.search("items", query, per_page=50).hits]
    assert code in found, (query, found)


def test_a_full_name_finds_what_its_abbreviation_finds(app, make, db, indexed):
    env = agency(make, "重庆绿源环评咨询有限公司", items=("ZJ010",))  # 环评 in its name only
    report = agency(make, "重庆碧水环境科技有限公司", items=("ZJ012",))
    agency(make, "重庆精准测绘有限公司", items=("ZJ018",))
    indexed()
    expected = sorted([env.organisation.id, report.organisation.id])
    for query in ("环评", "环境影响评价", "環境影響評價", "EIA", "Environmental Impact Assessment"):
        assert sorted(ids(engine.search("agencies", query))) == expected, query
    assert ids(engine.search("agencies", "ＺＪ０１２")) == [report.organisation.id]


def test_agencies_are_found_by_licensing_item_and_by_what_they_write(app, make, db, indexed):
    survey = agency(make, "重庆精准地理信息有限公司", items=("ZJ018",))
    writer = agency(make, "重庆青山生态技术有限公司", items=("ZJ010",))
    profile = agency_of(writer)
    profile.description = "专注山地城市边坡生态修复二十年"
    profile.offerings[0].description = "可承接消落带治理项目的水土保持方案"
    _db.session.commit()
    indexed()
    assert ids(engine.search("agencies", "规划核实")) == [survey.organisation.id]
    assert ids(engine.search("agencies", "建设工程规划条件核实")) == [survey.organisation.id]
    assert ids(engine.search("agencies", "边坡生态修复")) == [writer.organisation.id]
    assert ids(engine.search("agencies", "消落带")) == [writer.organisation.id]


def test_a_rare_synonym_does_not_outrank_the_common_name(app, make, db, indexed):
    # The cost consultancy's only environmental service is marine EIA (环境影响报告书: a
    # rarer synonym of 环评); a dozen inland EIA specialists offer 环境影响评价.
    for n in range(12):
        agency(make, f"重庆第{n}环保科技有限公司", items=("ZJ012", "ZJ010"))
    marine = agency(make, "重庆广信工程造价咨询有限公司", items=("ZJ013", "ZJ031"))
    indexed()
    found = ids(engine.search("agencies", "环评", per_page=20))
    assert len(found) == 13 and found[-1] == marine.organisation.id


def test_a_group_scores_its_best_word_once(app, make, db, indexed):
    # X holds two words of the 环评 group: 环评 in its name (4.353) and 环境影响评价 in its
    # item and licensing item (1.937 + 1.446 = 3.383). It scores the better one, not 7.736.
    x = agency(make, "重庆环评咨询有限公司", items=("ZJ012",))
    z = agency(make, "重庆绿源环境科技有限公司", items=("ZJ012",))
    agency(make, "重庆精准测绘有限公司", items=("ZJ018",))
    indexed()
    scores = {h.id: h.score for h in engine.search("agencies", "环评").hits}
    assert scores[x.organisation.id] == pytest.approx(4.353, abs=1e-3)
    assert scores[z.organisation.id] == pytest.approx(3.383, abs=1e-3)


# --- the credit blend: rank = relevance × (0.5 + credit score / 200) --------------------------


def two_eia_agencies(make, indexed, first_score):
    """A: offers only 环评 (relevance 4.908); B: three services, 环评 among them (relevance
    3.175, its longer item list dilutes the match), credit score 100 (factor 1.0)."""
    a = agency(make, "重庆甲环境技术有限公司", items=("ZJ012",), score=first_score)
    b = agency(make, "重庆乙环境技术有限公司", items=("ZJ012", "ZJ010", "ZJ031"), score=100)
    agency(make, "重庆丙测量有限公司", items=("ZJ018",))
    agency(make, "重庆丁测量有限公司", items=("ZJ018",))
    indexed()
    hits = {h.id: h for h in engine.search("agencies", "环评").hits}
    return hits[a.organisation.id], hits[b.organisation.id]


def test_better_credit_overtakes_a_more_relevant_agency_when_the_blend_says_so(make, db, indexed):
    # A: score 20 → factor 0.6 → 4.908 × 0.6 = 2.945 < B: 3.175 × 1.0
    a, b = two_eia_agencies(make, indexed, first_score=20)
    assert a.score == pytest.approx(4.908, abs=1e-3) and b.score == pytest.approx(3.175, abs=1e-3)
    assert a.blended == pytest.approx(2.945, abs=1e-3) and b.blended == pytest.approx(
        3.175, abs=1e-3
    )
    assert ids(engine.search("agencies", "环评"))[:2] == [b.id, a.id]


def test_better_credit_does_not_overtake_when_relevance_outweighs_it(make, db, indexed):
    # A: score 40 → factor 0.7 → 4.908 × 0.7 = 3.436 > B: 3.175 × 1.0
    a, b = two_eia_agencies(make, indexed, first_score=40)
    assert a.blended == pytest.approx(3.436, abs=1e-3)
    assert ids(engine.search("agencies", "环评"))[:2] == [a.id, b.id]


def test_an_index_analysed_otherwise_is_rebuilt_before_use(app, make, db, indexed, search_index):
    agency(make, "重庆绿源环境科技有限公司")
    indexed()
    path = engine.index_dir("agencies")
    with open(os.path.join(path, engine.ANALYSIS_FILE), "w") as fh:
        fh.write("1-0123456789ab")  # written by another analysis
    engine._indexes.clear()
    assert "agencies" in engine.outdated()
    assert index.exists_in(path)
    with pytest.raises(engine.IndexOutdated):
        engine.search("agencies", "环评")
