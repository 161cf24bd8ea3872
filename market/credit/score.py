"""The score engine (docs/design.md §7.4), pure functions over plain values: no database, no clock.

score = clip(100 − active deductions + evaluation component + red-list bonus, 0, 100)
grade = A ≥ 90, B ≥ 80, C ≥ 60, D < 60

A record counts from its decision until its publication period ends, unless it was revoked
or repaired. The evaluation component is (average rating over the last 12 months − 4) × 5,
rounded, within −5…+5: a 4-star average is neutral. The red-list bonus is the largest bonus
among the agency's current red-list entries.
"""

from dataclasses import dataclass, field
from datetime import datetime

from ..core.i18n import _
from .states import CONFIRMED_STATES

BASE = 100
GRADES = (("A", 90), ("B", 80), ("C", 60), ("D", 0))
EVALUATION_NEUTRAL = 4.0
EVALUATION_WEIGHT = 5
EVALUATION_LIMIT = 5
#: states in which a decided record weighs (an appeal or repair request does not suspend it)
WEIGHING_STATES = CONFIRMED_STATES


@dataclass(frozen=True)
class RecordFact:
    """What the engine needs of a conduct record."""

    record_id: int
    code: str
    behaviour: str
    status: str
    deduction: int
    measure: str
    decided_dt: datetime
    publication_end_dt: datetime
    measure_end_dt: datetime | None = None
    decision_number: str = ""
    #: published (公示): until then its criterion and decision number stay off public pages
    disclosed: bool = True


@dataclass(frozen=True)
class RedListFact:
    entry_id: int
    bonus: int
    start_dt: datetime
    end_dt: datetime
    reason: str = ""


@dataclass(frozen=True)
class Line:
    """One line of the explanation: what, how many points, until when."""

    label: str
    points: float
    detail: str = ""
    record_id: int | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Standing:
    score: int
    grade: str
    lines: list[Line] = field(default_factory=list)
    suspended_until: datetime | None = None
    blacklisted_until: datetime | None = None
    reason: str = ""
    warnings: list[RecordFact] = field(default_factory=list)
    #: the first moment after the one computed for at which the standing reads differently
    #: with no new fact (see next_change); None: not before something is recorded
    changes_at: datetime | None = None

    @property
    def blacklisted(self) -> bool:
        return self.blacklisted_until is not None


def grade_of(score: int) -> str:
    """The grade for a score: A ≥ 90, B ≥ 80, C ≥ 60, D below."""
    return next(grade for grade, floor in GRADES if score >= floor)


def is_active(record: RecordFact, now: datetime) -> bool:
    """Whether a record weighs now: decided, not revoked or repaired, publication not over."""
    return record.status in WEIGHING_STATES and record.decided_dt <= now < record.publication_end_dt


def evaluation_component(rating_count: int, rating_sum: float) -> int:
    """Points from the last 12 months' evaluations: `rating_sum` adds each evaluation's
    average of its five 1–5 dimensions. None given: 0."""
    if rating_count <= 0:
        return 0
    average = rating_sum / rating_count
    points = round((average - EVALUATION_NEUTRAL) * EVALUATION_WEIGHT)
    return max(-EVALUATION_LIMIT, min(EVALUATION_LIMIT, points))


def red_list_bonus(entries: list[RedListFact], now: datetime) -> RedListFact | None:
    """The current entry with the largest bonus, if any."""
    current = [e for e in entries if e.start_dt <= now < e.end_dt]
    return max(current, key=lambda e: (e.bonus, e.entry_id), default=None)


#: what a measure's reason says of a record decided but not yet published (the reason is
#: stored with the agency: Chinese, as its data)
UNDISCLOSED = "已认定、待公示的不良行为"  # i18n: data


def _describe(record: RecordFact) -> str:
    number = f"（{record.decision_number}）" if record.decision_number else ""  # i18n: data
    return f"{record.code} {record.behaviour}{number}"


def _reason(causes: list[RecordFact]) -> str:
    """Why a measure applies, as any page may show it: a record not yet published is named
    only as decided and awaiting publication (its criterion and decision number are not
    public before 公示)."""
    parts = []
    for record in causes:
        part = _describe(record) if record.disclosed else UNDISCLOSED
        if part not in parts:
            parts.append(part)
    return "；".join(parts)[:300]  # i18n: data (stored)


def compute(
    records: list[RecordFact],
    rating_count: int,
    rating_sum: float,
    red_list: list[RedListFact],
    now: datetime,
) -> Standing:
    """The standing at `now`: score, grade, the explanation line by line, and the measures."""
    lines = [Line(_("基础分"), BASE)]
    active = sorted((r for r in records if is_active(r, now)), key=lambda r: r.decided_dt)
    for record in active:
        lines.append(
            Line(
                _("不良行为 %(record)s", record=_describe(record)),
                -record.deduction,
                record_id=record.record_id,
                until=record.publication_end_dt,
            )
        )
    evaluation = evaluation_component(rating_count, rating_sum)
    if rating_count:
        average = rating_sum / rating_count
        lines.append(
            Line(
                _("近 12 个月服务评价"),
                evaluation,
                detail=_(
                    "%(count)s 次评价，平均 %(average)s 分"
                    "（4 分为基准，每高低 1 分计 ±5 分，上限 ±5 分）",
                    count=rating_count,
                    average=f"{average:.2f}",
                ),
            )
        )
    bonus = red_list_bonus(red_list, now)
    if bonus is not None:
        lines.append(
            Line(_("守信激励（红名单）"), bonus.bonus, detail=bonus.reason, until=bonus.end_dt)
        )
    raw = sum(line.points for line in lines)
    score = max(0, min(100, round(raw)))
    suspensions = [
        r for r in active if r.measure == "suspend" and r.measure_end_dt and r.measure_end_dt > now
    ]
    blacklistings = [r for r in active if r.measure == "blacklist"]
    suspended_until = max((r.measure_end_dt for r in suspensions), default=None)
    blacklisted_until = max((r.publication_end_dt for r in blacklistings), default=None)
    causes = blacklistings or suspensions
    reason = _reason(causes)
    return Standing(
        score=score,
        grade=grade_of(score),
        lines=lines,
        suspended_until=suspended_until,
        blacklisted_until=blacklisted_until,
        reason=reason,
        warnings=[r for r in active if r.measure == "warning"],
    )


def next_change(
    records: list[RecordFact],
    red_list: list[RedListFact],
    now: datetime,
    oldest_rating_leaves: datetime | None = None,
) -> datetime | None:
    """The first moment after `now` at which the standing from these facts reads differently
    by time alone: a record taking effect or its publication or measure ending, a red-list
    entry starting or ending, the oldest evaluation counted leaving the 12-month window."""
    moments = [oldest_rating_leaves]
    for record in records:
        moments += [record.decided_dt, record.publication_end_dt, record.measure_end_dt]
    for entry in red_list:
        moments += [entry.start_dt, entry.end_dt]
    return min((m for m in moments if m is not None and m > now), default=None)
