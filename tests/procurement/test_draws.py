"""Verifiable draws: the seed from data fixed before the draw, the re-run of every method,
the public draw page, `flask market verify-draw`, and the share decided by lottery."""

import hashlib
import json

import pytest
from sqlalchemy import update

from market.procurement import services
from market.procurement.models import Bid, Selection

from .selection_web import text


def _seed(notice_id, round_, salt, commitments):
    inputs = {
        "notice_id": notice_id,
        "round": round_,
        "draw_salt": salt,
        "commitments": sorted(commitments),
    }
    return hashlib.sha256(
        json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def test_the_seed_is_sha256_over_notice_round_salt_and_sorted_commitments(make):
    notice, bids = make.opened_notice("random", (None, None, None))
    selection = notice.selections[0]
    assert notice.draw_salt and len(notice.draw_salt) == 32  # published with the notice
    assert selection.seed == _seed(notice.id, 1, notice.draw_salt, [b.commitment for b in bids])
    assert selection.seed_inputs["commitments"] == sorted(b.commitment for b in bids)


AMOUNTS = {
    "direct": (60_000_00, 70_000_00),
    "random": (None, None, None),
    "lowest": (60_000_00, 60_000_00, 70_000_00),  # a tie: drawn
    "mean": (95_000_00, 91_000_00, 88_000_00, 85_000_00, 60_000_00),
    "scored": (60_000_00, 70_000_00),
    "credit": (None, None, None),
}


def _decided(make, method):
    notice, bids = make.opened_notice(method, AMOUNTS[method], credit_scores=(90, 90, 80, 70, 60))
    if method == "direct":
        services.select_bid(notice.created_by, notice, bids[1].id, "业绩更好")
    if method == "scored":
        services.score_bids(notice.created_by, notice, {bids[0].id: 70, bids[1].id: 90})
    return notice, bids


@pytest.mark.parametrize("method", sorted(AMOUNTS))
def test_every_method_re_runs_to_the_same_result(make, method):
    notice, bids = _decided(make, method)
    (selection,) = notice.selections
    check = services.verify_selection(selection)
    assert check.ok, check.problems
    assert check.seed == selection.seed
    assert check.rerun.winner_bid_id == selection.winner_bid_id == notice.selected_bid.id


def test_a_tie_break_draw_is_published_and_re_runs(make):
    notice, (a, b, c) = _decided(make, "lowest")
    draw = notice.selections[0].parameters["draw"]
    assert draw["among"] == [a.id, b.id] and notice.selected_bid in (a, b)
    assert services.verify_selection(notice.selections[0]).ok


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda n, s: setattr(n, "draw_salt", "0" * 32), "随机种子与公布的不一致"),
        (lambda n, s: setattr(s, "winner_bid_id", s.candidates[0]["bid_id"]), "结果与公布"),
        (lambda n, s: setattr(s, "parameters", {**s.parameters, "k": "0.9500"}), "参数"),
        (lambda n, s: setattr(s, "seed", "f" * 64), "随机种子"),
    ],
)
def test_a_changed_record_does_not_verify(make, tamper, problem):
    notice, bids = _decided(make, "mean")
    selection = notice.selections[0]
    if selection.winner_bid_id == selection.candidates[0]["bid_id"]:
        selection.candidates = list(reversed(selection.candidates))
    tamper(notice, selection)
    check = services.verify_selection(selection)
    assert not check.ok and any(problem in p for p in check.problems)


def test_a_bid_changed_after_the_selection_is_reported(make, db):
    notice, bids = _decided(make, "lowest")
    db.session.execute(update(Bid).where(Bid.id == bids[2].id).values(amount_fen=10_00))
    db.session.expire_all()
    check = services.verify_selection(db.session.get(Selection, notice.selections[0].id))
    assert any(bids[2].agency.name in p for p in check.problems)


def test_the_draw_page_shows_every_input_and_the_match(app, make):
    notice, bids = _decided(make, "mean")
    selection = notice.selections[0]
    page = text(app.test_client(), f"/notices/{notice.id}/draw")
    for value in (
        selection.seed,
        notice.draw_salt,
        selection.algorithm,
        selection.parameters["k"],
        *selection.seed_inputs["commitments"],
        *(b.agency.name for b in bids),
    ):
        assert value in page
    assert "复核一致 ✓" in page and "第 1 轮" in page


def test_the_draw_page_shows_a_mismatch_in_red(app, make):
    notice, bids = _decided(make, "random")
    notice.draw_salt = "0" * 32
    page = text(app.test_client(), f"/notices/{notice.id}/draw")
    assert "复核不一致 ✗" in page and "text-bg-danger" in page and "复核一致 ✓" not in page


def test_the_draw_page_of_a_draft_is_not_found_and_of_an_open_notice_is_empty(app, make):
    draft = make.notice(publish=False)
    assert app.test_client().get(f"/notices/{draft.id}/draw").status_code == 404
    open_notice = make.notice()
    assert "本公告尚未进行选取" in text(app.test_client(), f"/notices/{open_notice.id}/draw")


def test_rounds_after_an_upheld_objection_are_each_verified(app, make):
    from market.procurement.states import transition

    notice, bids = _decided(make, "random")
    regulator = make.staff("regulator")
    transition(notice, "bidding_closed", regulator)
    services.reselect(notice, regulator, exclude_bid_id=notice.selected_bid.id)
    page = text(app.test_client(), f"/notices/{notice.id}/draw")
    assert "第 1 轮" in page and "第 2 轮" in page and page.count("复核一致 ✓") == 4


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["market", "verify-draw", *map(str, args)])


def test_cli_verify_draw_prints_the_draw_and_confirms(app, make):
    notice, bids = _decided(make, "credit")
    result = _cli(app, notice.id)
    assert result.exit_code == 0, result.output
    selection = notice.selections[0]
    for value in (selection.seed, selection.algorithm, notice.draw_salt, "复核一致 ✓"):
        assert value in result.output
    assert f"结果：{notice.selected_bid.agency.name}" in result.output


def test_cli_verify_draw_exits_1_on_a_mismatch(app, make, db):
    notice, bids = _decided(make, "lowest")
    db.session.execute(update(Bid).where(Bid.id == bids[0].id).values(amount_fen=10_00))
    db.session.expire_all()
    result = _cli(app, notice.id)
    assert result.exit_code == 1 and "复核不一致 ✗" in result.output


def test_cli_verify_draw_of_unknown_or_undecided_notices(app, make):
    assert _cli(app, 999_999).exit_code == 1
    result = _cli(app, make.notice().id)
    assert result.exit_code == 0 and "该公告尚无选取记录" in result.output


def test_lottery_share_counts_random_draws_and_tie_breaks(make):
    assert services.lottery_share() == (0, 0, 0.0)
    _decided(make, "random")
    _decided(make, "lowest")  # tie → draw
    make.opened_notice("lowest", (60_000_00, 70_000_00))  # no tie
    _decided(make, "direct")
    assert services.lottery_share() == (2, 4, 0.5)
