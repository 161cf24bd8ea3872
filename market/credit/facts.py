"""The facts the system reports by itself (objective procurement facts, a rejected
qualification, a late payment) and the criterion each is reported under.

Which fact exists is code: the system observes it. Which criterion it is reported under is
data (FactCriterion) that regulators keep on the criteria page (criteria.remap_fact), seeded
with the codes of the shipped list. A criterion a fact is reported under cannot be retired
until the fact is moved to another one, so a retirement never stops the system's reports."""

from dataclasses import dataclass

from sqlalchemy import select

from ..core.errors import ServiceError
from ..core.i18n import _, _l
from ..extensions import db
from .models import PARTIES, FactCriterion, ViolationCriterion


@dataclass(frozen=True)
class Fact:
    key: str
    #: who it is about: agency or purchaser (the criterion must be for the same party)
    party: str
    label: str
    #: the code it is reported under until a regulator decides otherwise (the shipped list)
    default_code: str

    @property
    def party_label(self) -> str:
        return PARTIES[self.party]


FACTS = {
    fact.key: fact
    for fact in (
        Fact(
            "contract_unsigned_agency",
            "agency",
            _l("中选后未在签约期限内签订合同（中选机构）"),
            "A05",
        ),
        Fact(
            "contract_unsigned_purchaser",
            "purchaser",
            _l("中选结果确定后未在签约期限内签订合同（采购人）"),
            "P02",
        ),
        Fact(
            "selection_abandoned",
            "purchaser",
            _l("报价截止、机构已响应后放弃选取并撤销公告"),
            "P04",
        ),
        Fact("delivery_late", "agency", _l("超过服务期限交付成果"), "A06"),
        Fact("acceptance_late", "purchaser", _l("逾期未验收或退回，系统自动验收"), "P03"),
        Fact("poor_evaluation", "agency", _l("采购人评价综合得分低于 60 分"), "A13"),
        Fact("qualification_rejected", "agency", _l("申报的资质经核验不通过"), "A01"),
        Fact("payment_late", "purchaser", _l("服务费逾期未支付"), "P03"),
    )
}


def mapping() -> dict[str, str]:
    """fact → the code it is reported under now."""
    stored = dict(db.session.execute(select(FactCriterion.fact, FactCriterion.code)).all())
    return {key: stored.get(key, fact.default_code) for key, fact in FACTS.items()}


def criteria_for(keys) -> dict[str, ViolationCriterion]:
    """fact → the criterion version in force it is reported under (one query for all)."""
    codes = mapping()
    wanted = {codes[key] for key in keys}
    in_force = {
        c.code: c
        for c in db.session.scalars(
            select(ViolationCriterion).where(
                ViolationCriterion.code.in_(wanted), ViolationCriterion.retired_dt.is_(None)
            )
        )
    }
    missing = sorted(wanted - set(in_force))
    if missing:
        # Retiring a mapped code is refused; a database edited by hand could still get here.
        raise ServiceError(
            _("系统自动报告所用的认定标准「%(codes)s」未在施行", codes=_("、").join(missing))
        )
    return {key: in_force[codes[key]] for key in keys}


def facts_using(code: str) -> list[Fact]:
    """The facts reported under `code` now."""
    codes = mapping()
    return [FACTS[key] for key in FACTS if codes[key] == code]
