"""The audit pack (docs/opendata.md "Audit pack"): verify.py, run on its own over packs of
several methods, passes them and names what was tampered with; its definitions agree with the
server's; a sealed notice has no pack, the same refusal whoever quoted; the daily chain heads."""

import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.core import clock
from market.core.audit import canonical, event_hash
from market.core.clock import local_today, to_local
from market.core.models import AuditEvent
from market.extensions import db
from market.opendata import packverify
from market.procurement import services as procurement
from market.procurement.selection import method_for
from market.procurement.selection.draw import seed_inputs, seed_of


def _pack(client, notice) -> bytes:
    response = client.get(f"/notices/{notice.id}/audit-pack.zip")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    return response.get_data()


def _unpack(data: bytes, folder):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def _verify(folder, *args):
    return subprocess.run(
        [sys.executable, "verify.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _edit(folder, name, change):
    path = folder / name
    value = json.loads(path.read_text("utf-8"))
    change(value)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), "utf-8")


def _lowest(make):
    notice, bids = make.opened_notice("lowest", amounts=(80_000_00, 90_000_00, 85_000_00))
    return notice, bids


def _random(make):
    return make.opened_notice("random", amounts=(None, None, None))


def _mean(make):
    return make.opened_notice("mean", amounts=(80_000_00, 90_000_00, 85_000_00, 95_000_00))


def _tied_lowest(make):
    # equal lowest quotes and equal credit: the tie goes to the verifiable draw
    return make.opened_notice(
        "lowest", amounts=(80_000_00, 80_000_00, 90_000_00), credit_scores=(90, 90, 70)
    )


def _credit(make):
    return make.opened_notice("credit", amounts=(None, None, None), credit_scores=(80, 90, 90))


@pytest.mark.parametrize("build", [_lowest, _random, _mean, _tied_lowest, _credit])
def test_verify_py_passes_an_untouched_pack(client, make, tmp_path, build):
    notice, bids = build(make)
    assert notice.selections and notice.selections[0].winner_bid_id is not None
    data = _pack(client, notice)
    assert _pack(client, notice) == data  # deterministic bytes
    folder = _unpack(data, tmp_path)
    names = {p.name for p in folder.iterdir()}
    assert names >= {
        "notice.json",
        "events.json",
        "bids.json",
        "selections.json",
        "decisions.json",
        "ocds-record.json",
        "verify.py",
        "README.txt",
    }
    result = _verify(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    # the winner's plan is public (the notice page shows it): its commitment is recomputed;
    # the others' plans are not, and their commitments are said to be unchecked
    winner = notice.selections[-1].winner_bid_id
    lines = result.stdout.splitlines()
    for bid in bids:
        # (the first line naming it; unchecked ones are listed again in the summary)
        line = next(line for line in lines if f"bid {bid.id} commitment {bid.commitment}:" in line)
        if bid.id == winner:
            assert line.startswith("[通过 ok]"), line
        else:
            assert line.startswith("[未核验 not checked]") and "服务方案不公开" in line
    assert all("FAILED" not in line for line in lines)
    # on the zip itself too
    (tmp_path / "pack.zip").write_bytes(data)
    result = _verify(folder, str(tmp_path / "pack.zip"))
    assert result.returncode == 0 and "all checks passed" in result.stdout
    listed = json.loads((folder / "bids.json").read_text("utf-8"))["bids"]
    assert {b["bid_id"] for b in listed} == {b.id for b in bids}


@pytest.mark.parametrize("field", ["amount_fen", "nonce"])
def test_a_changed_opening_fails_naming_its_commitment(client, make, tmp_path, field):
    notice, bids = _lowest(make)
    folder = _unpack(_pack(client, notice), tmp_path)
    # a nonce counts where the commitment is recomputed: the winner's (its plan is public);
    # an amount anywhere (the losers' openings still state theirs)
    winner = notice.selections[-1].winner_bid_id
    target = next(b for b in bids if (b.id == winner) == (field == "nonce"))

    def change(value):
        (bid,) = [b for b in value["bids"] if b["bid_id"] == target.id]
        if field == "amount_fen":
            bid["opening"]["amount_fen"] += 1
        else:
            nonce = bid["opening"]["nonce"]
            bid["opening"]["nonce"] = ("0" if nonce[0] != "0" else "1") + nonce[1:]

    _edit(folder, "bids.json", change)
    result = _verify(folder)
    assert result.returncode == 1
    assert "all checks passed" not in result.stdout
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    assert any(target.commitment in line for line in failed), result.stdout
    others = [b for b in bids if b.id != target.id]
    assert not any(b.commitment in line for b in others for line in failed)


def test_only_the_winners_plan_is_in_the_pack(client, make, tmp_path):
    from market.procurement import services as procurement

    notice = make.method_notice("lowest")
    plans = {80_000_00: "甲方案：三十日内完成", 90_000_00: "乙方案：四十日内完成"}
    for amount, plan in plans.items():
        bidder = make.agency(items=(notice.item.code,))
        procurement.submit_bid(bidder, notice, amount, plan)
    make.close_bidding(notice)
    folder = _unpack(_pack(client, notice), tmp_path)
    text = "".join(p.read_text("utf-8") for p in folder.iterdir() if p.suffix == ".json")
    assert "甲方案：三十日内完成" in text  # the winner's, shown on the notice page
    assert "乙方案：四十日内完成" not in text


def test_a_changed_amount_of_a_quote_fails_the_rerun(client, make, tmp_path):
    notice, bids = _lowest(make)
    folder = _unpack(_pack(client, notice), tmp_path)

    def change(value):
        for s in value["selections"]:
            for c in s["candidates"]:
                if c["bid_id"] == bids[1].id:
                    c["amount_fen"] = 1

    _edit(folder, "selections.json", change)
    result = _verify(folder)
    assert result.returncode == 1
    assert "round 1" in result.stdout and "FAILED" in result.stdout


def test_a_changed_event_breaks_the_chain(client, make, tmp_path):
    notice, _ = _mean(make)
    folder = _unpack(_pack(client, notice), tmp_path)

    def change(value):
        value["events"][0]["data"]["tampered"] = True

    _edit(folder, "events.json", change)
    result = _verify(folder)
    assert result.returncode == 1
    assert "chain:" in result.stdout and "hash does not match" in result.stdout


def test_a_removed_link_breaks_the_chain(client, make, tmp_path):
    notice, _ = _lowest(make)
    folder = _unpack(_pack(client, notice), tmp_path)
    events = json.loads((folder / "events.json").read_text("utf-8"))
    assert events["between"], "other events lie between the notice's"

    def change(value):
        value["between"].pop(0)

    _edit(folder, "events.json", change)
    result = _verify(folder)
    assert result.returncode == 1 and "prev_hash" in result.stdout


def test_the_segment_walks_to_the_head_and_hides_what_lies_between(client, make, tmp_path):
    notice, _ = _lowest(make)
    folder = _unpack(_pack(client, notice), tmp_path)
    events = json.loads((folder / "events.json").read_text("utf-8"))
    for event in events["events"]:
        stored = db.session.get(AuditEvent, event["id"])
        assert stored.public
        assert event["hash"] == stored.hash == event_hash(event)
        assert json.loads(canonical(event)) == {k: v for k, v in event.items() if k != "hash"}
    for link in events["between"]:
        assert set(link) == {"id", "prev_hash", "hash"}
    ids = sorted([e["id"] for e in events["events"]] + [e["id"] for e in events["between"]])
    assert ids == list(range(ids[0], ids[-1] + 1))
    assert events["head"]["event_id"] == ids[-1]
    # the day is not over: the head is the notice's last event, not yet published
    assert events["head"]["published_day"] is None
    # a day later the same pack links to that day's published head
    day = to_local(notice.selections[0].created_dt).date()
    clock.freeze(clock.utcnow() + timedelta(days=1))
    later = json.loads(zipfile.ZipFile(io.BytesIO(_pack(client, notice))).read("events.json"))
    last = db.session.execute(
        select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one()
    assert later["head"] == {"event_id": last.id, "hash": last.hash, "published_day": str(day)}


def test_the_objector_stays_private(client, make, tmp_path):
    notice, buyer, winner, rival = make.publicity_notice()
    procurement.file_objection(rival, notice, "中选机构业绩造假")
    folder = _unpack(_pack(client, notice), tmp_path)
    events = json.loads((folder / "events.json").read_text("utf-8"))
    assert "objection_filed" not in {e["action"] for e in events["events"]}
    decisions = json.loads((folder / "decisions.json").read_text("utf-8"))
    assert "objection_filed" in {o["action"] for o in decisions["objections"]}
    assert str(rival.id) not in json.dumps(decisions["objections"])
    result = _verify(folder)
    assert result.returncode == 0, result.stdout
    # a direct choice is a person's decision: said so, never claimed as re-run
    assert "not checked" in result.stdout


def test_no_pack_before_the_deadline_whoever_quoted(client, make):
    quiet, busy = make.notice(), make.notice()
    draft = make.notice(publish=False)
    make.bid(make.agency(), busy)
    answers = [client.get(f"/notices/{n.id}/audit-pack.zip") for n in (quiet, busy, draft)]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert answers[0].get_data() == answers[1].get_data()
    assert client.get("/notices/999999/audit-pack.zip").get_data() == answers[0].get_data()
    page = client.get(f"/notices/{busy.id}").get_data(as_text=True)
    assert "audit-pack.zip" not in page


def test_the_notice_and_draw_pages_link_the_pack(client, make):
    notice, _ = _lowest(make)
    for path in (f"/notices/{notice.id}", f"/notices/{notice.id}/draw"):
        page = client.get(path).get_data(as_text=True)
        assert f"/notices/{notice.id}/audit-pack.zip" in page
        assert "下载审计包（可离线核验）" in page


def test_the_script_agrees_with_the_server(make):
    notice, _ = _mean(make)
    for event in db.session.scalars(select(AuditEvent)):
        values = {f: getattr(event, f) for f in packverify.HASHED_FIELDS}
        assert packverify.canonical(values) == canonical(values)
        assert packverify.event_hash(values) == event.hash
    for bid in notice.bids:
        assert packverify.commitment(procurement.commitment_payload(bid)) == bid.commitment
    inputs = seed_inputs(notice.id, 3, notice.draw_salt, [b.commitment for b in notice.bids])
    assert (
        packverify.seed_inputs(notice.id, 3, notice.draw_salt, [b.commitment for b in notice.bids])
        == inputs
    )
    assert packverify.seed_of(inputs) == seed_of(inputs)
    # every registered rule, every version, on the same candidates and seeds
    candidates = [
        {
            "bid_id": i,
            "agency_org_id": 100 + i,
            "agency": f"机构{i}",
            "amount_fen": amount,
            "credit_score": credit,
            "commitment": f"{i:064x}",
            "technical_score": 70 + i,
        }
        for i, (amount, credit) in enumerate(
            [(80_000_00, 90), (80_000_00, 90), (85_000_00, 70), (90_000_00, 90), (95_000_00, 60)],
            start=1,
        )
    ]
    settings = {
        "min_quotes": 5,
        "k_range": ["0.95", "0.98"],
        "min_registrants": 3,
        "weight_price": 40,
        "weight_credit": 20,
        "weight_technical": 40,
        "chosen_bid_id": 2,
    }
    checked = set()
    for key in procurement.method_keys():
        method = method_for(key)
        for algorithm in (method.algorithm, *method.previous):
            if algorithm in packverify.CHOICES:
                continue
            assert algorithm in packverify.RULES, algorithm
            for n in (1, 2, 3, 5):
                for seed in (seed_of({"n": n, "i": i}) for i in range(4)):
                    subset = candidates[:n]
                    server = method.rule_for(algorithm)(subset, seed, settings)
                    script = packverify.RULES[algorithm](subset, seed, settings)
                    assert script == (server.winner_bid_id, server.parameters, server.failure)
            checked.add(algorithm)
    assert checked == set(packverify.RULES)


def test_the_daily_chain_heads(client, make, frozen_clock):
    first = make.notice()
    day_one = local_today()
    clock.freeze(clock.utcnow() + timedelta(days=1))
    make.notice()
    # today is not over: only the first day is published
    page = client.get("/audit/chain-heads").get_data(as_text=True)
    last = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.created_dt < clock.utcnow() - timedelta(hours=12))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).one()
    # hand-checked: the head of a day is the hash of that day's last event
    events_of_day_one = [
        e
        for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        if to_local(e.created_dt).date() == day_one
    ]
    assert events_of_day_one[-1].id == last.id
    month = f"{day_one:%Y-%m}"
    if month != f"{local_today():%Y-%m}":
        page = client.get(f"/audit/chain-heads?month={month}").get_data(as_text=True)
    assert last.hash in page and day_one.isoformat() in page
    newest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert newest.hash not in page
    assert first.id  # the day's events are the notice's
    for bad in ("2026-13", "26-01", "abcd-ef", "1999-12"):
        assert client.get(f"/audit/chain-heads?month={bad}").status_code == 400
    statistics = client.get("/statistics/").get_data(as_text=True)
    assert "/audit/chain-heads" in statistics
