"""Search: Chinese analysis, abbreviations, highlighting, facets, credit-blended ranking."""

from market.agencies.services import agency_of
from market.search import analysis, engine


def agency(make, name, items=("ZJ012",), score=100, region="重庆市渝北区"):
    user = make.agency(items=items, org_name=name, region=region)
    profile = agency_of(user)
    profile.credit_score = score
    profile.credit_grade = (
        "A" if score >= 90 else "B" if score >= 80 else "C" if score >= 60 else "D"
    )
    return user


def ids(results):
    return [h.id for h in results.hits]


def test_the_tokenizer_keeps_positions_and_character_offsets(app):
    text = "重庆环境影响评价有限公司"
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in analysis.chinese_analyzer()(text, positions=True, chars=True)
    ]
    words = [word for word, *_ in tokens]
    assert "环境影响评价" in words and "环境" in words and "有限公司" not in words  # a stop word
    for word, _, start, end in tokens:
        assert text[start:end] == word
    assert [pos for _, pos, *_ in tokens] == sorted(pos for _, pos, *_ in tokens)


def test_abbreviations_find_the_full_names(app, make, db, indexed):
    env = agency(make, "重庆绿源环境科技有限公司", items=("ZJ012",))
    survey = agency(make, "重庆精准测绘有限公司", items=("ZJ018",))
    engine.rebuild(["items"])  # the catalogue was loaded before the test
    indexed()
    assert ids(engine.search("agencies", "环评")) == [env.organisation.id]
    assert survey.organisation.id in ids(engine.search("agencies", "测绘"))
    assert ids(engine.search("items", "水保"))  # 水土保持方案报告书编制
    assert env.organisation.id in ids(engine.search("agencies", "hp"))  # pinyin initials


def test_highlighting_marks_the_matched_words(app, make, db, indexed):
    user = agency(make, "重庆绿源环境科技有限公司")
    indexed()
    (hit,) = engine.search("agencies", "环境影响评价").hits
    assert hit.id == user.organisation.id
    assert '<mark class="hl' in str(hit.highlights["items"]) and "环境影响评价</mark>" in str(
        hit.highlights["items"]
    )


def test_facets_count_the_matches_and_a_filter_narrows(app, make, db, indexed):
    agency(make, "重庆甲环境科技有限公司", region="重庆市渝北区")
    agency(make, "重庆乙环境科技有限公司", region="重庆市渝北区")
    agency(make, "成都丙环境科技有限公司", region="四川省成都市")
    indexed()
    results = engine.search("agencies", "环评")
    assert dict(results.facets["region"]) == {"重庆市渝北区": 2, "四川省成都市": 1}
    assert dict(results.facets["category"]) == {"环境影响评价": 3}
    narrowed = engine.search("agencies", "环评", filters={"region": "四川省成都市"})
    assert narrowed.total == 1 and narrowed.hits[0].fields["name"] == "成都丙环境科技有限公司"


def test_relevance_is_blended_with_credit_and_ties_go_to_the_higher_credit(app, make, db, indexed):
    low = agency(make, "重庆一环境科技有限公司", score=60)
    high = agency(make, "重庆二环境科技有限公司", score=95)
    mid = agency(make, "重庆三环境科技有限公司", score=80)
    indexed()
    results = engine.search("agencies", "环评")
    assert ids(results) == [high.organisation.id, mid.organisation.id, low.organisation.id]
    for hit in results.hits:
        assert hit.blended == engine.blend(hit.score, hit.fields["credit_factor"])
    by_credit = engine.search("agencies", "环评", sort="credit")
    assert ids(by_credit) == ids(results)


def test_a_confirmed_violation_drops_the_rank_right_after_the_commit(
    app, make, db, indexed, frozen_clock
):
    first = agency(make, "重庆一环境科技有限公司", score=100)
    second = agency(make, "重庆二环境科技有限公司", score=95)
    indexed()
    assert ids(engine.search("agencies", "环评"))[0] == first.organisation.id
    record, regulator, _ = make.confirmed_record(code="A02", agency_user=first)
    db.session.commit()
    indexed()
    results = engine.search("agencies", "环评")
    assert ids(results) == [second.organisation.id, first.organisation.id]
    can_bid = engine.search("agencies", "环评", can_bid_only=True)
    assert ids(can_bid) == [second.organisation.id]
    blocked = next(h for h in results.hits if h.id == first.organisation.id)
    assert blocked.fields["blocked_until"] > 0


def test_did_you_mean_for_a_misspelt_word(app, make, db, indexed):
    agency(make, "重庆绿源环境科技有限公司")
    indexed()
    results = engine.search("agencies", "环竟影响")
    assert results.total == 0 and results.suggestion == "环境影响"
    assert engine.search("agencies", "环境影响").total == 1


def test_notices_are_searchable_once_published(app, make, db, indexed):
    draft = make.notice(publish=False, title="礼嘉水土保持方案编制服务采购")
    indexed()
    assert engine.search("notices", "水保").total == 0
    from market.procurement import services as procurement

    procurement.publish_notice(draft.created_by, draft)
    indexed()
    results = engine.search("notices", "水保")
    assert ids(results) == [draft.id] and results.facets["state"] == [("published", 1)]
