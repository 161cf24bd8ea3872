"""Factory helpers: real services with defaults, so tests only say what matters to them."""

import itertools
from datetime import timedelta

from sqlalchemy import select
from stdnum.cn import ric
from stdnum.cn.uscc import calc_check_digit

from market.accounts.services import Registration, create_staff_user, register_organisation
from market.agencies.documents import Upload, store_document
from market.agencies.practitioners import PractitionerData, add_practitioner
from market.agencies.qualifications import QualificationData, declare_qualification
from market.agencies.services import OfferingData, declare_offering
from market.catalogue.models import ServiceItem
from market.core.clock import local_today, utcnow
from market.core.workdays import add_working_days
from market.extensions import db
from market.procurement import services as procurement
from market.procurement.runner import apply_due

PASSWORD = "secret-pass-1"
_counter = itertools.count(1)


def uscc(n=None):
    """A valid 统一社会信用代码, different for each call."""
    n = next(_counter) if n is None else n
    body = f"91500112{n:09d}"
    return body + calc_check_digit(body)


def service_item(code, status="online", **overrides):
    """A catalogue item of our own, in any status, for tests about the catalogue's rules."""
    values = dict(
        code=code,
        name=f"测试事项{code}",
        licensing_item="测试审批",
        legal_basis="《测试条例》",
        approving_department="测试部门",
        category="测试",
        list_kind="licensing",
        status=status,
    )
    values.update(overrides)
    new_item = ServiceItem(**values)
    db.session.add(new_item)
    db.session.flush()
    return new_item


def item(code="ZJ012"):
    return db.session.scalar(select(ServiceItem).where(ServiceItem.code == code))


def registration(kind="agency", **overrides):
    n = next(_counter)
    values = dict(
        kind=kind,
        org_name=f"测试{'机构' if kind == 'agency' else '采购单位'}{n}有限公司",
        uscc=uscc(n),
        # distinct people and phones: shared ones are what risk alerts look for
        legal_representative=f"法人{n}",
        region="重庆市渝北区",
        address="重庆市渝北区金开大道1号",
        contact_name=f"联系人{n}",
        contact_phone=f"138{n:08d}",
        email=f"user{n}@example.cn",
        password=PASSWORD,
        commitment_signed=True,
    )
    values.update(overrides)
    return Registration(**values)


def registration_form(kind="agency", **overrides):
    """What a person types into the registration form (None leaves a field out)."""
    reg = registration(kind)
    data = {
        "org_name": reg.org_name,
        "uscc": reg.uscc,
        "legal_representative": reg.legal_representative,
        "region": reg.region,
        "address": reg.address,
        "contact_name": reg.contact_name,
        "contact_phone": reg.contact_phone,
        "email": reg.email,
        "password": reg.password,
        "password_confirm": reg.password,
        "commitment": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def offering_data(code="ZJ012", **overrides):
    """An offering's form data with a fee standard the item's fee type accepts."""
    it = item(code) or db.session.scalar(select(ServiceItem).where(ServiceItem.code == code))
    if it.is_government_priced and it.fee_is_rate:
        fee = dict(fee_kind="rate", fee_rate_bp=it.fee_rate_min_bp, fee_note="按评估总价计取")
    elif it.is_government_priced:
        fee = dict(fee_kind="fixed", fee_min_fen=it.fee_min_fen)
    else:
        fee = dict(fee_kind="range", fee_min_fen=30_000_00, fee_max_fen=50_000_00)
    values = dict(item_id=it.id, promised_days=20, commitment_signed=True, **fee)
    values.update(overrides)
    return OfferingData(**values)


def agency(items=("ZJ012",), **overrides):
    """A registered agency user offering the given catalogue item codes."""
    user = register_organisation(registration("agency", **overrides))
    for code in items:
        declare_offering(user, offering_data(code))
    return user


def purchaser(**overrides):
    return register_organisation(registration("purchaser", **overrides))


def staff(role="regulator", org_name="生态环境部门"):
    n = next(_counter)
    return create_staff_user(role, f"{role}{n}@example.cn", f"{role}{n}", PASSWORD, org_name)


def notice_data(code="ZJ012", ceiling_fen=100_000_00, deadline=None, **overrides):
    values = dict(
        item_id=item(code).id,
        title="礼嘉智慧公园环境影响评价服务采购",
        scope="编制环境影响报告书",
        ceiling_fen=ceiling_fen,
        service_days=30,
        deadline_dt=deadline or add_working_days(utcnow(), 5),
        contact_name="王五",
        contact_phone="023-67001234",
    )
    values.update(overrides)
    return procurement.NoticeData(**values)


def notice(purchaser_user=None, publish=True, **overrides):
    """A notice (published by default) taking quotes until 5 working days from now."""
    purchaser_user = purchaser_user or purchaser()
    n = procurement.create_notice(purchaser_user, notice_data(**overrides))
    if publish:
        procurement.publish_notice(purchaser_user, n)
    return n


def bid(agency_user, notice_, amount_fen=80_000_00, plan="方案"):
    return procurement.submit_bid(agency_user, notice_, amount_fen, plan)


def close_bidding(notice_):
    """Move the clock just past the notice's deadline and apply it."""
    from market.core import clock

    clock.freeze(notice_.deadline_dt + timedelta(minutes=1))
    apply_due(notice_)


def contracted_notice(amount_fen=80_000_00, **fields):
    """A notice (with `fields`, e.g. a payment_plan) whose publicity has ended and whose
    contract both parties have signed: (notice, purchaser user, winning agency user)."""
    from market.core import clock

    buyer = purchaser()
    winner = agency()
    n = notice(buyer, **fields)
    winning_bid = bid(winner, n, amount_fen)
    bid(agency(), n, amount_fen + 1000_00)
    close_bidding(n)
    procurement.select_bid(buyer, n, winning_bid.id, "报价最低，业绩良好")
    clock.freeze(n.publicity_end_dt + timedelta(minutes=1))
    apply_due(n)
    procurement.sign_contract(buyer, n, contract_pdf())
    procurement.sign_contract(winner, n)
    return n, buyer, winner


# --- qualifications, practitioners, documents -------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def document(agency_user, kind="qualification", title="资质证书扫描件", content=PDF_BYTES):
    """A file in the agency's library (written under the test app's upload folder)."""
    return store_document(agency_user, Upload(kind, title, "scan.pdf", content))


def qualification(agency_user, code="ZJ012", valid_days=365, **overrides):
    """A qualification declared by the agency for an item, valid `valid_days` from today."""
    values = dict(
        item_id=item(code).id,
        type=item(code).implementing_requirement or "专业技术能力证明",
        grade="乙级",
        number=f"ZZ-{next(_counter):06d}",
        issuer="重庆市规划和自然资源局",
        valid_until=local_today() + timedelta(days=valid_days),
        commitment_signed=True,
    )
    values.update(overrides)
    return declare_qualification(agency_user, QualificationData(**values))


def id_number(n=None):
    """A valid 18-digit resident ID number, different for each call."""
    n = next(_counter) if n is None else n
    body = f"500112198{n % 10}0101{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def practitioner(agency_user, **overrides):
    values = dict(
        name="李四",
        certificate="环境影响评价工程师职业资格证书",
        certificate_number=f"HP{next(_counter):08d}",
        id_number=id_number(),
        commitment_signed=True,
    )
    values.update(overrides)
    return add_practitioner(agency_user, PractitionerData(**values))


# --- organisation members ---------------------------------------------------------------


def member(admin_user, role="member", name=None, email=None):
    """A user who joined the admin's organisation by accepting an invitation."""
    from market.accounts.members import accept_invitation, invite_member

    n = next(_counter)
    _, token = invite_member(admin_user, email or f"member{n}@example.cn", role)
    return accept_invitation(token, name or f"成员{n}", "13900139000", PASSWORD)


# --- selection methods: notices by method, quotes, opened notices -------------------------

#: what each method needs on the notice besides its key
METHOD_FIELDS = {
    "random": dict(method_reason="公平竞争审查：常规小额服务，随机抽取保证各机构机会均等"),
    "scored": dict(weight_price=40, weight_credit=20, weight_technical=40),
}


def method_notice(method="lowest", purchaser_user=None, **overrides):
    """A published notice selecting by `method`, with the fields that method needs."""
    values = {"method": method, **METHOD_FIELDS.get(method, {}), **overrides}
    return notice(purchaser_user, **values)


def quotes(notice_, amounts, credit_scores=None):
    """One new agency per amount (None: a registration at the fixed price), optionally with
    credit scores; returns the bids in order."""
    from market.agencies.services import agency_of

    bids = []
    for i, amount in enumerate(amounts):
        user = agency(items=(notice_.item.code,))
        if credit_scores is not None:
            agency_of(user).credit_score = credit_scores[i]
        bids.append(procurement.submit_bid(user, notice_, amount, "方案"))
    return bids


def opened_notice(method="lowest", amounts=(80_000_00, 90_000_00), credit_scores=None, **kw):
    """A notice of `method` with one quote per amount, just past its deadline: (notice, bids)."""
    n = method_notice(method, **kw)
    bids = quotes(n, amounts, credit_scores)
    close_bidding(n)
    return n, bids


# --- publicity, objections, contracts, evaluations --------------------------------------


def contract_pdf(title="服务合同（签字盖章版）"):
    """The signed contract a first signer uploads."""
    return Upload("contract", title, "contract.pdf", PDF_BYTES)


def regulator_for(notice_):
    """A regulator of the department that approves the notice's item."""
    department = notice_.item.approving_department
    return staff("regulator", department)


def publicity_notice(amount_fen=80_000_00):
    """A notice whose result is in publicity: (notice, purchaser, winner, rival), the rival's
    quote higher."""
    buyer = purchaser()
    winner, rival = agency(), agency()
    n = notice(buyer)
    winning_bid = bid(winner, n, amount_fen)
    bid(rival, n, amount_fen + 1000_00)
    close_bidding(n)
    procurement.select_bid(buyer, n, winning_bid.id, "报价最低，业绩良好")
    return n, buyer, winner, rival


def awarded_notice(amount_fen=80_000_00):
    """A notice awarded at the end of publicity, its contract not yet signed:
    (notice, purchaser user, winning agency user)."""
    from market.core import clock

    n, buyer, winner, _ = publicity_notice(amount_fen)
    clock.freeze(n.publicity_end_dt + timedelta(minutes=1))
    apply_due(n)
    return n, buyer, winner


def delivered_notice(note="报告书5份", **fields):
    """A contracted notice whose agency has delivered: (notice, purchaser, agency)."""
    n, buyer, winner = contracted_notice(**fields)
    procurement.mark_delivered(winner, n, note)
    return n, buyer, winner


def accepted_notice(**fields):
    """A delivered notice the purchaser has accepted, evaluations open: (notice, purchaser,
    agency)."""
    n, buyer, winner = delivered_notice(**fields)
    procurement.accept_delivery(buyer, n)
    return n, buyer, winner


GOOD_SCORES = {"quality": 5, "timeliness": 4, "attitude": 5, "fees": 4, "conduct": 5}


def evaluated_notice(agency_scores=None, purchaser_scores=None):
    """An accepted notice both parties have rated (the purchaser first): (notice, purchaser,
    agency)."""
    n, buyer, winner = accepted_notice()
    procurement.evaluate(buyer, n, agency_scores or GOOD_SCORES, "成果扎实")
    procurement.evaluate(winner, n, purchaser_scores or GOOD_SCORES, "配合顺畅")
    return n, buyer, winner


# --- credit: conduct records ------------------------------------------------------------------


def credit_regulator(department="生态环境部门"):
    """A regulator of the department that approves ZJ012 (by default)."""
    return staff("regulator", department)


def conduct_report(agency_user=None, code="A05", regulator=None, facts="中选后未按期签订合同"):
    """A record a regulator reported against an agency (its department: 生态环境部门):
    (record, regulator, agency user)."""
    from market.credit.records.services import ReportData, report

    agency_user = agency_user or agency()
    regulator = regulator or credit_regulator()
    record = report(
        regulator,
        ReportData(subject_org_id=agency_user.organisation.id, code=code, facts=facts),
    )
    return record, regulator, agency_user


def confirmed_record(code="A05", agency_user=None, number="生环信决〔2026〕1号", publish=True):
    """A record confirmed (and disclosed) after the response window passed:
    (record, regulator, agency user). The clock is left just after the response window."""
    from market.core import clock
    from market.credit.records import services as records

    record, regulator, agency_user = conduct_report(agency_user, code)
    clock.freeze(record.response_due_dt + timedelta(minutes=1))
    records.decide(regulator, record.id, "confirmed", number, "事实清楚")
    if publish:
        records.publish(regulator, record.id)
    return record, regulator, agency_user


# --- payments ------------------------------------------------------------------------------


def bank_transfer(buyer, milestone, **overrides):
    """The purchaser's record of a bank transfer paying `milestone` in full today, with a
    voucher from its library."""
    from market.payments import services as payments

    values = dict(
        paid_on=local_today(),
        amount_fen=milestone.amount_fen,
        bank_reference="31000012345678",
        document_id=document(buyer, kind="voucher", title="银行回单").id,
    )
    values.update(overrides)
    return payments.record_transfer(buyer, milestone, **values)


def held_funds(buyer, milestone):
    """`milestone` paid online earlier and its funds held (recorded as the gateway's events
    record it, without a gateway)."""
    from market.payments import services as payments
    from market.payments.models import Payment

    attempt = Payment(
        milestone=milestone,
        method="stripe",
        status="open",
        amount_fen=milestone.amount_fen,
        created_by_id=buyer.id,
        idempotency_key=f"checkout-test-{milestone.id}",
    )
    db.session.add(attempt)
    db.session.flush()
    payments.payment_succeeded(attempt, f"pi_test_{milestone.id}", utcnow())
    return attempt
