"""verify.py of the audit pack: checks an unpacked pack (or the zip) offline.

Python 3.11 standard library only: this file is copied into every pack as verify.py, and the
server never imports it. It holds its own copies of the platform's definitions — the audit
chain's canonical form and hash (core/audit.py), the bid commitment (procurement/bids.py), the
seed and draw (procurement/selection/draw.py) and each method's rule (procurement/selection/);
tests/opendata/test_audit_pack.py checks that they agree with the server's.

    python verify.py            # in the unpacked folder
    python verify.py pack.zip   # or on the zip itself

Prints each check, then "all checks passed" and exits 0, or names every failed check and
exits 1. A selection whose rule cannot be re-run from the data (the purchaser's own choice, an
unknown algorithm) is reported as "not checked", never as passed.
"""

import hashlib
import json
import sys
import zipfile
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

FILES = ("notice.json", "events.json", "bids.json", "selections.json")

# --- the audit chain (core/audit.py) ------------------------------------------------------

HASHED_FIELDS = (
    "id",
    "created_dt",
    "occurred_dt",
    "actor_user_id",
    "actor_org_id",
    "subject_type",
    "subject_id",
    "action",
    "from_state",
    "to_state",
    "public",
    "data",
    "prev_hash",
)


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values) -> bytes:
    """The bytes an event's hash is taken over: sorted-key JSON with fixed separators."""
    payload = {}
    for field in HASHED_FIELDS:
        value = values[field]
        if isinstance(value, datetime):
            value = _utc_iso(value)
        elif field == "public":
            value = bool(value)
        elif field == "data":
            value = value or {}
        payload[field] = value
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def event_hash(values) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


# --- commitments and the draw (core/hashing.py, procurement/bids.py, selection/draw.py) ----


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment(opening: dict) -> str:
    """SHA-256 over the canonical JSON of what the commitment covers, nonce included."""
    return sha256_hex(canonical_json(opening))


DRAW_ALGORITHM = "sha256-counter-v1"


def seed_inputs(notice_id, round_, draw_salt, commitments) -> dict:
    return {
        "notice_id": notice_id,
        "round": round_,
        "draw_salt": draw_salt,
        "commitments": sorted(commitments),
    }


def seed_of(inputs: dict) -> str:
    return sha256_hex(canonical_json(inputs))


def draw_index(seed: str, n: int, label: str = "0") -> int:
    if n <= 0:
        raise ValueError("draw_index needs at least one candidate")
    return int(sha256_hex(f"{seed}:{label}"), 16) % n


def draw_among(seed: str, bid_ids, label: str = "0"):
    ordered = sorted(bid_ids)
    index = draw_index(seed, len(ordered), label)
    return ordered[index], {
        "algorithm": DRAW_ALGORITHM,
        "among": ordered,
        "label": label,
        "index": index,
        "winner_bid_id": ordered[index],
    }


def draw_decimal(seed: str, low, high, places: int = 4, label: str = "k") -> Decimal:
    step = Decimal(1).scaleb(-places)
    low_d, high_d = Decimal(str(low)), Decimal(str(high))
    steps = int((high_d - low_d) / step)
    return low_d + step * draw_index(seed, steps + 1, label)


# --- the methods' rules (procurement/selection/) ------------------------------------------
# Each returns (winner bid id or None, parameters, failure), as the server's Outcome.

NO_CANDIDATES = "没有可参与选取的有效响应"


def credit_factor(score: int) -> float:
    return 0.5 + score / 200


def two_places(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def by_draw(seed, tied):
    winner, draw = draw_among(seed, [c["bid_id"] for c in tied])
    return winner, {"draw": draw}


def by_credit_then_draw(seed, tied):
    factors = {c["bid_id"]: credit_factor(c["credit_score"]) for c in tied}
    best = max(factors.values())
    leaders = sorted(i for i, f in factors.items() if f == best)
    best_score = next(c["credit_score"] for c in tied if c["bid_id"] == leaders[0])
    tie_break = {
        "rule": "credit_factor = 0.5 + credit_score / 200，高者中选；仍并列者抽签",
        "among": sorted(factors),
        "credit_factors": {str(i): f"{f:.3f}" for i, f in sorted(factors.items())},
        "best_credit_score": best_score,
        "leaders": leaders,
    }
    parameters = {"tie_break": tie_break}
    if len(leaders) == 1:
        return leaders[0], parameters
    winner, parameters["draw"] = draw_among(seed, leaders)
    return winner, parameters


def lowest(candidates, seed, settings, tie_break):
    if not candidates:
        return None, {}, NO_CANDIDATES
    low = min(c["amount_fen"] for c in candidates)
    tied = [c for c in candidates if c["amount_fen"] == low]
    parameters = {"lowest_fen": low}
    if len(tied) == 1:
        return tied[0]["bid_id"], parameters, ""
    winner, extra = tie_break(seed, tied)
    return winner, parameters | extra, ""


def mean_price(candidates, seed, settings, tie_break):
    if not candidates:
        return None, {}, NO_CANDIDATES
    ordered = sorted(candidates, key=lambda c: (c["amount_fen"], c["bid_id"]))
    if len(ordered) >= settings["min_quotes"]:
        kept = ordered[1:-1]
        dropped = [ordered[0]["bid_id"], ordered[-1]["bid_id"]]
        rule = "去掉最高价和最低价后取平均"
    else:
        kept, dropped = ordered, []
        rule = f"报价不足 {settings['min_quotes']} 家，取全部报价平均"
    mean = Decimal(sum(c["amount_fen"] for c in kept)) / len(kept)
    k = draw_decimal(seed, *settings["k_range"])
    base = int((mean * k).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    distances = {str(c["bid_id"]): abs(c["amount_fen"] - base) for c in candidates}
    closest = min(distances.values())
    tied = [c for c in candidates if distances[str(c["bid_id"])] == closest]
    parameters = {
        "rule": rule,
        "dropped_bid_ids": dropped,
        "mean_fen": str(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        "k": str(k),
        "base_fen": base,
        "distances_fen": distances,
    }
    if len(tied) == 1:
        return tied[0]["bid_id"], parameters, ""
    winner, extra = tie_break(seed, tied)
    return winner, parameters | extra, ""


def random_draw(candidates, seed, settings):
    if not candidates:
        return None, {}, NO_CANDIDATES
    winner, record = draw_among(seed, [c["bid_id"] for c in candidates])
    return winner, {"draw": record}, ""


def credit_preference(candidates, seed, settings):
    minimum = settings["min_registrants"]
    if len(candidates) < minimum:
        return None, {}, f"信用择优需至少 {minimum} 家机构报名，实际 {len(candidates)} 家，流标"
    best = max(c["credit_score"] for c in candidates)
    tied = [c["bid_id"] for c in candidates if c["credit_score"] == best]
    parameters = {"best_credit_score": best}
    if len(tied) == 1:
        return tied[0], parameters, ""
    winner, parameters["draw"] = draw_among(seed, tied)
    return winner, parameters, ""


def _score(candidate, lowest_fen, settings) -> dict:
    parts = {
        "price": two_places(
            Decimal(lowest_fen) / Decimal(candidate["amount_fen"]) * settings["weight_price"]
        ),
        "credit": two_places(Decimal(candidate["credit_score"]) / 100 * settings["weight_credit"]),
        "technical": two_places(
            Decimal(candidate["technical_score"]) / 100 * settings["weight_technical"]
        ),
    }
    parts["total"] = sum(parts.values())
    return {name: str(value) for name, value in parts.items()}


def weighted_score(candidates, seed, settings, tie_break):
    if not candidates:
        return None, {}, NO_CANDIDATES
    if any(c.get("technical_score") is None for c in candidates):
        return None, {}, "尚有报价未录入技术评分"
    low = min(c["amount_fen"] for c in candidates)
    scores = {str(c["bid_id"]): _score(c, low, settings) for c in candidates}
    best = max(Decimal(s["total"]) for s in scores.values())
    tied = [c for c in candidates if Decimal(scores[str(c["bid_id"])]["total"]) == best]
    parameters = {"lowest_fen": low, "scores": scores}
    if len(tied) == 1:
        return tied[0]["bid_id"], parameters, ""
    winner, extra = tie_break(seed, tied)
    return winner, parameters | extra, ""


def _with(rule, tie_break):
    return lambda candidates, seed, settings: rule(candidates, seed, settings, tie_break)


#: the rules this script re-runs, by the algorithm string stored with a selection
RULES = {
    f"lowest-price-v2/{DRAW_ALGORITHM}": _with(lowest, by_credit_then_draw),
    f"lowest-price-v1/{DRAW_ALGORITHM}": _with(lowest, by_draw),
    f"mean-price-v2/{DRAW_ALGORITHM}": _with(mean_price, by_credit_then_draw),
    f"mean-price-v1/{DRAW_ALGORITHM}": _with(mean_price, by_draw),
    f"random-draw-v1/{DRAW_ALGORITHM}": random_draw,
    f"credit-preference-v1/{DRAW_ALGORITHM}": credit_preference,
    f"weighted-score-v2/{DRAW_ALGORITHM}": _with(weighted_score, by_credit_then_draw),
    f"weighted-score-v1/{DRAW_ALGORITHM}": _with(weighted_score, by_draw),
}
#: rules that are a person's choice, not a computation: reported as not checked
CHOICES = {"direct-choice-v1": "采购人直接选定（人的决定，不能由数据重算）"}
#: methods whose result ranks the quotes by price
PRICED = ("lowest", "mean", "scored")


def price_ranking(candidates) -> list[int]:
    """Bid ids from the lowest quote up (equal quotes by bid id)."""
    return [c["bid_id"] for c in sorted(candidates, key=lambda c: (c["amount_fen"], c["bid_id"]))]


# --- the checks ---------------------------------------------------------------------------


class Report:
    def __init__(self, out=print):
        self.out = out
        self.failures: list[str] = []
        self.unchecked: list[str] = []

    def ok(self, what: str) -> None:
        self.out(f"[通过 ok] {what}")

    def fail(self, what: str) -> None:
        self.failures.append(what)
        self.out(f"[失败 FAILED] {what}")

    def not_checked(self, what: str) -> None:
        self.unchecked.append(what)
        self.out(f"[未核验 not checked] {what}")


def check_bids(pack: dict, report: Report) -> dict:
    """Every opened bid's commitment recomputed from its opening; returns bids by id."""
    notice_id = pack["notice.json"]["id"]
    bids = {}
    for bid in pack["bids.json"]["bids"]:
        if bid.get("status") == "withdrawn":
            # Withdrawn before the deadline: no commitment stands, and it is no candidate.
            report.not_checked(f"bid {bid['bid_id']}: 报价已在截止前撤回，不参与选取 (withdrawn)")
            continue
        bids[bid["bid_id"]] = bid
        opening, stated = bid["opening"], bid["commitment"]
        label = f"bid {bid['bid_id']} commitment {stated}"
        if bid.get("plan_withheld"):
            if (
                opening.get("notice_id") != notice_id
                or opening.get("amount_fen") != bid["amount_fen"]
            ):
                report.fail(f"{label}: 承诺内容与报价不一致 (opening differs from the bid)")
            else:
                report.not_checked(
                    f"{label}: 未中选机构的服务方案不公开，承诺值不能离线重算"
                    "（该机构可凭报价回执自行核验） (plan withheld: commitment not recomputed)"
                )
            continue
        if commitment(opening) != stated:
            report.fail(f"{label}: 由公开内容重算的承诺值不一致 (recomputed commitment differs)")
        elif opening.get("notice_id") != notice_id:
            report.fail(f"{label}: 承诺内容不属于本公告 (opening names another notice)")
        elif opening.get("amount_fen") != bid["amount_fen"]:
            report.fail(f"{label}: 报价金额与承诺内容不一致 (amount differs from the opening)")
        else:
            report.ok(f"{label}: 承诺值一致")
    return bids


def check_selection(pack: dict, bids: dict, selection: dict, report: Report) -> None:
    notice = pack["notice.json"]
    name = f"round {selection['round']} ({selection['method']}, {selection['algorithm']})"
    candidates = selection["candidates"]
    for c in candidates:
        bid = bids.get(c["bid_id"])
        found = (bid["agency_org_id"], bid["amount_fen"], bid["commitment"]) if bid else None
        if found != (c["agency_org_id"], c["amount_fen"], c["commitment"]):
            report.fail(f"{name}: 候选报价 bid {c['bid_id']} 与 bids.json 不一致")
    inputs = seed_inputs(
        notice["id"], selection["round"], notice["draw_salt"], [c["commitment"] for c in candidates]
    )
    seed = seed_of(inputs)
    if inputs != selection["seed_inputs"] or seed != selection["seed"]:
        report.fail(f"{name}: 由公告与承诺值重算的随机种子不一致 (seed differs)")
    else:
        report.ok(f"{name}: 随机种子 {seed} 一致")
    if selection["method"] in PRICED:
        if price_ranking(candidates) != selection["price_ranking"]:
            report.fail(f"{name}: 报价排序不一致 (price ranking differs)")
        else:
            report.ok(f"{name}: 报价排序一致")
    algorithm = selection["algorithm"]
    if algorithm in CHOICES:
        report.not_checked(f"{name}: {CHOICES[algorithm]}")
        return
    rule = RULES.get(algorithm)
    if rule is None:
        report.not_checked(f"{name}: 本脚本不认识该算法版本，选取结果未核验")
        return
    settings = selection["parameters"].get("settings", {})
    winner, parameters, failure = rule(candidates, seed, settings)
    published = {k: v for k, v in selection["parameters"].items() if k != "settings"}
    if (winner, failure) != (selection["winner_bid_id"], selection["failure"]):
        report.fail(
            f"{name}: 重新运行得到的结果不同 (winner {winner}, published "
            f"{selection['winner_bid_id']})"
        )
    elif parameters != published:
        report.fail(f"{name}: 重新运行得到的参数不同 (parameters differ)")
    else:
        report.ok(f"{name}: 重新运行结果一致，中选报价 {winner}")


def check_chain(events: dict, report: Report) -> None:
    """Each event's hash recomputed from its fields; every link from the first event of the
    pack to the included head walked."""
    entries = [(e["id"], e, True) for e in events["events"]]
    entries += [(e["id"], e, False) for e in events["between"]]
    entries.sort(key=lambda entry: entry[0])
    bad = 0
    for event_id, event, full in entries:
        if full and event_hash(event) != event["hash"]:
            report.fail(f"chain: event {event_id} 的哈希与其内容不符 (hash does not match)")
            bad += 1
    for (_, before, _), (event_id, after, _) in zip(entries, entries[1:], strict=False):
        if after["prev_hash"] != before["hash"]:
            report.fail(f"chain: event {event_id} 的 prev_hash 未接上 event {before['id']}")
            bad += 1
        if after["id"] <= before["id"]:
            report.fail(f"chain: event {event_id} 的编号顺序不对")
            bad += 1
    head = events["head"]
    if not entries or (entries[-1][0], entries[-1][1]["hash"]) != (head["event_id"], head["hash"]):
        report.fail("chain: 链未走到审计包所含的链头 (the chain does not end at the head)")
        bad += 1
    if not bad:
        report.ok(
            f"chain: {len(entries)} 个事件哈希链接完整，链头 event {head['event_id']} "
            f"{head['hash']}"
        )


def load(where: Path) -> dict:
    """The pack's JSON files, from a folder or a zip."""
    if where.is_file():
        with zipfile.ZipFile(where) as archive:
            return {name: json.loads(archive.read(name).decode("utf-8")) for name in FILES}
    return {name: json.loads((where / name).read_text("utf-8")) for name in FILES}


def verify(pack: dict, out=print) -> Report:
    report = Report(out)
    bids = check_bids(pack, report)
    for selection in pack["selections.json"]["selections"]:
        check_selection(pack, bids, selection, report)
    check_chain(pack["events.json"], report)
    return report


def main(argv: list[str]) -> int:
    where = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    try:
        pack = load(where)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        print(f"无法读取审计包 (cannot read the pack): {error}")
        return 1
    try:
        report = verify(pack)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        print(f"[失败 FAILED] 审计包格式不正确 (malformed pack): {error!r}")
        return 1
    if report.failures:
        print(f"{len(report.failures)} check(s) failed / 核验未通过：")
        for failure in report.failures:
            print(f"  - {failure}")
        return 1
    if report.unchecked:
        print(f"{len(report.unchecked)} item(s) not checked / 未核验：")
        for item in report.unchecked:
            print(f"  - {item}")
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
