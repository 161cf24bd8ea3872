"""Query evaluation as arrays (vector.py): the same matches and scores as Whoosh's own
collector, numbers read back from the columns, exact ordering, snippets, parallel rebuild."""

import numpy as np
import pytest

from market.agencies.services import agency_of
from market.search import analysis, documents, engine, vector

from .test_engine import agency


def _whoosh_scores(kind, text):
    s = engine.searcher(kind)
    return {hit.docnum: hit.score for hit in s.search(engine.build_query(kind, text), limit=None)}


def _vector_scores(kind, text):
    s = engine.searcher(kind)
    groups, alternative, _ = engine.query_terms(kind, text)
    match, score = vector.evaluate(engine._view(kind, s), groups, alternative)
    match &= engine._view(kind, s).live()
    return {int(n): float(score[n]) for n in np.flatnonzero(match)}


# Words without synonyms: a synonym group is scored as one term (test_ranking.py).
@pytest.mark.parametrize("text", ["绿源", "重庆 科技", "环境", "hp", "渝北 环境科技"])
def test_matches_and_scores_are_whooshs_own(app, make, db, indexed, text):
    agency(make, "重庆绿源环境科技有限公司", items=("ZJ012",))
    agency(make, "重庆精准测绘有限公司", items=("ZJ018",), region="重庆市江北区")
    indexed()
    renamed = agency(make, "重庆环评测绘技术有限公司", items=("ZJ012", "ZJ018"))
    agency(make, "四川蜀道环境科技有限公司", items=("ZJ012",), region="四川省成都市")
    indexed()  # a second segment
    renamed.organisation.name = "重庆环评测绘科技有限公司"
    db.session.commit()
    indexed()  # the old version deleted, the new one added
    expected = _whoosh_scores("agencies", text)
    got = _vector_scores("agencies", text)
    assert expected, text
    assert set(got) == set(expected)
    for docnum, score in expected.items():
        assert got[docnum] == pytest.approx(score, rel=1e-5)
    assert engine.search("agencies", text).total == len(expected)


def test_numbers_come_back_from_the_columns_as_stored(app, make, db, indexed, frozen_clock):
    agency(make, "重庆一环境科技有限公司", score=100)
    agency(make, "重庆二环境科技有限公司", score=72)
    record, _, _ = make.confirmed_record(code="A02")
    db.session.commit()
    indexed()
    s = engine.searcher("agencies")
    view = engine._view("agencies", s)
    names = ("number", "score", "credit_factor", "rating", "blocked_until")
    for docnum in np.flatnonzero(view.live()):
        stored = s.stored_fields(int(docnum))
        for name in names:
            if name in stored:
                assert view.number(name)[docnum] == pytest.approx(stored[name]), name
        assert view.number("number")[docnum] == int(stored["id"])
    assert max(view.number("blocked_until")) > 0  # the suspended agency


def test_a_blacklisting_without_end_is_kept_in_the_column(app, make, db, indexed):
    user = agency(make, "重庆一环境科技有限公司")
    profile = agency_of(user)
    profile.blacklisted, profile.blacklisted_until = True, None
    db.session.commit()
    indexed()
    view = engine._view("agencies", engine.searcher("agencies"))
    assert documents.FOREVER in view.number("blocked_until")
    assert engine.search("agencies", "环评", can_bid_only=True).total == 0


def test_ranked_orders_exactly_and_keeps_ties_at_the_cut():
    blended = np.array([1.0, 3.0, 2.0, 3.0, 0.5, 3.0, 2.0, 9.0])
    factor = np.array([1.0, 1.0, 1.2, 1.1, 1.0, 1.1, 1.0, 1.0])
    number = np.array([8, 7, 6, 5, 4, 3, 2, 1])
    mask = np.array([True] * 7 + [False])
    order = vector.ranked(mask, [blended, factor, number], limit=3)
    # 3.0 three times: the higher factor first, then the smaller id
    assert order.tolist() == [5, 3, 1]
    everything = vector.ranked(mask, [blended, factor, number], limit=100)
    assert everything.tolist() == [5, 3, 1, 2, 6, 0, 4]
    # Far more candidates than the limit: the cut must not drop a tie
    many = np.ones(1000)
    many[500] = 2.0
    order = vector.ranked(np.ones(1000, bool), [many, np.ones(1000), np.arange(1000)], 2)
    assert order.tolist() == [500, 0]


def test_every_match_is_ordered_by_the_blend(app, make, db, indexed):
    """The least relevant hit has the best credit: the order is the blend's over all hits."""
    weak = agency(make, "重庆诚信科技有限公司", score=100)  # 环境 only in its items
    strong = [agency(make, f"重庆环境{n}环境科技有限公司", score=60) for n in range(3)]
    indexed()
    results = engine.search("agencies", "环境")
    by_relevance = sorted(results.hits, key=lambda h: -h.score)
    assert by_relevance[-1].id == weak.organisation.id
    expected = sorted(results.hits, key=lambda h: (-h.blended, -h.fields["credit_factor"], h.id))
    assert [h.id for h in results.hits] == [h.id for h in expected]
    assert len(strong) + 1 == results.total


def test_snippets_merge_overlapping_words_and_escape_the_text(app):
    analysis.setup()
    text = "<b>某</b>承接环境影响评价报告书编制"
    snippet = str(analysis.snippets(text, {"环境", "影响", "评价", "环境影响评价"}))
    assert '<mark class="hl">环境影响评价</mark>' in snippet
    assert "&lt;b&gt;" in snippet and "<b>" not in snippet
    assert analysis.snippets(text, {"测绘"}) is None
    long = "前言" * 60 + "测绘" + "中段" * 60 + "测绘" + "结尾"
    two = str(analysis.snippets(long, {"测绘"}))
    assert two.count('<mark class="hl">测绘</mark>') == 2 and two.startswith("…")
    assert len(two) < len(long)
    items = "ZJ002 危险废物经营许可证 ZJ009 地质灾害危险性评估报告编制 ZJ012 环境影响评价报告书编制"
    cut = str(analysis.snippets(items, {"环境影响评价"}))
    # cut at a space before the match, not in the middle of 危险性评估
    assert cut.startswith("…ZJ012 <mark") or cut.startswith("…地质灾害"), cut


def test_a_parallel_rebuild_equals_the_incremental_index(app, make, db, indexed, monkeypatch):
    for n, region in enumerate(("重庆市渝北区", "重庆市江北区", "四川省成都市")):
        agency(make, f"重庆{'甲乙丙'[n]}环境科技有限公司", region=region, score=70 + 10 * n)
    indexed()
    before = engine.search("agencies", "环评")
    monkeypatch.setattr(engine, "PARALLEL_FROM", 1)
    engine.rebuild(["agencies"])
    after = engine.search("agencies", "环评")
    assert [h.id for h in after.hits] == [h.id for h in before.hits]
    assert after.facets == before.facets and after.total == before.total == 3
    assert engine.check(["agencies"])["agencies"] == {"missing": [], "stale": [], "extra": []}


def test_the_postings_held_stay_bounded_and_answers_stay_right(app, make, db, indexed, monkeypatch):
    for n in range(3):
        agency(make, f"重庆{'甲乙丙'[n]}环境科技有限公司", items=("ZJ012", "ZJ018"))
    indexed()
    words = ("环评", "测绘", "重庆", "环境", "科技")
    expected = {w: engine.search("agencies", w).total for w in words}
    monkeypatch.setattr(vector, "MAX_CACHED_POSTINGS", 4)
    engine._views.clear()
    vector._segments.clear()
    for _ in range(2):
        assert {w: engine.search("agencies", w).total for w in words} == expected
    for segment in vector._segments.values():
        held = [len(v[0]) for k, v in segment.arrays.items() if k[0] == "postings"]
        assert sum(held) <= 4 or len(held) == 1
