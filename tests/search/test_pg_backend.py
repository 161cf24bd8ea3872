"""The PostgreSQL search backend (market/search/pg.py): the engine's interface with
SEARCH_BACKEND = "postgres", on PostgreSQL (scripts/with-postgres.sh); on SQLite, the one
test that the backend refuses to run there."""

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from market.agencies.models import RATING_DIMENSIONS
from market.agencies.services import agency_of
from market.search import engine, pg

from .test_engine import agency

ON_POSTGRES = "postgresql" in os.environ.get("MARKET_TEST_DATABASE_URL", "")
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="the PostgreSQL search backend needs PostgreSQL (scripts/with-postgres.sh)",
)


@pytest.fixture(autouse=True)
def postgres_backend(app, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", "postgres")


def ids(results):
    return [h.id for h in results.hits]


def org(user):
    return user.organisation.id


@pytest.mark.skipif(ON_POSTGRES, reason="the refusal is seen on another database")
def test_a_database_other_than_postgresql_is_refused_plainly(app):
    with pytest.raises(RuntimeError, match='SEARCH_BACKEND = "postgres" needs a PostgreSQL'):
        engine.search("agencies", "环评")
    with pytest.raises(RuntimeError, match="needs a PostgreSQL database"):
        engine.write_many("agencies", [1])


@needs_postgres
def test_abbreviations_synonyms_and_pinyin_initials(app, make, db, indexed):
    env = agency(make, "重庆绿源环境科技有限公司", items=("ZJ012",))
    survey = agency(make, "重庆精准测绘有限公司", items=("ZJ018",))
    assert engine.rebuild(["items"])["items"] > 0  # the catalogue was loaded before the test
    indexed()
    assert ids(engine.search("agencies", "环评")) == [org(env)]  # 环境影响评价
    assert ids(engine.search("agencies", "环境影响报告")) == [org(env)]  # another synonym
    assert ids(engine.search("agencies", "测绘")) == [org(survey)]
    assert engine.search("items", "水保").hits[0].fields["name"] == "水土保持方案报告书编制"
    assert ids(engine.search("agencies", "hp")) == [org(env)]  # pinyin initials of 环评
    assert ids(engine.search("agencies", "HP")) == [org(env)]
    assert engine.search("agencies", "xyzq").total == 0


@needs_postgres
def test_relevance_is_whooshs_bm25f(app, make, db, indexed, monkeypatch):
    """On the same documents, queries score as the Whoosh engine scores them: single words,
    and groups of synonyms (the best word, the group's idf)."""
    for name, items in (
        ("重庆绿源环境科技有限公司", ("ZJ012",)),
        ("重庆精准测绘有限公司", ("ZJ018", "ZJ029")),
        ("重庆环境测绘科技有限公司", ("ZJ012", "ZJ018")),
        ("四川科技咨询有限公司", ("ZJ001",)),
        ("重庆蓝海环评咨询有限公司", ("ZJ013", "ZJ017")),  # 环评; 环境影响报告书
        ("重庆环境影响评价中心", ("ZJ012", "ZJ013")),
    ):
        agency(make, name, items=items)
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", "whoosh")
    engine.rebuild(["agencies"])
    queries = ("科技", "重庆", "测量", "重庆 科技", "hp", "环评", "环境影响评价", "环评 测绘")
    whoosh = {q: [(h.id, h.score) for h in engine.search("agencies", q).hits] for q in queries}
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", "postgres")
    engine.rebuild(["agencies"])
    for q in queries:
        ours = [(h.id, h.score) for h in engine.search("agencies", q).hits]
        assert [i for i, _ in ours] == [i for i, _ in whoosh[q]], q
        # (Whoosh keeps term weights and lengths in 32 bits)
        assert [s for _, s in ours] == pytest.approx([s for _, s in whoosh[q]], rel=1e-6), q


@needs_postgres
def test_a_group_counts_its_best_word_not_the_sum_of_its_synonyms(app, make, db, indexed):
    """环评 is a group: 环评 | 环境影响评价 | 环境影响报告. An agency whose text has two of its
    words scores the better of the two (each summed over its fields), not both."""
    both = agency(make, "重庆环评咨询有限公司", items=("ZJ012",))  # 环评; 环境影响评价
    agency(make, "重庆精准测绘有限公司", items=("ZJ018",))
    indexed()
    (hit,) = engine.search("agencies", "环评").hits
    alone = _word_scores("环评", org(both))
    assert alone == pytest.approx({"环评": 3.0, "环境影响评价": 3.3198806168})
    assert hit.score == pytest.approx(max(alone.values()))


def _word_scores(query, doc_id):
    """Each word of the query's first group, as a group of its own: its score for the
    document (its BM25F summed over the fields), if it matches."""
    groups, _, _ = engine.query_terms("agencies", query)
    cursor = pg._cursor()
    _, count, lengths, _ = pg._stats(cursor, "agencies")
    scores = {}
    for word in dict.fromkeys(w for _, w, _ in groups[0]):
        single = [[term for term in groups[0] if term[1] == word]]
        found = pg._query(cursor, "agencies", single, None, count, lengths)
        if not found.words:
            continue
        cursor.execute(
            f"WITH {pg._matches_sql(found)} SELECT relevance FROM matched WHERE doc_id = %(doc)s",
            {**pg._query_params("agencies", found), "doc": doc_id},
        )
        row = cursor.fetchone()
        if row:
            scores[word] = row[0]
    return scores


@needs_postgres
@pytest.mark.parametrize("hash_from", [0.0, 2.0], ids=["hashed", "looked-up"])
def test_facets_count_the_matches_under_the_filters(app, make, db, indexed, hash_from, monkeypatch):
    monkeypatch.setattr(pg, "HASH_FROM", hash_from)  # both ways of joining the documents
    agency(make, "重庆甲环境科技有限公司", region="重庆市渝北区")
    both = agency(make, "重庆乙环境测绘有限公司", items=("ZJ012", "ZJ018"), region="重庆市渝北区")
    west = agency(make, "成都丙环境科技有限公司", region="四川省成都市", score=85)
    indexed()
    results = engine.search("agencies", "环评")
    assert results.total == 3
    assert results.facets == {
        "category": [("环境影响评价", 3), ("测绘", 1)],
        "region": [("重庆市渝北区", 2), ("四川省成都市", 1)],
        "grade": [("A", 2), ("B", 1)],
    }
    narrowed = engine.search("agencies", "环评", filters={"region": "四川省成都市"})
    assert ids(narrowed) == [org(west)] and narrowed.total == 1
    assert narrowed.facets["region"] == [("四川省成都市", 1)]
    by_category = engine.search("agencies", "环评", filters={"category": "测绘"})
    assert ids(by_category) == [org(both)]
    assert by_category.facets["category"] == [("测绘", 1), ("环境影响评价", 1)]
    by_grade = engine.search("agencies", "环评", filters={"grade": "B", "state": "ignored"})
    assert ids(by_grade) == [org(west)]
    assert engine.search("agencies", "环评", filters={"region": "北京市"}).total == 0


@needs_postgres
def test_only_agencies_that_may_bid_and_when_that_changes(app, make, db, indexed):
    first = agency(make, "重庆一环境科技有限公司", score=100)
    second = agency(make, "重庆二环境科技有限公司", score=95)
    indexed()
    assert ids(engine.search("agencies", "环评")) == [org(first), org(second)]
    assert engine.search("agencies", "环评").changes_at is None
    agency_of(first).suspended_until = datetime(2027, 2, 22, 2, 0, tzinfo=UTC)
    db.session.commit()
    indexed()
    results = engine.search("agencies", "环评")
    assert ids(results) == [org(first), org(second)]  # listed, and marked
    assert results.hits[0].fields["blocked_until"] == 1_803_261_600
    assert results.changes_at == datetime(2027, 2, 22, 2, 0, tzinfo=UTC)
    assert ids(engine.search("agencies", "环评", can_bid_only=True)) == [org(second)]
    assert engine.search("agencies", "环评", can_bid_only=True).total == 1


@needs_postgres
@pytest.mark.parametrize("hash_from", [0.0, 2.0], ids=["hashed", "looked-up"])
def test_credit_overtakes_a_slightly_more_relevant_agency(
    app, make, db, indexed, hash_from, monkeypatch
):
    """测量 scores the surveyor 4.1298 and the other 3.7816 (9 % apart): a credit factor of
    0.9 against 1.0 turns the order, 0.95 does not."""
    monkeypatch.setattr(pg, "HASH_FROM", hash_from)
    surveyor = agency(make, "重庆精准测绘有限公司", items=("ZJ018", "ZJ029"), score=80)
    other = agency(make, "重庆环境测绘科技有限公司", items=("ZJ012", "ZJ018"), score=100)
    agency(make, "重庆绿源环境科技有限公司", items=("ZJ012",))
    agency(make, "四川科技咨询有限公司", items=("ZJ001",))
    indexed()
    results = engine.search("agencies", "测量")
    assert ids(results) == [org(other), org(surveyor)]
    assert [h.score for h in results.hits] == pytest.approx([3.7816237, 4.1298039])
    assert [h.blended for h in results.hits] == pytest.approx([3.7816237, 0.9 * 4.1298039])
    for hit in results.hits:
        assert hit.blended == engine.blend(hit.score, hit.fields["credit_factor"])
    agency_of(surveyor).credit_score = 90
    db.session.commit()
    indexed()
    assert ids(engine.search("agencies", "测量")) == [org(surveyor), org(other)]


@needs_postgres
def test_equal_blends_go_to_the_higher_credit_then_the_smaller_id(app, make, db, indexed):
    low = agency(make, "重庆一环境科技有限公司", score=60)
    high = agency(make, "重庆二环境科技有限公司", score=95)
    mid = agency(make, "重庆三环境科技有限公司", score=80)
    twin = agency(make, "重庆四环境科技有限公司", score=95)
    indexed()
    assert ids(engine.search("agencies", "环评")) == [org(high), org(twin), org(mid), org(low)]


@needs_postgres
def test_sorts_and_no_words_lists_the_newest(app, make, db, indexed, frozen_clock):
    made = []
    for n, (score, rating) in enumerate(((70, 5), (95, 3), (85, 4))):
        user = agency(make, f"重庆{'甲乙丙'[n]}环境科技有限公司", score=score)
        profile = agency_of(user)
        profile.rating_count = 1
        for dimension in RATING_DIMENSIONS:
            setattr(profile, f"rating_{dimension}", rating)
        made.append(org(user))
        frozen_clock.advance(days=1)
    db.session.commit()
    indexed()
    a, b, c = made
    assert ids(engine.search("agencies", "环评", sort="credit")) == [b, c, a]
    assert ids(engine.search("agencies", "环评", sort="rating")) == [a, c, b]
    assert ids(engine.search("agencies", "环评", sort="newest")) == [c, b, a]
    assert ids(engine.search("agencies", "")) == [c, b, a]  # no words: the newest first
    assert ids(engine.search("agencies", "", sort="relevance")) == [c, b, a]
    assert ids(engine.search("agencies", "环评", sort="nonsense")) == [b, c, a]
    everything = engine.search("agencies", "   ")
    assert everything.total == 3 and everything.words == []
    assert [h.score for h in everything.hits] == [0.0, 0.0, 0.0]


@needs_postgres
def test_pages(app, make, db, indexed):
    made = [org(agency(make, f"重庆{n}号环境科技有限公司", score=100 - n)) for n in range(5)]
    indexed()
    first = engine.search("agencies", "环评", per_page=2)
    assert (first.total, first.page, first.pages) == (5, 1, 3)
    assert ids(first) == made[:2]
    assert ids(engine.search("agencies", "环评", page=2, per_page=2)) == made[2:4]
    last = engine.search("agencies", "环评", page=3, per_page=2)
    assert ids(last) == made[4:] and last.page == 3
    assert ids(engine.search("agencies", "环评", page=4, per_page=2)) == []
    assert engine.search("agencies", "环评", page=0, per_page=2).page == 1
    assert engine.search("agencies", "无此词汇甲乙").pages == 1


@needs_postgres
def test_deleting_and_indexing_one_document(app, make, db, indexed):
    user = agency(make, "重庆绿源环境科技有限公司")
    other = agency(make, "重庆青山环境科技有限公司")
    indexed()
    before = engine.version("agencies")
    engine.delete_document("agencies", org(user))
    assert engine.version("agencies") > before
    assert ids(engine.search("agencies", "环评")) == [org(other)]
    assert engine.search("agencies", "绿源").total == 0
    assert engine.health() == {"documents": {"agencies": 1, "notices": 0, "items": 0}}
    assert engine.index_document("agencies", org(user)) is True
    assert ids(engine.search("agencies", "绿源")) == [org(user)]
    assert engine.index_document("agencies", 999_999) is False  # not an agency: nothing
    assert engine.check(["agencies"])["agencies"] == {"missing": [], "stale": [], "extra": []}
    # the statistics follow the writes: the same as a rebuild counts them
    cursor = pg._cursor()
    cursor.execute("SELECT field, term, df, cf FROM search_terms ORDER BY 1, 2")
    incremental = cursor.fetchall()
    stats = pg._stats(cursor, "agencies")[1:3]
    engine.rebuild(["agencies"])
    cursor.execute("SELECT field, term, df, cf FROM search_terms ORDER BY 1, 2")
    assert cursor.fetchall() == incremental
    assert pg._stats(cursor, "agencies")[1:3] == stats


@needs_postgres
def test_a_drained_change_is_searchable_and_raises_the_version(app, make, db, indexed):
    user = agency(make, "重庆绿源环境科技有限公司")
    indexed()
    version = engine.version("agencies")
    user.organisation.name = "重庆翡翠鸟环境科技有限公司"
    db.session.commit()
    assert engine.search("agencies", "翡翠鸟").total == 0  # not before the drain
    assert indexed() == 1
    assert ids(engine.search("agencies", "翡翠鸟")) == [org(user)]
    assert engine.search("agencies", "绿源").total == 0
    assert engine.version("agencies") > version
    notice = make.notice(title="礼嘉水土保持方案编制服务采购")
    indexed()
    found = engine.search("notices", "水保")
    assert ids(found) == [notice.id] and found.facets["state"] == [("published", 1)]
    assert found.hits[0].fields["created"] == notice.published_dt.replace(tzinfo=None)


@needs_postgres
def test_check_finds_missing_stale_and_extra_documents(app, make, db, indexed):
    kept = agency(make, "重庆甲环境科技有限公司")
    changed = agency(make, "重庆乙环境科技有限公司")
    indexed()
    missing = agency(make, "重庆丙环境科技有限公司")  # written, not drained
    db.session.execute(
        text("UPDATE search_documents SET digest = 'old' WHERE doc_id = :id"),
        {"id": org(changed)},
    )
    db.session.execute(
        text(
            "INSERT INTO search_documents (kind, doc_id, region, grade, state, categories,"
            " score, credit_factor, rating, blocked_until, digest)"
            " VALUES ('agencies', 999999, '', '', '', '{}', 0, 1, 0, 0, 'gone')"
        )
    )
    report = engine.check(["agencies"])
    assert report == {
        "agencies": {"missing": [org(missing)], "stale": [org(changed)], "extra": [999999]}
    }
    assert org(kept) not in sum(report["agencies"].values(), [])


@needs_postgres
def test_another_format_is_outdated_until_rebuilt(app, make, db, indexed):
    agency(make, "重庆甲环境科技有限公司")
    indexed()
    assert engine.outdated() == []
    db.session.execute(text("UPDATE search_kinds SET format = 1 WHERE kind = 'agencies'"))
    assert engine.outdated() == ["agencies"]
    assert engine.check(["agencies"])["agencies"]["outdated"] is True
    with pytest.raises(engine.IndexOutdated):
        engine.search("agencies", "环评")
    with pytest.raises(engine.IndexOutdated):
        engine.write_many("agencies", [1])
    engine.rebuild(["agencies"])
    assert engine.outdated() == [] and engine.search("agencies", "环评").total == 1


@needs_postgres
def test_did_you_mean(app, make, db, indexed):
    agency(make, "重庆绿源环境科技有限公司")
    indexed()
    results = engine.search("agencies", "环竟影响")
    assert results.total == 0 and results.suggestion == "环境影响"
    assert engine.search("agencies", "环境影响").total == 1
    assert engine.search("agencies", "绿园").suggestion == "绿源"
    assert engine.search("agencies", "齉龘").suggestion is None  # nothing close


@needs_postgres
def test_highlights_mark_the_matched_words(app, make, db, indexed):
    user = agency(make, "重庆绿源环境科技有限公司")
    indexed()
    (hit,) = engine.search("agencies", "环评").hits
    assert hit.id == org(user)
    assert str(hit.highlights["items"]) == (
        'ZJ012 <mark class="hl">环境影响评价</mark>报告书（表）编制'
    )
    assert "name" not in hit.highlights
    (hit,) = engine.search("agencies", "绿源").hits
    assert str(hit.highlights["name"]) == '重庆<mark class="hl">绿源</mark>环境科技有限公司'


@needs_postgres
def test_concurrent_drains_take_turns_and_keep_the_statistics_exact(
    app, make, committed, monkeypatch
):
    """Two workers drain at once with real commits: the second one's write waits for the
    first's transaction (the kind's row), then both changes are in, counted once."""
    import threading

    from market.extensions import db as _db
    from market.search import sync

    users = [agency(make, f"重庆{'甲乙丙丁'[n]}环境科技有限公司") for n in range(4)]
    _db.session.commit()
    first_wrote, first_may_go = threading.Event(), threading.Event()
    real_write_many = engine.write_many
    results = {}

    def write_many(kind, ids):
        done = real_write_many(kind, ids)
        if threading.current_thread().name == "first":  # holds the kind's row, uncommitted
            first_wrote.set()
            assert first_may_go.wait(30)
        return done

    monkeypatch.setattr(engine, "write_many", write_many)

    def worker(name):
        with app.app_context():
            try:
                results[name] = sync.drain(2)
            finally:
                _db.session.close()

    first = threading.Thread(target=worker, args=("first",), name="first", daemon=True)
    first.start()
    assert first_wrote.wait(30)
    second = threading.Thread(target=worker, args=("second",), name="second", daemon=True)
    second.start()
    second.join(1.0)
    assert second.is_alive()  # waiting for the first's transaction
    first_may_go.set()
    first.join(30)
    second.join(30)
    assert results == {"first": 2, "second": 2}
    _db.session.rollback()
    results_now = engine.search("agencies", "环评")
    assert sorted(ids(results_now)) == sorted(org(u) for u in users)
    assert engine.check(["agencies"])["agencies"] == {"missing": [], "stale": [], "extra": []}
    cursor = pg._cursor()
    cursor.execute("SELECT field, term, df, cf FROM search_terms ORDER BY 1, 2")
    drained = cursor.fetchall()
    stats = pg._stats(cursor, "agencies")[1:3]
    engine.rebuild(["agencies"])
    cursor.execute("SELECT field, term, df, cf FROM search_terms ORDER BY 1, 2")
    assert cursor.fetchall() == drained and pg._stats(cursor, "agencies")[1:3] == stats
    _db.session.rollback()
