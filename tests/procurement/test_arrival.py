"""A quote counts by when the platform received it (以平台服务器接收时间为准), not by when a
busy platform got round to processing it; the bidding closes 10 seconds after the deadline,
once such quotes are stored."""

from datetime import UTC, datetime, timedelta

import pytest

from market import create_app
from market.core import clock
from market.core.arrival import ENVIRON_KEY, SERVER_STAMP_KEY, ArrivalStamp
from market.core.errors import ServiceError
from market.procurement import services
from market.procurement.runner import apply_due


@pytest.fixture(autouse=True)
def real_grace(app, monkeypatch):
    """The site's grace (the suite's own is 0: its tests set the clock to a deadline)."""
    monkeypatch.setitem(app.config, "QUOTE_GRACE_SECONDS", 10)


def test_the_site_closes_the_bidding_10_seconds_after_the_deadline(tmp_path):
    site = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "x"}
    )
    assert site.config["QUOTE_GRACE_SECONDS"] == 10


def test_a_quote_received_just_before_the_deadline_counts_though_processed_after(
    make, frozen_clock
):
    notice = make.notice()
    agency = make.agency()
    received = notice.deadline_dt - timedelta(milliseconds=1)
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=3))  # the platform was busy
    bid = services.submit_bid(agency, notice, 80_000_00, "方案", received=received)
    assert bid.status == "submitted"
    assert bid.submitted_dt == received
    assert notice.state == "published"


def test_a_quote_received_at_the_deadline_is_refused_naming_both_times(make, frozen_clock, db):
    notice = make.notice()
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=1))
    deadline = clock.to_local(notice.deadline_dt).strftime("%Y-%m-%d %H:%M:%S")
    with pytest.raises(ServiceError) as refused:
        services.submit_bid(make.agency(), notice, 80_000_00, "方案", received=notice.deadline_dt)
    assert refused.value.message == (
        f"该公告已截止报价（截止时间 {deadline}，平台收到本次提交的时间 {deadline}，"
        "以平台服务器接收时间为准），本次报价未被接受"
    )
    assert notice.bids == []


def test_the_bidding_closes_10_seconds_after_the_deadline_and_at_the_deadline(make, frozen_clock):
    notice = make.notice()
    make.bid(make.agency(), notice)
    make.bid(make.agency(), notice, 70_000_00)
    make.bid(make.agency(), notice, 75_000_00)
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=9))
    apply_due(notice)
    assert notice.state == "published"
    late = notice.deadline_dt - timedelta(milliseconds=500)
    services.submit_bid(make.agency(), notice, 72_000_00, "方案", received=late)
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=10))
    apply_due(notice)
    assert notice.state not in ("published",)
    assert len(notice.bids) == 4
    assert notice.state_changed_dt == notice.deadline_dt


def test_a_retry_of_a_stored_quote_after_the_deadline_is_told_it_counts(make, frozen_clock):
    notice = make.notice()
    agency = make.agency()
    received = notice.deadline_dt - timedelta(seconds=2)
    services.submit_bid(agency, notice, 80_000_00, "方案", received=received)
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=1))
    with pytest.raises(ServiceError) as retried:
        services.submit_bid(agency, notice, 80_000_00, "方案")
    shown = clock.to_local(received).strftime("%Y-%m-%d %H:%M:%S")
    assert f"平台于 {shown} 收到，报价有效" in retried.value.message
    assert len(notice.bids) == 1


def test_the_quoting_box_goes_at_the_deadline_though_the_bidding_closes_later(
    client, auth, make, frozen_clock
):
    notice = make.notice()
    agency = make.agency()
    auth.login(agency)
    form = f'action="/notices/{notice.id}/bid"'
    frozen_clock.set(notice.deadline_dt - timedelta(seconds=1))
    assert form in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=1))
    assert form not in client.get(f"/notices/{notice.id}").get_data(as_text=True)


def test_a_quote_through_the_site_is_stamped_as_it_arrives(client, auth, make, db):
    notice = make.notice()
    agency = make.agency()
    auth.login(agency)
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "80000", "plan": "方案"})
    assert response.status_code == 302
    (bid,) = notice.bids
    assert bid.submitted_dt == clock.utcnow()


# --- the stamp ------------------------------------------------------------------------------


def stamp(headers=None, trust_proxy=False, server=None):
    """What the middleware stamps on a request with these headers (and the moment the server
    says it could first read the request)."""
    seen = {}

    def inner(environ, start_response):
        seen["at"] = environ[ENVIRON_KEY]
        return []

    environ = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    if server is not None:
        environ[SERVER_STAMP_KEY] = server
    ArrivalStamp(inner, trust_proxy=trust_proxy, skew_seconds=5)(environ, lambda *a: None)
    return seen["at"]


def test_the_stamp_is_the_clock_at_arrival(frozen_clock):
    assert stamp() == frozen_clock.now


def test_the_servers_earlier_moment_is_used_when_the_request_waited_for_a_thread(frozen_clock):
    waited = frozen_clock.now - timedelta(milliseconds=800)
    assert stamp(server=waited) == waited
    # A moment after now cannot be the arrival.
    assert stamp(server=frozen_clock.now + timedelta(seconds=1)) == frozen_clock.now


def test_the_gunicorn_worker_hands_the_readable_moment_to_the_application(frozen_clock):
    from market.core import serving

    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    worker = serving.ArrivalThreadWorker.__new__(serving.ArrivalThreadWorker)
    worker.wsgi = app
    worker.app = type("Loaded", (), {"wsgi": lambda self: app})()
    worker.load_wsgi()
    readable = frozen_clock.now - timedelta(seconds=2)
    serving._handling.readable_at = readable
    try:
        worker.wsgi({}, lambda *a: None)
    finally:
        serving._handling.readable_at = None
    assert seen[SERVER_STAMP_KEY] == readable


def test_a_trusted_proxys_request_start_is_used_and_an_untrusted_one_ignored(frozen_clock):
    two_seconds_ago = frozen_clock.now - timedelta(seconds=2)
    header = {"X-Request-Start": f"t={two_seconds_ago.timestamp():.3f}"}
    assert stamp(header, trust_proxy=True) == two_seconds_ago
    assert stamp(header, trust_proxy=False) == frozen_clock.now


@pytest.mark.parametrize(
    "value",
    ["t=1", "1797000000", "t=abc", "t=1797000000.1234567", "t=99999999999", ""],
)
def test_a_malformed_or_far_off_proxy_time_is_ignored(frozen_clock, value):
    assert stamp({"X-Request-Start": value}, trust_proxy=True) == frozen_clock.now


def test_a_proxy_time_a_minute_off_is_ignored(frozen_clock):
    for offset in (-60, 60):
        moment = frozen_clock.now + timedelta(seconds=offset)
        assert stamp({"X-Request-Start": f"t={moment.timestamp()}"}, True) == frozen_clock.now
    assert datetime(2026, 11, 24, 2, 0, tzinfo=UTC) == frozen_clock.now


# --- the database drops the connection --------------------------------------------------------


def test_a_quote_whose_connection_drops_is_stored_once_with_its_arrival_time(
    client, auth, make, db, monkeypatch, committed
):
    from sqlalchemy.exc import OperationalError

    from market.procurement import bid_views
    from market.procurement.models import Bid

    notice = make.notice()
    agency = make.agency()
    db.session.commit()
    notice_id = notice.id
    auth.login(agency)
    real, calls = services.submit_bid, []

    def dropping(*args, **kwargs):
        calls.append(kwargs["received"])
        if len(calls) == 1:
            raise OperationalError(
                "INSERT", {}, Exception("server closed the connection"), connection_invalidated=True
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(bid_views.services, "submit_bid", dropping)
    response = client.post(f"/notices/{notice_id}/bid", data={"amount": "80000", "plan": "方案"})
    assert response.status_code == 302
    assert len(calls) == 2 and calls[0] == calls[1] == clock.utcnow()
    db.session.expire_all()
    assert db.session.query(Bid).filter_by(notice_id=notice_id).count() == 1


def test_another_database_error_is_not_tried_again(client, auth, make, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from market.procurement import bid_views

    notice = make.notice()
    auth.login(make.agency())
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(bid_views.services, "submit_bid", failing)
    with pytest.raises(IntegrityError):  # a server error, once (the suite propagates it)
        client.post(f"/notices/{notice.id}/bid", data={"amount": "80000", "plan": "方案"})
    assert calls == [1]


def test_the_kernel_tells_when_the_request_reached_the_machine():
    """The gunicorn worker peeks at a request's first byte for the time the kernel received
    it: a worker that reads the request late still gets the moment it arrived."""
    import select
    import socket
    from datetime import UTC, datetime

    from market.core import serving

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert serving.ask_for_timestamps(listener)
        # The kernel turns its receive stamps on shortly after the first socket asks (a
        # worker's listening sockets ask for their whole life): the first connections may
        # come unstamped, and the worker then uses the moment it saw them readable.
        for _ in range(100):
            with socket.create_connection(listener.getsockname()) as client:
                sent_from = datetime.now(UTC)
                client.sendall(b"POST /notices/1/bid HTTP/1.1\r\nHost: x\r\n\r\n")
                sent_by = datetime.now(UTC)
                conn, _ = listener.accept()
                with conn:
                    assert select.select([conn], [], [], 5)[0]
                    read_at = datetime.now(UTC)
                    stamped = serving.kernel_arrival(conn)
                    if stamped is None:
                        continue
                    assert sent_from - timedelta(milliseconds=1) <= stamped <= sent_by
                    assert stamped <= read_at
                    # Only peeked: gunicorn still reads the whole request.
                    assert conn.recv(100).startswith(b"POST /notices/1/bid")
                    return
    pytest.fail("the kernel never stamped a request")


def test_a_socket_without_kernel_timestamps_gives_none():
    import socket

    from market.core import serving

    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert serving.kernel_arrival(right) is None


# --- a quote whose request died before it answered ----------------------------------------


def _quoting(app, make):
    from .selection_web import login

    notice, agency = make.notice(ceiling_fen=100_000_00), make.agency()
    return notice, login(app, agency), f"/notices/{notice.id}/bid"


def test_a_quote_sent_again_after_its_request_died_keeps_the_first_arrival(
    app, make, frozen_clock, monkeypatch
):
    notice, client, path = _quoting(app, make)
    first = notice.deadline_dt - timedelta(seconds=1)
    frozen_clock.set(first)
    with monkeypatch.context() as dying:

        def killed(*args, **kwargs):
            raise SystemExit("the worker process was killed")

        dying.setattr(services, "submit_bid", killed)
        with pytest.raises(SystemExit):
            client.post(path, data={"amount": "80000", "plan": "方案"})
    assert notice.bids == []

    frozen_clock.set(notice.deadline_dt + timedelta(seconds=2))  # sent again, after it
    other = client.post(path, data={"amount": "79000", "plan": "方案"})
    assert other.status_code == 422  # another quote: it arrived now, too late
    assert "已截止报价" in other.get_data(as_text=True)
    again = client.post(path, data={"amount": "80000", "plan": "方案"})
    assert again.status_code == 302
    assert [(b.amount_fen, b.submitted_dt) for b in notice.bids] == [(80_000_00, first)]


def test_a_refused_quote_does_not_lend_its_time_to_the_same_quote_later(app, make, frozen_clock):
    notice, client, path = _quoting(app, make)
    frozen_clock.set(notice.deadline_dt - timedelta(seconds=30))
    over = {"amount": "100000.01", "plan": "方案"}
    refused = client.post(path, data=over)
    assert "不得高于最高限价" in refused.get_data(as_text=True)
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=2))
    late = client.post(path, data=over)
    assert late.status_code == 422 and "已截止报价" in late.get_data(as_text=True)
    assert notice.bids == []


def test_the_worker_deletes_journals_untouched_for_two_days(app, tmp_path, monkeypatch):
    import os
    import time

    from market.procurement import arrivals

    monkeypatch.setitem(app.config, "ARRIVAL_JOURNAL_FOLDER", str(tmp_path))
    now = time.time()
    for name, age_hours in (("notice-1-a.jsonl", 49), ("notice-2-a.jsonl", 47)):
        (tmp_path / name).write_text("{}\n")
        os.utime(tmp_path / name, (now - age_hours * 3600,) * 2)
    assert arrivals.purge(now) == 1
    assert sorted(os.listdir(tmp_path)) == ["notice-2-a.jsonl"]


def test_a_journal_another_worker_deleted_meanwhile_is_skipped(app, tmp_path, monkeypatch):
    import os
    import time

    from market.procurement import arrivals

    monkeypatch.setitem(app.config, "ARRIVAL_JOURNAL_FOLDER", str(tmp_path))
    now = time.time()
    (tmp_path / "notice-1.jsonl").write_text("{}\n")
    os.utime(tmp_path / "notice-1.jsonl", (now - 49 * 3600,) * 2)
    listed = os.listdir
    # Listed, then deleted by another worker's purge before this one reads its age.
    monkeypatch.setattr(arrivals.os, "listdir", lambda path: [*listed(path), "notice-7.jsonl"])
    assert arrivals.purge(now) == 1
    assert listed(tmp_path) == []


def _journal_of_quotes(app, tmp_path, monkeypatch, count):
    from market.procurement import arrivals

    monkeypatch.setitem(app.config, "ARRIVAL_JOURNAL_FOLDER", str(tmp_path))
    moment = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    digests = [f"{i:064x}"[::-1] for i in range(count)]  # first hex digits 0-f in turn
    with app.test_request_context():
        for i, digest in enumerate(digests):
            arrivals.arrived(7, digest, moment + timedelta(milliseconds=i))
            if i % 2:
                arrivals.answered(7, digest)
    return arrivals, moment, digests


def test_a_notices_journal_is_spread_over_16_files_each_holding_its_own_digests(
    app, tmp_path, monkeypatch
):
    _journal_of_quotes(app, tmp_path, monkeypatch, 200)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 16
    assert names[0] == "notice-7-0.jsonl" and names[-1] == "notice-7-f.jsonl"
    for path in tmp_path.iterdir():
        bucket = path.name[-7]
        lines = path.read_text().splitlines()
        assert lines and all(
            f'"digest":"{bucket}' in line or f'"answered":"{bucket}' in line for line in lines
        )


def test_among_200_quotes_each_unanswered_one_lends_only_its_own_arrival(
    app, tmp_path, monkeypatch
):
    arrivals, moment, digests = _journal_of_quotes(app, tmp_path, monkeypatch, 200)
    with app.test_request_context():
        # Quote 4 died unanswered: sent again, it takes its first arrival, 4 ms in.
        assert arrivals.unanswered_since(7, digests[4], "again") == moment + timedelta(
            milliseconds=4
        )
        assert arrivals.unanswered_since(7, digests[5], "again") is None  # answered
        assert arrivals.unanswered_since(7, "e" * 64, "again") is None  # never arrived


def test_a_journal_line_still_being_written_is_skipped(app, tmp_path, monkeypatch):
    arrivals, moment, digests = _journal_of_quotes(app, tmp_path, monkeypatch, 1)
    with open(tmp_path / "notice-7-0.jsonl", "ab") as fh:
        fh.write(f'{{"arrived":"x","digest":"{digests[0]}","at":"2026-12'.encode())
    with app.test_request_context():
        assert arrivals.unanswered_since(7, digests[0], "again") == moment
