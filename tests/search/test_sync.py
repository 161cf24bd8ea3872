"""The durable sync: outbox rows in the change's transaction, removed only after the index
commit; a crash loses nothing; `check` finds stale documents; rebuild equals incremental."""

import os

import pytest
from sqlalchemy import select, update
from whoosh import index
from whoosh.fields import ID, TEXT, Schema

from market.accounts.models import Organisation
from market.agencies.services import agency_of
from market.core import worker
from market.search import documents, engine, sync
from market.search.models import SearchOutbox


def names(kind="agencies", text="环评"):
    return sorted(
        h.fields.get("name") or h.fields.get("title") for h in engine.search(kind, text).hits
    )


def test_a_change_writes_an_outbox_row_in_its_transaction(app, make, db):
    user = make.agency(org_name="重庆绿源环境科技有限公司")
    kinds = {(r.kind, r.doc_id) for r in db.session.scalars(db.select(SearchOutbox))}
    assert ("agencies", user.organisation.id) in kinds
    db.session.rollback()  # the change undone: its outbox rows with it
    left = {(r.kind, r.doc_id) for r in db.session.scalars(db.select(SearchOutbox))}
    assert ("agencies", user.organisation.id) not in left


def test_drained_rows_leave_the_outbox_after_the_index_commit(app, make, db):
    make.agency(org_name="重庆绿源环境科技有限公司")
    assert sync.pending() > 0
    assert sync.drain() > 0
    assert sync.pending() == 0
    assert names() == ["重庆绿源环境科技有限公司"]


def test_a_crash_before_the_index_commit_loses_nothing(app, make, db, monkeypatch):
    make.agency(org_name="重庆绿源环境科技有限公司")
    waiting = sync.pending()

    def crash(kind, ids):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(engine, "write_many", crash)
        with pytest.raises(OSError):
            sync.drain()
    assert sync.pending() == waiting and names() == []
    sync.drain()
    assert sync.pending() == 0 and names() == ["重庆绿源环境科技有限公司"]


def test_a_crash_after_the_index_commit_indexes_again_without_duplicates(
    app, make, db, monkeypatch
):
    make.agency(org_name="重庆绿源环境科技有限公司")
    real_delete = sync.delete

    def crash(*args, **kwargs):
        raise OSError("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr(sync, "delete", crash)
        with pytest.raises(OSError):
            sync.drain()
    assert sync.delete is real_delete
    assert sync.pending() > 0  # the rows stayed
    assert names() == ["重庆绿源环境科技有限公司"]  # the index had committed
    sync.drain()
    assert sync.pending() == 0 and names() == ["重庆绿源环境科技有限公司"]


def test_check_finds_a_stale_document_and_sync_mends_it(app, make, db):
    user = make.agency(org_name="重庆绿源环境科技有限公司")
    sync.drain()
    assert engine.check()["agencies"] == {"missing": [], "stale": [], "extra": []}
    # A change made behind the outbox's back (a bulk SQL update, say):
    orgs = Organisation.__table__
    db.session.execute(
        update(orgs)
        .where(orgs.c.id == user.organisation.id)
        .values(name="重庆青山环境科技有限公司")
    )
    db.session.expire_all()
    report = engine.check()["agencies"]
    assert report["stale"] == [user.organisation.id]
    sync.enqueue("agencies", user.organisation.id)
    sync.drain()
    assert engine.check()["agencies"]["stale"] == []
    assert names() == ["重庆青山环境科技有限公司"]


def test_rebuild_equals_incremental(app, make, db, search_index, monkeypatch):
    for name, score in (("重庆甲环境科技有限公司", 90), ("重庆乙环境科技有限公司", 70)):
        agency_of(make.agency(org_name=name)).credit_score = score
    make.notice(title="礼嘉环境影响评价服务采购")
    for item_id in documents.all_ids("items"):  # the catalogue, loaded before this test
        sync.enqueue("items", item_id)
    sync.drain()
    incremental = {
        kind: sorted((h.id, h.fields.get("digest")) for h in engine.search(kind, "").hits)
        for kind in engine.KINDS
    }
    monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", str(search_index / "rebuilt"))
    counts = engine.rebuild()
    rebuilt = {
        kind: sorted((h.id, h.fields.get("digest")) for h in engine.search(kind, "").hits)
        for kind in engine.KINDS
    }
    assert rebuilt == incremental and counts["agencies"] == 2 and counts["notices"] == 1
    assert engine.check() == {k: {"missing": [], "stale": [], "extra": []} for k in engine.KINDS}


def test_the_cli_rebuilds_with_progress_checks_and_syncs(app, make, db):
    make.agency(org_name="重庆绿源环境科技有限公司")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "索引已重建：agencies 1 条" in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    sync.enqueue("agencies", 999999)  # a document that does not exist: removed, not an error
    assert "已同步 1 条变更" in runner.invoke(args=["search", "sync"]).output


def test_the_worker_indexes_what_was_committed_within_half_a_second(app, make, db):
    make.agency(org_name="重庆绿源环境科技有限公司")
    (task,) = [t for t in worker.tasks(app) if t.name == "search"]
    assert task.every == 0.5
    assert worker.run_task(task) > 0
    assert names() == ["重庆绿源环境科技有限公司"] and sync.pending() == 0
    assert worker.run_task(task) == 0  # nothing waits: the next round does nothing


def test_a_failed_round_keeps_the_rows_for_the_next(app, make, db, monkeypatch):
    make.agency(org_name="重庆绿源环境科技有限公司")
    (task,) = [t for t in worker.tasks(app) if t.name == "search"]
    logged = []
    with monkeypatch.context() as patch:
        patch.setattr(engine, "write_many", lambda kind, ids: (_ for _ in ()).throw(OSError()))
        patch.setattr(db.session, "rollback", lambda: None)  # keep the test's transaction
        patch.setattr(app.logger, "exception", lambda *args: logged.append(args))
        assert worker.run_task(task) == 0
    assert sync.pending() > 0
    assert logged == [("worker task %s failed; retrying next round", "search")]
    assert worker.run_task(task) > 0 and sync.pending() == 0


def test_an_index_left_by_an_older_version_is_rebuilt_by_sync(app, make, db, client):
    user = make.agency(items=("ZJ012",), org_name="重庆绿源环境科技有限公司")
    db.session.commit()
    old = Schema(id=ID(stored=True, unique=True), name=TEXT(stored=True))
    os.makedirs(engine.index_dir("agencies"))
    index.create_in(engine.index_dir("agencies"), old)
    response = client.get("/search?q=环评")
    assert response.status_code == 503 and "搜索索引正在更新" in response.text
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["search", "check"])
    assert checked.exit_code == 1 and "agencies：索引结构已过时" in checked.output
    synced = runner.invoke(args=["search", "sync"])
    assert "索引结构已更新，重建：agencies" in synced.output
    assert [h.id for h in engine.search("agencies", "环评").hits] == [user.organisation.id]
    assert client.get("/search?q=环评").status_code == 200


def test_a_change_is_queued_once_though_a_listener_ran_in_a_savepoint(make, db):
    """Registering an agency runs the profile listener in a savepoint; the savepoint's release
    must not make the outbox forget what this transaction already queued."""
    user = make.agency(org_name="重庆绿源环境科技有限公司")
    doc_ids = db.session.scalars(
        select(SearchOutbox.doc_id).where(SearchOutbox.kind == "agencies")
    ).all()
    assert doc_ids == [user.organisation.id]
