"""The payment plan a notice announces (docs/payments.md): one or more milestones, each a
share of the contract amount in whole percent, due some working days after its event
(the contract signed, or the deliverable accepted). Every bidder reads it before quoting; at
the award the payments domain turns it into the contract's milestones in fen.
"""

from dataclasses import dataclass

from flask import current_app

from ..core.errors import ServiceError
from ..core.i18n import _, _l

#: what a milestone follows, in the order a contract reaches them
EVENTS = {"signing": _l("合同签订后"), "acceptance": _l("验收通过后")}
MAX_MILESTONES = 6
MAX_LABEL = 20
MAX_DAYS = 60


@dataclass(frozen=True)
class Milestone:
    """One milestone of a plan as the notice announces it."""

    label: str
    percent: int
    event: str
    days: int

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "percent": self.percent,
            "event": self.event,
            "days": self.days,
        }

    @property
    def event_label(self) -> str:
        return EVENTS.get(self.event, self.event)

    def describe(self) -> str:
        return _(
            "%(label)s %(percent)s%%，%(event)s %(days)s 个工作日内支付",
            label=self.label,
            percent=self.percent,
            event=self.event_label,
            days=self.days,
        )


def default_plan() -> list[dict]:
    """A notice that says nothing: the whole fee after acceptance, within the default days."""
    days = current_app.config["PAYMENT_DUE_WORKING_DAYS"]
    return [Milestone("服务费", 100, "acceptance", days).as_dict()]  # i18n: data (stored)


def milestones_of(plan: list[dict] | None) -> list[Milestone]:
    """The stored plan (a list of dicts) as milestones."""
    return [
        Milestone(str(m["label"]), int(m["percent"]), str(m["event"]), int(m["days"]))
        for m in plan or ()
    ]


def check_plan(rows: list[tuple[str, int | None, str, int | None]]) -> list[dict]:
    """The plan as typed (label, percent, event, days) checked, or a ServiceError naming what
    is wrong; no rows at all is the default plan."""
    if not rows:
        return default_plan()
    if len(rows) > MAX_MILESTONES:
        raise ServiceError(_("付款节点最多 %(max)s 个", max=MAX_MILESTONES), "milestones")
    default_days = current_app.config["PAYMENT_DUE_WORKING_DAYS"]
    plan = []
    for number, (label, percent, event, days) in enumerate(rows, start=1):
        label = (label or "").strip()
        where = _("第 %(number)s 个付款节点", number=number)
        if not label:
            raise ServiceError(
                _("%(where)s：请填写名称（如 预付款、尾款）", where=where), "milestones"
            )
        if len(label) > MAX_LABEL:
            raise ServiceError(
                _("%(where)s：名称不能超过 %(max)s 个字", where=where, max=MAX_LABEL),
                "milestones",
            )
        if percent is None or not 1 <= percent <= 100:
            raise ServiceError(_("%(where)s：比例应为 1–100 的整数", where=where), "milestones")
        if event not in EVENTS:
            raise ServiceError(_("%(where)s：请选择付款条件", where=where), "milestones")
        days = default_days if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise ServiceError(
                _("%(where)s：付款期限应为 1–%(max)s 个工作日", where=where, max=MAX_DAYS),
                "milestones",
            )
        plan.append(Milestone(label, percent, event, days).as_dict())
    total = sum(m["percent"] for m in plan)
    if total != 100:
        raise ServiceError(
            _("各付款节点比例合计应为 100%%，现为 %(total)s%%", total=total), "milestones"
        )
    return plan


def split_amount(amount_fen: int, plan: list[dict]) -> list[int]:
    """The contract amount split by the plan's percentages in whole fen; the last milestone
    takes what rounding leaves, so the parts always add up to the amount."""
    parts = [amount_fen * m["percent"] // 100 for m in plan[:-1]]
    return [*parts, amount_fen - sum(parts)]
