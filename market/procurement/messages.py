"""Who is told what as a notice moves (its inbox messages and their mail): hooks on arriving
in a state of the notice lifecycle, and the messages about bids to reconfirm and objections.
They run guarded (core.listeners): a message that cannot be written never undoes the step."""

from sqlalchemy import select

from ..accounts.models import Organisation
from ..agencies.models import Agency, Offering
from ..agencies.services import can_bid
from ..core.clock import to_local
from ..core.i18n import _l
from ..extensions import db
from ..notifications.services import link_to, notify
from .bids import took_part
from .states import NOTICE
from .timeline import stored_reason


def _when(moment) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}" if moment is not None else "—"


def _link(notice) -> str:
    return link_to("procurement.detail", notice_id=notice.id)


def _actor_org_id(actor):
    org = getattr(actor, "organisation", None) if actor is not None else None
    return org.id if org is not None else None


def _tell(org_ids, kind, title, body, link, skip=None):
    """Notify each organisation once, never the one whose own action this was."""
    for org_id in dict.fromkeys(org_ids):
        if org_id is not None and org_id != skip:
            notify(org_id, kind, title, body, link)


def _bidders(notice):
    return [b.agency_org_id for b in notice.bids if took_part(b)]


def matching_agencies(notice) -> list[int]:
    """Agencies to tell about a new notice: the invited one alone, or every agency offering
    the item that is not on the avoidance list and may bid now."""
    if notice.invited_org_id is not None:
        return [notice.invited_org_id]
    avoided = {a.agency_org_id for a in notice.avoidances}
    agencies = db.session.scalars(
        select(Agency)
        .join(Offering, Offering.agency_id == Agency.org_id)
        .where(Offering.item_id == notice.item_id)
        .order_by(Agency.org_id)
    )
    return [a.org_id for a in agencies if a.org_id not in avoided and can_bid(a)[0]]


# --- arriving in a state --------------------------------------------------------------------


@NOTICE.on_arrival("published")
def _published(notice, **__):
    body = _l(
        "%(purchaser)s发布了「%(item)s」采购公告，"
        "选取方式为%(method)s，报价截止时间 %(deadline)s。",
        purchaser=notice.purchaser.name,
        item=notice.item.name,
        method=notice.method_label,
        deadline=_when(notice.deadline_dt),
    )
    if notice.invited_org_id is not None:
        body = _l(
            "%(purchaser)s直接邀请贵机构参与「%(item)s」项目报价，报价截止时间 %(deadline)s。",
            purchaser=notice.purchaser.name,
            item=notice.item.name,
            deadline=_when(notice.deadline_dt),
        )
    _tell(
        matching_agencies(notice),
        "new_notice",
        _l("新的匹配公告：%(title)s", title=notice.title),
        body,
        _link(notice),
    )


@NOTICE.on_arrival("selected")
def _selected(notice, **__):
    winner = notice.selected_bid
    if winner is None:
        return
    link = _link(notice)
    notify(
        winner.agency_org_id,
        "selected",
        _l("「%(title)s」：贵机构被选定为中选机构", title=notice.title),
        _l("选取结果将公示，公示期满且无异议成立后，请按期与采购人签订合同。"),
        link,
    )
    others = [org_id for org_id in _bidders(notice) if org_id != winner.agency_org_id]
    _tell(
        others,
        "selected",
        _l("「%(title)s」选取结果已产生", title=notice.title),
        _l(
            "中选机构为%(agency)s，选取记录已在公告页公开，可复核。",
            agency=winner.agency.name,
        ),
        link,
    )


@NOTICE.on_arrival("publicity")
def _publicity(notice, **__):
    winner = notice.selected_bid
    objectors = [
        org_id for org_id in _bidders(notice) if winner is None or org_id != winner.agency_org_id
    ]
    _tell(
        objectors,
        "publicity",
        _l("「%(title)s」结果公示中", title=notice.title),
        _l("结果公示中，可在 %(end)s 前提出异议。", end=_when(notice.publicity_end_dt)),
        _link(notice),
    )


@NOTICE.on_arrival("delivered")
def _delivered(notice, **__):
    notify(
        notice.purchaser_org_id,
        "accept",
        _l("「%(title)s」成果已交付，请验收", title=notice.title),
        _l(
            "中选机构已提交交付成果，请在 %(deadline)s 前验收或退回，逾期将自动验收。",
            deadline=_when(notice.accept_deadline_dt),
        ),
        _link(notice),
    )


@NOTICE.on_arrival("accepted")
def _accepted(notice, **__):
    contract = notice.contract
    how = _l("系统已自动验收") if contract.auto_accepted else _l("采购人已验收")
    _tell(
        [contract.purchaser_org_id, contract.agency_org_id],
        "evaluate",
        _l("「%(title)s」已验收，请评价", title=notice.title),
        _l(
            "%(how)s，请在 %(end)s 前对对方作出评价（双方评价均提交或期满后公开）。",
            how=how,
            end=_when(notice.evaluation_end_dt),
        ),
        _link(notice),
    )


@NOTICE.on_arrival("terminated")
@NOTICE.on_arrival("failed")
@NOTICE.on_arrival("cancelled")
def _ended(notice, from_state=None, actor=None, **__):
    if from_state == "draft":
        return  # a draft withdrawn was never public: nobody to tell
    label = NOTICE[notice.state].arrival
    parties = [notice.purchaser_org_id, *_bidders(notice)]
    if notice.contract is not None:
        parties.append(notice.contract.agency_org_id)
    reason = stored_reason(notice.outcome_note) if notice.outcome_note else _l("详见公告页")
    _tell(
        parties,
        "ended",
        _l("「%(title)s」%(label)s", title=notice.title, label=label),
        _l("该项目已%(label)s，原因：%(reason)s", label=label, reason=reason),
        _link(notice),
        skip=_actor_org_id(actor),
    )


@NOTICE.on_arrival("awarded")
def _awarded(notice, **__):
    bid = notice.selected_bid
    _tell(
        [notice.purchaser_org_id, bid.agency_org_id],
        "sign",
        _l("「%(title)s」已确定中选，请签订合同", title=notice.title),
        _l(
            "公示期满，中选机构为%(agency)s。请在 %(deadline)s 前签订合同，"
            "逾期未签订的将终止本次采购。中选通知书可在公告页下载。",
            agency=bid.agency.name,
            deadline=_when(notice.sign_deadline_dt),
        ),
        _link(notice),
    )
    _tell(
        [org_id for org_id in _bidders(notice) if org_id != bid.agency_org_id],
        "not_selected",
        _l("「%(title)s」未中选通知", title=notice.title),
        _l(
            "公示期满，无异议成立，中选机构为%(agency)s。感谢贵机构参与，"
            "未中选通知（含贵机构未中选的原因）可在公告页下载。",
            agency=bid.agency.name,
        ),
        _link(notice),
    )


# --- bids to reconfirm, objections ------------------------------------------------------------


def bids_invalidated(notice, agency_org_ids=(), **__):
    _tell(
        agency_org_ids,
        "bid_invalidated",
        _l("「%(title)s」公告已修改，请重新确认报价", title=notice.title),
        _l(
            "公告已修改（第 %(revision)s 版），贵机构的报价需在 %(deadline)s "
            "前重新确认，否则不参加选取。",
            revision=notice.revision,
            deadline=_when(notice.deadline_dt),
        ),
        _link(notice),
    )


def _regulators(notice) -> list[int]:
    department = notice.item.approving_department
    return list(
        db.session.scalars(
            select(Organisation.id)
            .where(Organisation.kind == "regulator", Organisation.department == department)
            .order_by(Organisation.id)
        )
    )


def objection_changed(objection, action=None, **__):
    notice = objection.notice
    link = _link(notice)
    winner = objection.selection.winner if objection.selection is not None else None
    winner_org = winner.agency_org_id if winner is not None else None
    objector = objection.objector.name
    if action == "filed":
        notify(
            notice.purchaser_org_id,
            "objection",
            _l("「%(title)s」收到异议，请答复", title=notice.title),
            _l(
                "%(objector)s对选取结果提出了异议，请及时答复；异议处理完毕前不能签订合同。",
                objector=objector,
            ),
            link,
        )
        _tell(
            [winner_org],
            "objection",
            _l("「%(title)s」中选结果被提出异议", title=notice.title),
            _l(
                "%(objector)s对贵机构的中选结果提出了异议，监管部门处理完毕前暂不签订合同。",
                objector=objector,
            ),
            link,
        )
        _tell(
            _regulators(notice),
            "objection",
            _l("「%(title)s」收到异议", title=notice.title),
            _l("%(objector)s对选取结果提出了异议，待采购人答复后请处理。", objector=objector),
            link,
        )
    elif action == "answered":
        notify(
            objection.objector_org_id,
            "objection",
            _l("「%(title)s」采购人已答复您的异议", title=notice.title),
            _l("采购人已答复，监管部门将作出处理决定。"),
            link,
        )
        _tell(
            _regulators(notice),
            "objection",
            _l("「%(title)s」异议待处理", title=notice.title),
            _l("采购人已答复%(objector)s的异议，请作出处理决定。", objector=objector),
            link,
        )
    elif action == "decided":
        outcome = objection.status_label
        _tell(
            [objection.objector_org_id, notice.purchaser_org_id, winner_org],
            "objection",
            _l("「%(title)s」异议处理结果：%(outcome)s", title=notice.title, outcome=outcome),
            _l(
                "监管部门对%(objector)s的异议作出决定：%(outcome)s。%(decision)s",
                objector=objector,
                outcome=outcome,
                decision=stored_reason(objection.decision or ""),
            ),
            link,
        )


# --- questions (答疑澄清) and replies to evaluations ------------------------------------------


def question_asked(question, **__):
    # Never the asker's name: the purchaser answers every agency alike (questions.py).
    notice = question.notice
    notify(
        notice.purchaser_org_id,
        "question",
        _l("「%(title)s」收到机构提问，请答复", title=notice.title),
        _l(
            "有机构就公告提出了问题（%(asked)s），请在报价截止"
            "（%(deadline)s）前在公告页答复；答复对所有机构公开。",
            asked=_when(question.asked_dt),
            deadline=_when(notice.deadline_dt),
        ),
        _link(notice) + "#questions",
    )


def question_answered(question, **__):
    notice = question.notice
    extra = ""
    if question.changes_terms:
        extra = _l(
            "该答复为澄清，改变了公告条款（第 %(revision)s 版），报价截止时间为 %(deadline)s。",
            revision=notice.revision,
            deadline=_when(notice.deadline_dt),
        )
    body = _l(
        "采购人已答复贵机构于 %(asked)s 提出的问题，答复已在公告页公开。",
        asked=_when(question.asked_dt),
    )
    notify(
        question.asker_org_id,
        "question",
        _l("「%(title)s」采购人已答复贵机构的提问", title=notice.title),
        lambda: str(body) + str(extra),
        _link(notice) + "#questions",
    )


def evaluation_replied(evaluation, **__):
    contract = evaluation.contract
    notice = contract.notice
    notify(
        evaluation.by_org_id,
        "evaluate",
        _l("「%(title)s」对方回复了贵单位的评价", title=notice.title),
        _l("被评价方对贵单位的评价作出了公开回复，可在公告页查看。"),
        _link(notice) + "#evaluations",
    )
