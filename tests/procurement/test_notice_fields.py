"""Every field of a notice (docs/design.md §3.1), through the service and the form, each refusal
with its message and nothing written; attachments public once the notice is published."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.agencies.documents import Upload
from market.agencies.models import Document
from market.core.errors import ServiceError
from market.core.models import AuditEvent
from market.procurement import services
from market.procurement.models import Avoidance, Notice

SURVEY = "ZJ018"  # 建设工程竣工规划测量: its legal basis requires 测绘资质（工程测量）
EIA = "ZJ012"  # 环境影响评价: no implementing requirement


def rows(db):
    """What a refused notice must not leave behind."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Notice, Avoidance, Document, AuditEvent)
    )


def login(app, user, make):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert response.status_code == 302
    return client


def full_data(make, **overrides):
    """A scored notice for the survey item with every optional field filled in."""
    values = dict(
        code=SURVEY,
        title="悦来片区竣工规划测量服务采购",
        project_name="悦来会展片区基础设施项目",
        project_code="2101-500112-04-01-123456",
        fiscal_share_pct=60,
        ceiling_fen=150_000_00,
        floor_fen=90_000_00,
        method="scored",
        method_reason="技术方案差异大，需综合评审",
        weight_price=40,
        weight_credit=20,
        weight_technical=40,
        requires_qualification=True,
        min_grade="乙级",
    )
    values.update(overrides)
    return make.notice_data(**values)


# --- through the service --------------------------------------------------------------------


def test_every_field_is_stored(make, db):
    buyer = make.purchaser()
    avoided = make.agency(items=(SURVEY,), org_name="重庆关联测绘有限公司")
    library_file = make.document(buyer, kind="notice", title="项目红线图")
    upload = Upload("notice", "采购需求书", "采购需求书.pdf", make.PDF_BYTES)
    data = full_data(
        make,
        avoidances=[(avoided.organisation.id, "与建设单位存在股权关系")],
        attachment_ids=[library_file.id],
        uploads=[upload],
    )
    notice = services.create_notice(buyer, data)
    assert (notice.project_name, notice.project_code) == (
        "悦来会展片区基础设施项目",
        "2101-500112-04-01-123456",
    )
    assert notice.fiscal_share_pct == 60 and notice.funding_type == "fiscal"
    assert notice.funding_label == "财政资金"
    assert (notice.ceiling_fen, notice.floor_fen) == (150_000_00, 90_000_00)
    assert notice.method == "scored" and notice.method_reason == "技术方案差异大，需综合评审"
    assert (notice.weight_price, notice.weight_credit, notice.weight_technical) == (40, 20, 40)
    assert notice.requires_qualification and notice.min_grade == "乙级"
    assert [(a.agency.name, a.reason) for a in notice.avoidances] == [
        ("重庆关联测绘有限公司", "与建设单位存在股权关系")
    ]
    assert sorted(d.title for d in notice.attachments) == ["采购需求书", "项目红线图"]
    stored = next(d for d in notice.attachments if d.title == "采购需求书")
    assert stored.org_id == buyer.organisation.id and stored.kind == "notice"


def test_defaults_make_a_social_funded_direct_notice(make):
    notice = make.notice(publish=False)
    assert notice.method == "direct" and notice.fiscal_share_pct == 0
    assert notice.funding_type == "social" and notice.funding_label == "社会资金"
    assert notice.project_name == notice.title  # not given: the title names the project
    assert notice.floor_fen is None and not notice.requires_qualification


def test_weights_and_floor_are_dropped_where_the_method_has_none(make):
    buyer = make.purchaser()
    notice = services.create_notice(
        buyer, make.notice_data(method="lowest", weight_price=50, weight_credit=50)
    )
    assert (notice.weight_price, notice.weight_credit, notice.weight_technical) == (0, 0, 0)
    fixed = services.create_notice(
        buyer, make.notice_data(method="credit", ceiling_fen=30_000_00, fiscal_share_pct=100)
    )
    assert fixed.is_fixed_price and fixed.floor_fen is None


def test_direct_selection_with_fiscal_funds_just_below_the_threshold_is_allowed(make):
    notice = make.notice(fiscal_share_pct=1, ceiling_fen=99_999_99)
    assert notice.method == "direct" and notice.funding_type == "fiscal"
    assert notice.state == "published"


def test_social_funds_allow_direct_selection_at_any_ceiling(make):
    assert make.notice(ceiling_fen=500_000_00).state == "published"


THRESHOLD = "财政资金项目直接选取仅适用于最高限价低于 ¥100,000.00 的项目"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"project_code": "2101-50011-04-01-123456"}, "project_code", "格式不正确"),
        ({"project_code": "2113-500112-04-01-123456"}, "project_code", "YYMM-NNNNNN-NN-NN"),
        ({"fiscal_share_pct": 101}, "fiscal_share_pct", "财政资金占比应为 0–100 的整数"),
        (
            {"floor_fen": 100_000_00},
            "floor",
            "最低限价 ¥100,000.00 必须低于最高限价 ¥100,000.00",
        ),
        ({"floor_fen": 120_000_00}, "floor", "必须低于最高限价"),
        (
            {"method": "scored", "weight_price": 50, "weight_credit": 20, "weight_technical": 20},
            "weight_price",
            "综合评审的价格、信用、技术权重之和须为 100，当前为 90",
        ),
        (
            {"method": "scored", "weight_price": 120, "weight_credit": -20},
            "weight_price",
            "均应为 0–100 的整数",
        ),
        ({"method": "random", "method_reason": " "}, "method_reason", "公平竞争审查要求说明"),
        (
            {"method": "random", "method_reason": "小额项目", "floor_fen": 50_000_00},
            "floor",
            "「随机选取」按采购人确定的固定价格报名，不设最低限价",
        ),
        (
            {"method": "credit", "floor_fen": 50_000_00},
            "floor",
            "「信用择优」按采购人确定的固定价格报名，不设最低限价",
        ),
        ({"fiscal_share_pct": 30, "ceiling_fen": 100_000_00}, "method", THRESHOLD),
        ({"fiscal_share_pct": 100, "ceiling_fen": 250_000_00}, "method", THRESHOLD),
        (
            {"requires_qualification": True},
            "requires_qualification",
            "「环境影响评价报告书（表）编制」的设立依据未规定执业资质要求，不得设置资质条件",
        ),
        ({"min_grade": "甲级"}, "min_grade", "只有要求具备该事项规定的执业资质时"),
        ({"code": SURVEY, "min_grade": "乙级"}, "min_grade", "才能设置最低资质等级"),
        (
            {"code": SURVEY, "requires_qualification": True, "min_grade": "特级"},
            "min_grade",
            "最低资质等级只能为甲级、乙级或丙级",
        ),
        ({"avoidances": [(999_999, "与本项目有利害关系")]}, "avoidances", "所选回避机构不存在"),
        ({"avoidances": [(None, "与本项目有利害关系")]}, "avoidances", "请选择要回避的中介机构"),
        ({"title": " "}, "title", "请填写公告标题"),
        ({"scope": ""}, "scope", "请填写服务内容及范围"),
        ({"contact_name": " "}, "contact_name", "请填写联系人"),
        ({"method": "auction"}, "method", "请选择选取方式"),
    ],
)
def test_each_bad_field_is_refused_with_its_message_and_nothing_written(
    make, db, overrides, field, message
):
    buyer = make.purchaser()
    before = rows(db)
    with pytest.raises(ServiceError, match=re.escape(message)) as err:
        services.create_notice(buyer, make.notice_data(**overrides))
    assert err.value.field == field
    assert rows(db) == before


def test_the_deadline_must_leave_three_working_days(make, db, frozen_clock):
    buyer = make.purchaser()
    before = rows(db)
    early = frozen_clock.now + timedelta(days=2)
    with pytest.raises(ServiceError, match="不得少于 3 个工作日，最早可设为 2026-11-27 10:00"):
        services.create_notice(buyer, make.notice_data(deadline=early))
    assert rows(db) == before


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "请填写回避「{}」的理由（至少 4 个字）"),
        ("有关", "请填写回避「{}」的理由（至少 4 个字）"),
    ],
)
def test_an_avoidance_needs_a_reason_of_a_few_characters(make, db, reason, message):
    avoided = make.agency()
    buyer = make.purchaser()
    before = rows(db)
    name = avoided.organisation.name
    with pytest.raises(ServiceError, match=re.escape(message.format(name))):
        services.create_notice(
            buyer, make.notice_data(avoidances=[(avoided.organisation.id, reason)])
        )
    assert rows(db) == before


def test_only_agencies_offering_the_item_can_be_avoided_and_each_once(make, db):
    surveyor = make.agency(items=(SURVEY,), org_name="重庆测绘有限公司")
    eia = make.agency(org_name="重庆环评有限公司")
    buyer = make.purchaser()
    before = rows(db)
    with pytest.raises(ServiceError, match="「重庆测绘有限公司」未提供「环境影响评价"):
        services.create_notice(
            buyer, make.notice_data(avoidances=[(surveyor.organisation.id, "股东为建设单位")])
        )
    twice = [(eia.organisation.id, "股东为建设单位"), (eia.organisation.id, "曾参与前期咨询")]
    with pytest.raises(ServiceError, match="「重庆环评有限公司」已在回避名单中"):
        services.create_notice(buyer, make.notice_data(avoidances=twice))
    assert rows(db) == before


def test_an_invited_agency_cannot_also_be_avoided_and_an_invitation_means_direct(make, db):
    invited = make.agency(org_name="重庆受邀环评有限公司")
    buyer = make.purchaser()
    org_id = invited.organisation.id
    before = rows(db)
    with pytest.raises(ServiceError, match="「重庆受邀环评有限公司」已列入回避名单"):
        services.create_notice(
            buyer,
            make.notice_data(
                ceiling_fen=50_000_00, invited_org_id=org_id, avoidances=[(org_id, "股东关联")]
            ),
        )
    with pytest.raises(ServiceError, match="直接邀请只能采用「直接选取」方式") as err:
        services.create_notice(
            buyer, make.notice_data(ceiling_fen=50_000_00, invited_org_id=org_id, method="lowest")
        )
    assert err.value.field == "method"
    assert rows(db) == before


def test_attachments_come_from_the_own_library_and_uploads_are_checked_first(make, db):
    buyer = make.purchaser()
    foreign = make.document(make.purchaser(), kind="notice", title="别家的文件")
    before = rows(db)
    with pytest.raises(ServiceError, match="所选材料不在本单位资料库中") as err:
        services.create_notice(buyer, make.notice_data(attachment_ids=[foreign.id]))
    assert err.value.field == "attachment_ids"
    good = Upload("notice", "需求书", "需求书.pdf", make.PDF_BYTES)
    bad = Upload("notice", "说明", "说明.docx", b"PK\x03\x04 not a pdf")
    with pytest.raises(ServiceError, match="附件「说明.docx」类型不支持：只接受 PDF、JPG 或 PNG"):
        services.create_notice(buyer, make.notice_data(uploads=[good, bad]))
    empty = Upload("notice", "空", "空.pdf", b"")
    with pytest.raises(ServiceError, match="附件「空.pdf」是空文件"):
        services.create_notice(buyer, make.notice_data(uploads=[empty]))
    assert rows(db) == before


# --- attachments are public once published ----------------------------------------------------


def fetch(client, document_id):
    response = client.get(f"/documents/{document_id}")
    response.get_data()
    response.close()
    return response


def test_attachments_are_private_in_a_draft_and_public_once_published(app, client, make):
    buyer = make.purchaser()
    upload = Upload("notice", "采购需求书", "需求书.pdf", make.PDF_BYTES)
    notice = services.create_notice(buyer, make.notice_data(uploads=[upload]))
    (document,) = notice.attachments
    draft = fetch(client, document.id)
    assert draft.status_code == 302 and "/login" in draft.headers["Location"]
    other = login(app, make.purchaser(), make)
    assert fetch(other, document.id).status_code == 403
    assert fetch(login(app, buyer, make), document.id).status_code == 200

    services.publish_notice(buyer, notice)
    public = client.get(f"/documents/{document.id}")
    assert public.status_code == 200 and public.get_data() == make.PDF_BYTES
    public.close()
    assert fetch(other, document.id).status_code == 200
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f'href="/documents/{document.id}"' in page and "采购需求书" in page


def test_a_library_file_not_attached_to_a_published_notice_stays_private(app, client, make):
    buyer = make.purchaser()
    kept_private = make.document(buyer, kind="notice", title="内部测算表")
    make.notice(buyer)
    assert fetch(client, kept_private.id).status_code == 302
    assert fetch(login(app, make.agency(), make), kept_private.id).status_code == 403


def test_a_draft_cancelled_before_publication_keeps_its_attachments_private(client, make):
    buyer = make.purchaser()
    upload = Upload("notice", "内部需求", "需求.pdf", make.PDF_BYTES)
    notice = services.create_notice(buyer, make.notice_data(uploads=[upload]))
    services.cancel_notice(buyer, notice, "不再采购")
    assert fetch(client, notice.attachments[0].id).status_code == 302
