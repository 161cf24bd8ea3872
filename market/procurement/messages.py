"""Who is told what as a notice moves (its inbox messages and their mail): hooks on arriving
in a state of the notice lifecycle, and the messages about bids to reconfirm and objections.
They run guarded (core.listeners): a message that cannot be written never undoes the step."""

from sqlalchemy import select

from ..accounts.models import Organisation
from ..agencies.models import Agency, Offering
from ..agencies.services import can_bid
from ..core.clock import to_local
from ..extensions import db
from ..notifications.services import link_to, notify
from .bids import took_part
from .states import NOTICE


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
def _published(notice, **_):
    body = (
        f"{notice.purchaser.name}发布了「{notice.item.name}」采购公告，"
        f"选取方式为{notice.method_label}，报价截止时间 {_when(notice.deadline_dt)}。"
    )
    if notice.invited_org_id is not None:
        body = f"{notice.purchaser.name}直接邀请贵机构参与「{notice.item.name}」项目报价，" + (
            f"报价截止时间 {_when(notice.deadline_dt)}。"
        )
    _tell(
        matching_agencies(notice),
        "new_notice",
        f"新的匹配公告：{notice.title}",
        body,
        _link(notice),
    )


@NOTICE.on_arrival("selected")
def _selected(notice, **_):
    winner = notice.selected_bid
    if winner is None:
        return
    link = _link(notice)
    notify(
        winner.agency_org_id,
        "selected",
        f"「{notice.title}」：贵机构被选定为中选机构",
        "选取结果将公示，公示期满且无异议成立后，请按期与采购人签订合同。",
        link,
    )
    others = [org_id for org_id in _bidders(notice) if org_id != winner.agency_org_id]
    _tell(
        others,
        "selected",
        f"「{notice.title}」选取结果已产生",
        f"中选机构为{winner.agency.name}，选取记录已在公告页公开，可复核。",
        link,
    )


@NOTICE.on_arrival("publicity")
def _publicity(notice, **_):
    winner = notice.selected_bid
    objectors = [
        org_id for org_id in _bidders(notice) if winner is None or org_id != winner.agency_org_id
    ]
    _tell(
        objectors,
        "publicity",
        f"「{notice.title}」结果公示中",
        f"结果公示中，可在 {_when(notice.publicity_end_dt)} 前提出异议。",
        _link(notice),
    )


@NOTICE.on_arrival("delivered")
def _delivered(notice, **_):
    notify(
        notice.purchaser_org_id,
        "accept",
        f"「{notice.title}」成果已交付，请验收",
        f"中选机构已提交交付成果，请在 {_when(notice.accept_deadline_dt)} 前验收或退回，"
        "逾期将自动验收。",
        _link(notice),
    )


@NOTICE.on_arrival("accepted")
def _accepted(notice, **_):
    contract = notice.contract
    how = "系统已自动验收" if contract.auto_accepted else "采购人已验收"
    _tell(
        [contract.purchaser_org_id, contract.agency_org_id],
        "evaluate",
        f"「{notice.title}」已验收，请评价",
        f"{how}，请在 {_when(notice.evaluation_end_dt)} 前对对方作出评价"
        "（双方评价均提交或期满后公开）。",
        _link(notice),
    )


@NOTICE.on_arrival("terminated")
@NOTICE.on_arrival("failed")
@NOTICE.on_arrival("cancelled")
def _ended(notice, from_state=None, actor=None, **_):
    if from_state == "draft":
        return  # a draft withdrawn was never public: nobody to tell
    label = NOTICE[notice.state].arrival
    parties = [notice.purchaser_org_id, *_bidders(notice)]
    if notice.contract is not None:
        parties.append(notice.contract.agency_org_id)
    reason = notice.outcome_note or "详见公告页"
    _tell(
        parties,
        "ended",
        f"「{notice.title}」{label}",
        f"该项目已{label}，原因：{reason}",
        _link(notice),
        skip=_actor_org_id(actor),
    )


@NOTICE.on_arrival("awarded")
def _awarded(notice, **_):
    bid = notice.selected_bid
    _tell(
        [notice.purchaser_org_id, bid.agency_org_id],
        "sign",
        f"「{notice.title}」已确定中选，请签订合同",
        f"公示期满，中选机构为{bid.agency.name}。请在 {_when(notice.sign_deadline_dt)} "
        "前签订合同，逾期未签订的将终止本次采购。中选通知书可在公告页下载。",
        _link(notice),
    )
    _tell(
        [org_id for org_id in _bidders(notice) if org_id != bid.agency_org_id],
        "not_selected",
        f"「{notice.title}」未中选通知",
        f"公示期满，无异议成立，中选机构为{bid.agency.name}。感谢贵机构参与，"
        "未中选通知（含贵机构未中选的原因）可在公告页下载。",
        _link(notice),
    )


# --- bids to reconfirm, objections ------------------------------------------------------------


def bids_invalidated(notice, agency_org_ids=(), **_):
    _tell(
        agency_org_ids,
        "bid_invalidated",
        f"「{notice.title}」公告已修改，请重新确认报价",
        f"公告已修改（第 {notice.revision} 版），贵机构的报价需在 {_when(notice.deadline_dt)} "
        "前重新确认，否则不参加选取。",
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


def objection_changed(objection, action=None, **_):
    notice = objection.notice
    link = _link(notice)
    winner = objection.selection.winner if objection.selection is not None else None
    winner_org = winner.agency_org_id if winner is not None else None
    objector = objection.objector.name
    if action == "filed":
        notify(
            notice.purchaser_org_id,
            "objection",
            f"「{notice.title}」收到异议，请答复",
            f"{objector}对选取结果提出了异议，请及时答复；异议处理完毕前不能签订合同。",
            link,
        )
        _tell(
            [winner_org],
            "objection",
            f"「{notice.title}」中选结果被提出异议",
            f"{objector}对贵机构的中选结果提出了异议，监管部门处理完毕前暂不签订合同。",
            link,
        )
        _tell(
            _regulators(notice),
            "objection",
            f"「{notice.title}」收到异议",
            f"{objector}对选取结果提出了异议，待采购人答复后请处理。",
            link,
        )
    elif action == "answered":
        notify(
            objection.objector_org_id,
            "objection",
            f"「{notice.title}」采购人已答复您的异议",
            "采购人已答复，监管部门将作出处理决定。",
            link,
        )
        _tell(
            _regulators(notice),
            "objection",
            f"「{notice.title}」异议待处理",
            f"采购人已答复{objector}的异议，请作出处理决定。",
            link,
        )
    elif action == "decided":
        outcome = objection.status_label
        _tell(
            [objection.objector_org_id, notice.purchaser_org_id, winner_org],
            "objection",
            f"「{notice.title}」异议处理结果：{outcome}",
            f"监管部门对{objector}的异议作出决定：{outcome}。{objection.decision}",
            link,
        )


# --- questions (答疑澄清) and replies to evaluations ------------------------------------------


def question_asked(question, **_):
    # Never the asker's name: the purchaser answers every agency alike (questions.py).
    notice = question.notice
    notify(
        notice.purchaser_org_id,
        "question",
        f"「{notice.title}」收到机构提问，请答复",
        f"有机构就公告提出了问题（{_when(question.asked_dt)}），请在报价截止"
        f"（{_when(notice.deadline_dt)}）前在公告页答复；答复对所有机构公开。",
        _link(notice) + "#questions",
    )


def question_answered(question, **_):
    notice = question.notice
    extra = ""
    if question.changes_terms:
        extra = (
            f"该答复为澄清，改变了公告条款（第 {notice.revision} 版），"
            f"报价截止时间为 {_when(notice.deadline_dt)}。"
        )
    notify(
        question.asker_org_id,
        "question",
        f"「{notice.title}」采购人已答复贵机构的提问",
        f"采购人已答复贵机构于 {_when(question.asked_dt)} 提出的问题，答复已在公告页公开。" + extra,
        _link(notice) + "#questions",
    )


def evaluation_replied(evaluation, **_):
    contract = evaluation.contract
    notice = contract.notice
    notify(
        evaluation.by_org_id,
        "evaluate",
        f"「{notice.title}」对方回复了贵单位的评价",
        "被评价方对贵单位的评价作出了公开回复，可在公告页查看。",
        _link(notice) + "#evaluations",
    )
