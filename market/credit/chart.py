"""The score history as an SVG step chart (server-drawn: no script, prints, works offline)."""

from dataclasses import dataclass

from ..core.clock import to_local
from ..core.i18n import _

WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_Y = 640, 220, 40, 10, 16
#: the grade floors drawn as dashed lines
GRADE_LINES = ((90, "A"), (80, "B"), (60, "C"))


@dataclass
class Chart:
    width: int
    height: int
    path: str
    grade_lines: list  # (y, label, score)
    ticks: list  # (x, label)
    points: list  # (x, y, label) for each change


def _y(score: float) -> float:
    return round(PAD_Y + (100 - score) / 100 * (HEIGHT - 2 * PAD_Y), 1)


def score_chart(history, start_dt, current_score: int, now) -> Chart:
    """Steps from 100 at `start_dt` through each recorded change to the current score now."""
    steps = [(start_dt or now, 100)] + [(h.computed_dt, h.score) for h in history]
    steps = [(moment, score) for moment, score in steps if moment <= now]
    first = steps[0][0]
    span = max((now - first).total_seconds(), 1)

    def x(moment) -> float:
        return round(
            PAD_LEFT + (moment - first).total_seconds() / span * (WIDTH - PAD_LEFT - PAD_RIGHT), 1
        )

    parts = [f"M{x(first)},{_y(steps[0][1])}"]
    for moment, score in steps[1:]:
        parts.append(f"H{x(moment)}V{_y(score)}")
    parts.append(f"H{x(now)}V{_y(current_score)}")
    points = [
        (x(m), _y(s), _("%(day)s %(score)s 分", day=f"{to_local(m):%Y-%m-%d}", score=s))
        for m, s in steps[1:]
    ]
    ticks = [(x(first), f"{to_local(first):%Y-%m-%d}"), (x(now), f"{to_local(now):%Y-%m-%d}")]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        path="".join(parts),
        grade_lines=[(_y(score), label, score) for score, label in GRADE_LINES],
        ticks=ticks,
        points=points,
    )
