"""Deferred work: collected in a batch, done once at its end; done at once outside one."""

from market.core.batching import batch, defer


def test_outside_a_batch_nothing_is_deferred(app, db):
    assert defer(print, "item") is False


def test_a_batch_runs_each_handler_once_with_all_its_items_in_order(app, db):
    seen = []

    def handler(items):
        seen.append(list(items))
        if "a" in items:
            assert defer(handler, "later")  # deferred from a handler: a later turn

    with batch():
        assert defer(handler, "a") and defer(handler, "b")
        with batch():  # nested: the outer batch runs it
            assert defer(handler, "c") is True
        assert seen == []
    assert seen == [["a", "b", "c"], ["later"]]


def test_an_error_in_the_block_drops_the_deferred_work(app, db):
    seen = []
    try:
        with batch():
            defer(seen.extend, "x")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert seen == []
    assert defer(seen.extend, "y") is False
