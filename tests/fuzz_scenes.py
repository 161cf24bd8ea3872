"""Fuzzing scenes: per form, who posts it, the ids in its address and a valid value per field."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from market.accounts import credentials
from market.accounts.members import invite_member
from market.agencies.documents import Upload
from market.agencies.services import agency_of
from market.alerts import services as alerts
from market.catalogue import batches as catalogue_batches
from market.catalogue import imports as catalogue_imports
from market.catalogue import revisions as catalogue_revisions
from market.catalogue.fields import values_from_text
from market.catalogue.models import CatalogueImport
from market.core.clock import local_today, to_local, utcnow
from market.core.models import ListenerFailure
from market.core.workdays import add_working_days
from market.credit import facts
from market.credit.disclosure.redlist import RedListData, add_to_red_list
from market.credit.inspections.services import create_plan
from market.credit.records import appeals
from market.credit.risk.models import RiskAlert
from market.extensions import db
from market.notifications.services import notify
from market.payments import services as payments
from market.procurement import services as procurement
from market.procurement.contract_models import Rectification
from market.procurement.models import Notice

from . import factories as make

POOR_SCORES = {"quality": 1, "timeliness": 1, "attitude": 1, "fees": 1, "conduct": 1}
GOOD_RATING = {key: "5" for key in make.GOOD_SCORES}
PDF = (make.PDF_BYTES, "scan.pdf")


@dataclass
class Scene:
    """A form ready to post: its user (None: signed out), address, valid values and known ids."""

    user: object | None
    args: dict = field(default_factory=dict)
    # a value per field that the form and the service accept, so that generated values in
    # the other fields reach the services' own checks too
    good: dict = field(default_factory=dict)
    ids: list = field(default_factory=list)
    query: dict = field(default_factory=dict)
    # the fields of a form built for the data at hand (name -> kind), besides its class's
    fields: dict = field(default_factory=dict)


def yuan(fen: int) -> str:
    """Fen as typed in yuan."""
    return f"{fen // 100}.{fen % 100:02d}"


def local_minute(moment) -> str:
    """A moment as a datetime-local input sends it (Beijing time, to the minute)."""
    return f"{to_local(moment):%Y-%m-%dT%H:%M}"


def org_id(user) -> int:
    """The user's organisation id."""
    return user.organisation.id


def operator():
    """A platform operator."""
    return make.staff("operator", "平台运营中心")


# --- accounts and members ---------------------------------------------------------------------


def login():
    """A visitor signing in as a registered agency."""
    user = make.agency()
    return Scene(None, good={"email": user.email, "password": make.PASSWORD, "remember": "y"})


def logout():
    """A signed-in agency."""
    return Scene(make.agency())


def register():
    """A visitor registering an agency."""
    return Scene(None, {"kind": "agency"}, good=make.registration_form())


def accept_invitation():
    """A visitor with an invitation link to a purchaser's organisation."""
    _, token = invite_member(make.purchaser(), "new.member@example.cn", "member")
    good = {"name": "新成员", "phone": "13900139000", "password": make.PASSWORD}
    good["password_confirm"] = good["password"]
    return Scene(None, {"token": token}, good=good)


def invite():
    """An organisation's admin inviting someone."""
    return Scene(make.purchaser(), good={"email": "invitee@example.cn", "role": "member"})


def revoke_invitation():
    """An admin with a pending invitation."""
    admin = make.purchaser()
    invitation, _ = invite_member(admin, "revoked@example.cn", "member")
    return Scene(admin, {"invitation_id": invitation.id})


def member_action():
    """An admin and one member of the organisation."""
    admin = make.purchaser()
    member = make.member(admin)
    return Scene(admin, {"user_id": member.id}, good={"role": "admin"}, ids=[member.id, admin.id])


# --- notifications ----------------------------------------------------------------------------


def notification():
    """An agency with one notification in its inbox."""
    user = make.agency()
    note = notify(org_id(user), "credit", "测试通知", "正文", "/inbox")
    db.session.flush()
    return Scene(user, {"notification_id": note.id}, good={"open": "1"})


def inbox():
    """An agency with unread notifications."""
    user = make.agency()
    notify(org_id(user), "credit", "测试通知", "正文", "/inbox")
    return Scene(user)


# --- agencies: offerings and the library -------------------------------------------------------


def offering_values(code: str) -> dict:
    """The offering form's values for a fee standard the item accepts."""
    data = make.offering_data(code)
    values = {
        "item_id": str(data.item_id),
        "fee_kind": data.fee_kind,
        "promised_days": str(data.promised_days),
        "fee_note": data.fee_note,
        "service_area": "重庆市全域",
        "description": "服务说明",
        "commitment": "y",
    }
    if data.fee_min_fen:
        values["fee_min"] = yuan(data.fee_min_fen)
    if data.fee_max_fen:
        values["fee_max"] = yuan(data.fee_max_fen)
    if data.fee_rate_bp:
        values["fee_rate"] = f"{data.fee_rate_bp / 100:.2f}"
    return values


def new_offering():
    """An agency adding an item it does not offer yet."""
    user = make.agency()
    other = make.item("ZJ010")
    return Scene(user, good=offering_values("ZJ010"), ids=[other.id, make.item().id])


def own_offering():
    """An agency and its offering."""
    user = make.agency()
    offering = agency_of(user).offerings[0]
    return Scene(
        user, {"offering_id": offering.id}, good=offering_values("ZJ012"), ids=[offering.item_id]
    )


def upload():
    """An agency uploading to its library."""
    return Scene(make.agency(), good={"kind": "qualification", "title": "资质证书", "file": PDF})


def own_document():
    """An agency and a file in its library."""
    user = make.agency()
    return Scene(user, {"document_id": make.document(user).id})


def new_practitioner():
    """An agency registering a practitioner."""
    user = make.agency()
    document = make.document(user)
    good = {
        "name": "李四",
        "certificate": "环境影响评价工程师职业资格证书",
        "certificate_number": "HP00001234",
        "id_number": make.id_number(),
        "document_id": str(document.id),
        "commitment": "y",
    }
    return Scene(user, good=good, ids=[document.id])


def own_practitioner():
    """An agency and its practitioner."""
    user = make.agency()
    return Scene(user, {"practitioner_id": make.practitioner(user).id}, good={"active": "0"})


def new_qualification():
    """An agency declaring a qualification."""
    user = make.agency()
    document = make.document(user)
    item = make.item()
    good = {
        "item_id": str(item.id),
        "type": item.implementing_requirement or "专业技术能力证明",
        "grade": "乙级",
        "number": "ZZ-123456",
        "issuer": "重庆市规划和自然资源局",
        "valid_until": f"{to_local(utcnow()).date() + timedelta(days=365)}",
        "document_id": str(document.id),
        "commitment": "y",
    }
    return Scene(user, good=good, ids=[item.id, document.id])


def declared_qualification():
    """The regulator of the item's department and a declared qualification."""
    qualification = make.qualification(make.agency())
    regulator = make.staff("regulator", "生态环境部门")
    good = {"note": "已核验原件", "reason": "证书编号查无此证"}
    return Scene(regulator, {"qualification_id": qualification.id}, good=good)


# --- procurement: notices and bids --------------------------------------------------------------


def notice_values(buyer) -> dict:
    """The notice form's values, with a file from the purchaser's library attached."""
    document = make.document(buyer, kind="notice", title="采购需求书")
    return {
        "item_id": str(make.item().id),
        "title": "环境影响评价服务采购",
        "scope": "编制环境影响报告书",
        "ceiling": "100000",
        "service_days": "30",
        "deadline": local_minute(add_working_days(utcnow(), 5)),
        "contact_name": "王五",
        "contact_phone": "023-67001234",
        "method": "lowest",
        "attachment_ids": str(document.id),
    }


def new_notice():
    """A purchaser drafting a notice (an agency to avoid or invite exists)."""
    buyer = make.purchaser()
    agency = make.agency()
    return Scene(buyer, good=notice_values(buyer), ids=[make.item().id, org_id(agency)])


def draft_notice():
    """A purchaser and its draft notice."""
    buyer = make.purchaser()
    notice = make.notice(buyer, publish=False)
    good = notice_values(buyer) | {"revision": str(notice.revision)}
    return Scene(buyer, {"notice_id": notice.id}, good=good, ids=[make.item().id])


def published_notice():
    """A purchaser and its published notice."""
    buyer = make.purchaser()
    notice = make.notice(buyer)
    return Scene(buyer, {"notice_id": notice.id}, good={"reason": "项目取消"})


def failed_notice():
    """A purchaser and its notice that failed for want of quotes."""
    buyer = make.purchaser()
    notice = make.notice(buyer)
    make.close_bidding(notice)
    return Scene(buyer, {"notice_id": notice.id})


def bidder():
    """An agency with a qualification and a file, and a notice taking quotes."""
    notice = make.notice()
    agency = make.agency()
    qualification = make.qualification(agency)
    document = make.document(agency)
    good = {
        "amount": "80000",
        "plan": "方案",
        "qualification_ids": str(qualification.id),
        "document_ids": str(document.id),
    }
    return Scene(agency, {"notice_id": notice.id}, good=good, ids=[qualification.id, document.id])


def invalidated_bidder():
    """A bidder whose quote an edit of the notice invalidated."""
    scene = bidder()
    notice = db.session.get(Notice, scene.args["notice_id"])
    bid = make.bid(scene.user, notice)
    notice.revision += 1  # as an edit of the published notice does
    bid.status = "invalidated"
    db.session.flush()
    return scene


def direct_choice():
    """A purchaser choosing among the quotes of a closed notice."""
    buyer = make.purchaser()
    notice, bids = make.opened_notice("direct", purchaser_user=buyer)
    good = {"bid_id": str(bids[0].id), "reason": "报价合理，业绩良好"}
    return Scene(buyer, {"notice_id": notice.id}, good=good, ids=[b.id for b in bids])


def technical_scores():
    """A purchaser scoring the quotes of a closed scored notice (one field per quote)."""
    buyer = make.purchaser()
    notice, bids = make.opened_notice("scored", purchaser_user=buyer)
    fields = {f"score_{b.id}": "int" for b in bids}
    return Scene(buyer, {"notice_id": notice.id}, good=dict.fromkeys(fields, "80"), fields=fields)


# --- procurement: after the award ----------------------------------------------------------------


def awarded_purchaser():
    """The purchaser of an awarded notice, signing first."""
    notice, buyer, _ = make.awarded_notice()
    return Scene(buyer, {"notice_id": notice.id}, good={"file": PDF})


def contracted_agency():
    """The agency of a signed contract."""
    notice, _, winner = make.contracted_notice()
    return Scene(winner, {"notice_id": notice.id}, good={"note": "报告书5份", "files": [PDF]})


def contracted_purchaser():
    """The purchaser of a signed contract."""
    notice, buyer, _ = make.contracted_notice()
    return Scene(buyer, {"notice_id": notice.id}, good={"reason": "项目取消"})


def delivered_purchaser():
    """The purchaser of a delivered contract."""
    notice, buyer, _ = make.delivered_notice()
    good = GOOD_RATING | {"comment": "成果扎实", "evaluate": "1", "reason": "份数不足"}
    return Scene(buyer, {"notice_id": notice.id}, good=good)


def accepted_purchaser():
    """The purchaser of an accepted contract, rating the agency."""
    notice, buyer, _ = make.accepted_notice()
    return Scene(buyer, {"notice_id": notice.id}, good=GOOD_RATING | {"comment": "成果扎实"})


def accepted_agency():
    """The agency of an accepted contract, rating the purchaser."""
    notice, _, winner = make.accepted_notice()
    return Scene(winner, {"notice_id": notice.id}, good=GOOD_RATING | {"comment": "配合顺畅"})


def rival_in_publicity():
    """The losing bidder of a notice in publicity."""
    notice, _, _, rival = make.publicity_notice()
    return Scene(rival, {"notice_id": notice.id}, good={"reasons": "中选报价有误", "files": [PDF]})


def objection(answered=False):
    """A notice in publicity, its purchaser and an objection filed (and answered)."""
    notice, buyer, _, rival = make.publicity_notice()
    filed = procurement.file_objection(rival, notice, "中选报价有误")
    if answered:
        procurement.answer_objection(buyer, notice, filed.id, "已复核，报价无误")
    return notice, buyer, filed


def open_objection():
    """The purchaser answering an objection."""
    notice, buyer, filed = objection()
    args = {"notice_id": notice.id, "objection_id": filed.id}
    return Scene(buyer, args, good={"answer": "已复核，报价无误"})


def answered_objection():
    """The item's regulator deciding an answered objection."""
    notice, _, filed = objection(answered=True)
    args = {"notice_id": notice.id, "objection_id": filed.id}
    good = {"outcome": "rejected", "decision": "异议理由不成立", "exclude_winner": ""}
    return Scene(make.regulator_for(notice), args, good=good)


def poorly_rated():
    """The agency of an evaluated notice rated poorly, and the rectification it opened."""
    _, _, winner = make.evaluated_notice(agency_scores=POOR_SCORES)
    case = db.session.scalars(select(Rectification).order_by(Rectification.id.desc())).first()
    return winner, case


def rectification():
    """A poorly rated agency answering its rectification."""
    winner, case = poorly_rated()
    return Scene(winner, {"rectification_id": case.id}, good={"answer": "已整改"})


def followup():
    """An operator following up an answered rectification."""
    winner, case = poorly_rated()
    procurement.answer_rectification(winner, case.id, "已整改")
    good = {"note": "电话回访，整改到位", "status": "answered"}
    return Scene(operator(), {"rectification_id": case.id}, good=good)


# --- credit -------------------------------------------------------------------------------------


def criterion_code():
    """An operator and a criterion no system fact is reported under (so it can be withdrawn)."""
    good = {
        "behaviour": "违反规定收费或超标准收费",
        "severity": "major",
        "deduction": "12",
        "measure": "suspend",
        "suspend_months": "3",
        "publish_months": "12",
        "change_note": "依据新规修订",
        "note": "已被新标准取代",
    }
    return Scene(operator(), {"code": "A07"}, good=good)


def fact_key():
    """An operator and one of the system's facts."""
    key = next(iter(facts.FACTS))
    good = {"code": facts.FACTS[key].default_code, "note": "调整依据"}
    return Scene(operator(), {"fact_key": key}, good=good)


def new_criterion():
    """An operator adding a criterion."""
    good = criterion_code().good | {"code": "A99", "party": "agency", "change_note": ""}
    return Scene(operator(), good=good)


def inspection_regulator():
    """A regulator drawing an inspection plan over its department's agencies."""
    make.agency()
    good = {f"rate_{grade}": "10" for grade in "ABCD"} | {"title": "双随机抽查"}
    return Scene(make.staff("regulator", "生态环境部门"), good=good)


def inspection():
    """A regulator and one inspection of its plan."""
    make.agency()
    regulator = make.staff("regulator", "生态环境部门")
    plan = create_plan(regulator, dict.fromkeys("ABCD", 10000))
    args = {"plan_id": plan.id, "inspection_id": plan.inspections[0].id}
    good = {"result": "passed", "findings": "", "criterion": "A09"}
    return Scene(regulator, args, good=good)


def reported_record():
    """An agency responding to a report against it."""
    record, _, agency = make.conduct_report()
    return Scene(agency, {"record_id": record.id}, good={"text": "情况说明"})


def record_to_decide(frozen_clock):
    """A regulator deciding a report once the response window has passed."""
    record, regulator, _ = make.conduct_report()
    frozen_clock.set(record.response_due_dt + timedelta(minutes=1))
    good = {
        "outcome": "confirmed",
        "code": "A05",
        "decision_number": "生环信决〔2026〕1号",
        "reason": "事实清楚",
    }
    return Scene(regulator, {"record_id": record.id}, good=good)


def record_to_publish():
    """A regulator and a confirmed record not yet disclosed."""
    record, regulator, _ = make.confirmed_record(publish=False)
    return Scene(regulator, {"record_id": record.id})


def record_to_appeal():
    """An agency and its confirmed, disclosed record."""
    record, _, agency = make.confirmed_record()
    return Scene(agency, {"record_id": record.id}, good={"text": "签约逾期系采购人原因"})


def appealed_record():
    """A regulator deciding an appeal."""
    record, regulator, agency = make.confirmed_record()
    appeals.appeal(agency, record.id, "签约逾期系采购人原因")
    good = {"outcome": "upheld", "decision_number": "生环复决〔2026〕1号", "reason": "维持"}
    return Scene(regulator, {"record_id": record.id}, good=good)


def record_to_repair(frozen_clock):
    """An agency whose record may be repaired now."""
    record, _, agency = make.confirmed_record()
    frozen_clock.set(record.repair_from_dt + timedelta(days=1))
    good = {"text": "已建立签约时限提醒制度", "files": [PDF]}
    return Scene(agency, {"record_id": record.id}, good=good)


def repair_requested(frozen_clock):
    """A regulator deciding a repair request."""
    record, regulator, agency = make.confirmed_record()
    frozen_clock.set(record.repair_from_dt + timedelta(days=1))
    proof = Upload("other", "整改报告", "fix.pdf", make.PDF_BYTES)
    appeals.request_repair(agency, record.id, "已建立签约时限提醒制度", [proof])
    return Scene(regulator, {"record_id": record.id}, good={"outcome": "approve", "reason": ""})


def records_to_confirm(frozen_clock):
    """A regulator with two reports past their response window."""
    first, regulator, _ = make.conduct_report()
    second, _, _ = make.conduct_report(code="A06", regulator=regulator)
    frozen_clock.set(second.response_due_dt + timedelta(minutes=1))
    good = {
        "record_ids": [str(first.id), str(second.id)],
        "decision_number": "生环信决〔2026〕2号",
        "reason": "事实清楚",
    }
    return Scene(regulator, good=good, ids=[first.id, second.id])


def red_list_regulator():
    """A regulator putting an agency on the red list."""
    agency = make.agency()
    good = {
        "agency": agency.organisation.uscc,
        "reason": "连续三年服务评价优秀",
        "decision_number": "生环信激〔2026〕3号",
        "bonus": "3",
        "months": "12",
    }
    return Scene(make.staff("regulator", "生态环境部门"), good=good)


def red_list_entry():
    """A regulator and the red-list entry it made."""
    scene = red_list_regulator()
    data = RedListData(**{k: scene.good[k] for k in ("agency", "reason", "decision_number")})
    data.bonus, data.months = 3, 12
    entry = add_to_red_list(scene.user, data)
    return Scene(scene.user, {"entry_id": entry.id}, good={"reason": "出现不良行为"})


def purchaser_report():
    """A purchaser reporting a bidder from its notice."""
    buyer = make.purchaser()
    notice = make.notice(buyer)
    agency = make.agency()
    make.bid(agency, notice)
    good = {"subject_org_id": str(org_id(agency)), "code": "A05", "facts": "中选后拒不签约"}
    return Scene(buyer, query={"notice_id": notice.id}, good=good, ids=[org_id(agency), notice.id])


def regulator_report():
    """A regulator reporting an agency by its credit code."""
    agency = make.agency()
    good = {"subject_uscc": agency.organisation.uscc, "code": "A05", "facts": "出具虚假报告"}
    return Scene(make.staff("regulator", "生态环境部门"), good=good, ids=[org_id(agency)])


def risk_alert():
    """A regulator and the alerts raised by two agencies quoting the same amount."""
    first, second = make.agency(), make.agency()
    notice = make.method_notice("direct")
    for user in (first, second):
        procurement.submit_bid(user, notice, 80_000_00, "方案")
    make.close_bidding(notice)
    alert = db.session.scalars(select(RiskAlert).order_by(RiskAlert.id)).first()
    good = {"code": "A02", "org_id": str(org_id(first)), "facts": "报价雷同", "reason": "巧合"}
    return Scene(
        make.staff("regulator", "生态环境部门"),
        {"alert_id": alert.id},
        good=good,
        ids=[org_id(first), org_id(second)],
    )


def listener_failure():
    """An operator and a recorded listener failure (written as a row: none really failed)."""
    row = ListenerFailure(
        occurred_dt=utcnow(),
        event="contract_completed",
        listener="tests.fuzz_scenes.listener",
        subject_type="notice",
        subject_id=1,
        message="RuntimeError: test",
    )
    db.session.add(row)
    db.session.flush()
    return Scene(operator(), {"failure_id": row.id})


# --- payments --------------------------------------------------------------------------------

SPLIT = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]


def _advance():
    """A signed contract's advance, due now: (milestone, purchaser, agency, notice)."""
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    return payments.contract_milestones(notice.contract.id)[0], buyer, winner, notice


def _recorded():
    """A signed contract's advance whose bank transfer the purchaser recorded."""
    milestone, buyer, winner, notice = _advance()
    make.bank_transfer(buyer, milestone)
    return milestone, buyer, winner, notice


def due_milestone_purchaser():
    """The purchaser of a milestone due now, recording its transfer (or paying online)."""
    milestone, buyer, _, _ = _advance()
    voucher = make.document(buyer, kind="voucher", title="银行回单")
    good = {
        "paid_on": f"{local_today():%Y-%m-%d}",
        "amount": yuan(milestone.amount_fen),
        "bank_reference": "31000012345678",
        "document_id": str(voucher.id),
    }
    return Scene(buyer, {"milestone_id": milestone.id}, good=good, ids=[voucher.id])


def recorded_milestone_agency():
    """The agency of a milestone whose transfer the purchaser recorded."""
    milestone, _, winner, _ = _recorded()
    return Scene(winner, {"milestone_id": milestone.id}, good={"reason": "截至今日未到账"})


def disputed_milestone_regulator():
    """A regulator of the item's department, deciding a disputed transfer."""
    milestone, _, winner, notice = _recorded()
    payments.dispute_payment(winner, milestone, "截至今日未到账")
    good = {"outcome": "paid", "note": "银行回单为证"}
    return Scene(make.regulator_for(notice), {"milestone_id": milestone.id}, good=good)


def held_milestone_regulator():
    """A regulator facing held funds (recorded as an earlier online payment)."""
    milestone, buyer, _, notice = _advance()
    make.held_funds(buyer, milestone)
    good = {"amount": "100.00", "reason": "部分成果未交付"}
    return Scene(make.regulator_for(notice), {"milestone_id": milestone.id}, good=good)


def payout_agency():
    """An agency opening its payout account (refused while payments are offline)."""
    return Scene(make.agency())


def webhook():
    """The gateway's webhook: anyone may post, only a signed body counts."""
    return Scene(None)


# --- the catalogue ------------------------------------------------------------------------------

KEEPING_DEPARTMENT = "生态环境部门"


def _item_values(**overrides) -> dict:
    values = {
        "code": "ZJ950",
        "name": "排污许可申请材料编制",
        "licensing_item": "排污许可",
        "legal_basis": "《排污许可管理条例》",
        "fee_type": "market",
        "fee_basis": "市场调节价",
        "category": "环境评价",
        "list_kind": "licensing",
        "reason": "依据条例新增",
        "effective_on": local_today().isoformat(),
    }
    return values | overrides


def catalogue_keeper():
    """A regulator of the department approving ZJ012, recording a new item."""
    return Scene(make.staff("regulator", KEEPING_DEPARTMENT), good=_item_values())


def kept_item():
    """The department's regulator changing or withdrawing ZJ012."""
    item = make.item("ZJ012")
    good = _item_values(
        code=item.code,
        name=item.name + "（修订）",
        licensing_item=item.licensing_item,
        legal_basis=item.legal_basis,
        category=item.category,
        reason="按省级清单统一名称",
    )
    return Scene(make.staff("regulator", KEEPING_DEPARTMENT), {"item_id": item.id}, good=good)


def _draft(keeper, code="ZJ950"):
    values = values_from_text(
        _item_values(code=code) | {"approving_department": KEEPING_DEPARTMENT}
    )
    return catalogue_revisions.create_item(values, "新增", keeper)


def drafts_to_publish():
    """The department's regulator with a draft to publish as a batch."""
    keeper = make.staff("regulator", KEEPING_DEPARTMENT)
    draft = _draft(keeper)
    good = {"title": "第一批", "publishes_on": local_today().isoformat(), "items": draft.id}
    return Scene(keeper, good=good, ids=[draft.id])


def published_batch():
    """The department's regulator with a published batch to take online."""
    keeper = make.staff("regulator", KEEPING_DEPARTMENT)
    batch = catalogue_batches.publish_items(
        KEEPING_DEPARTMENT, [_draft(keeper).id], "第一批", local_today(), keeper
    )
    good = {"online_on": local_today().isoformat()}
    return Scene(keeper, {"number": batch.number}, good=good)


def checked_import():
    """The department's regulator with a checked import of one new item to apply."""
    keeper = make.staff("regulator", KEEPING_DEPARTMENT)
    text = {k: str(v) for k, v in _item_values(code="ZJ951").items()} | {"line": 2}
    text["approving_department"] = KEEPING_DEPARTMENT
    job = CatalogueImport(
        department=KEEPING_DEPARTMENT,
        filename="清单.xlsx",
        rows=[text],
        outcomes=[],
        uploaded_by_id=keeper.id,
    )
    db.session.add(job)
    db.session.flush()
    catalogue_imports.check_chunk(job)
    good = {"title": "导入批次", "publishes_on": local_today().isoformat()}
    return Scene(keeper, {"job_id": job.id}, good=good)


# --- quotes changed, questions, replies, model contracts, subscriptions -------------------------


def quoted_bidder():
    """An agency whose quote stands on a notice taking quotes: it replaces or withdraws it."""
    scene = bidder()
    notice = db.session.get(Notice, scene.args["notice_id"])
    make.bid(scene.user, notice, 90_000_00)
    return scene


def asking_agency():
    """An agency asking about a notice taking quotes."""
    return Scene(
        make.agency(), {"notice_id": make.notice().id}, good={"question": "服务期限能否延长？"}
    )


def asked_purchaser():
    """The purchaser of a notice an agency asked about, answering."""
    buyer = make.purchaser()
    notice = make.notice(buyer)
    question = procurement.ask_question(make.agency(), notice, "服务期限能否延长？")
    args = {"notice_id": notice.id, "question_id": question.id}
    return Scene(buyer, args, good={"answer": "以公告为准"})


def rated_agency():
    """The agency the purchaser rated, both ratings public: it replies to the rating."""
    notice, buyer, winner = make.accepted_notice()
    rating = procurement.evaluate(buyer, notice, make.GOOD_SCORES, "按期交付")
    procurement.evaluate(winner, notice, make.GOOD_SCORES, "配合顺畅")
    args = {"notice_id": notice.id, "evaluation_id": rating.id}
    return Scene(winner, args, good={"reply": "感谢评价，继续努力"})


def model_contract_keeper():
    """The department's regulator revising ZJ012's model contract."""
    item = make.item("ZJ012")
    good = {
        "title": "环评技术服务合同",
        "body": "委托方：【采购人】\n受托方：【中介机构】\n金额：【合同金额】",
        "note": "首次发布",
    }
    return Scene(make.staff("regulator", KEEPING_DEPARTMENT), {"item_id": item.id}, good=good)


def subscriber():
    """An agency saving a search."""
    return Scene(make.agency(), good={"words": "环评 礼嘉", "frequency": "daily"})


def item_follower():
    """An agency following ZJ012."""
    return Scene(make.agency(), {"item_id": make.item("ZJ012").id}, good={"frequency": "instant"})


def notice_follower():
    """An agency following a notice taking quotes."""
    return Scene(make.agency(), {"notice_id": make.notice().id})


def own_subscription():
    """An agency deleting its saved search."""
    agency = make.agency()
    subscription = alerts.save_search(agency, "环评", None, "daily")
    return Scene(agency, {"subscription_id": subscription.id})


# --- one's own password, e-mail and organisation data ----------------------------------------

NEW_PASSWORD = "Lj2026-wetland-report"


def password_changer():
    """A signed-in agency changing its password."""
    good = {
        "current_password": make.PASSWORD,
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    return Scene(make.agency(), good=good)


def password_forgotten():
    """A visitor asking for a reset link."""
    return Scene(None, good={"email": make.agency().email})


def password_reset():
    """A visitor with a live reset link."""
    _, token = credentials.password_reset_for(make.agency().email)
    good = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    return Scene(None, {"token": token}, good=good)


def email_changer():
    """A signed-in agency changing its login e-mail."""
    return Scene(make.agency(), good={"email": "moved@example.cn", "password": make.PASSWORD})


def org_data_admin():
    """An agency's admin editing its registered data."""
    admin = make.agency()
    org = admin.organisation
    good = {
        "name": org.name,
        "legal_representative": org.legal_representative or "张三",
        "region": org.region or "重庆市渝北区",
        "address": "重庆市渝北区金开大道 88 号",
        "contact_name": "李四",
        "contact_phone": "023-67001234",
        "contact_email": "office@example.cn",
    }
    return Scene(admin, good=good)
