"""The notice form: it offers only what the rules allow, carries every field to the service,
and shows each refusal next to what the purchaser typed; nothing is written then."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.core.clock import to_local
from market.procurement.models import Notice

from .test_notice_fields import EIA, SURVEY, THRESHOLD, login, rows


def form(make, frozen_clock, **overrides):
    data = {
        "item_id": make.item(EIA).id,
        "title": "鱼复工业园环评",
        "scope": "编制报告书",
        "ceiling": "80000",
        "service_days": "30",
        "deadline": to_local(frozen_clock.now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "contact_name": "王五",
        "contact_phone": "13900001111",
    }
    data.update(overrides)
    return data


def test_the_form_offers_only_the_items_own_qualification(app, make):
    client = login(app, make.purchaser(), make)
    survey = client.get(f"/notices/new?item={make.item(SURVEY).id}").get_data(as_text=True)
    assert "要求具备：测绘资质（工程测量）" in survey
    assert 'name="requires_qualification"' in survey and 'name="min_grade"' in survey
    for grade in ("甲级", "乙级", "丙级"):
        assert f'value="{grade}"' in survey
    eia = client.get(f"/notices/new?item={make.item(EIA).id}").get_data(as_text=True)
    assert 'name="requires_qualification"' not in eia and 'name="min_grade"' not in eia
    assert "设立依据未规定执业资质，不设资格条件" in eia


def test_the_form_offers_avoiding_only_agencies_offering_the_item(app, make):
    make.agency(items=(SURVEY,), org_name="重庆测绘有限公司")
    make.agency(items=(EIA,), org_name="重庆环评有限公司")
    client = login(app, make.purchaser(), make)
    page = client.get(f"/notices/new?item={make.item(SURVEY).id}").get_data(as_text=True)
    assert "重庆测绘有限公司" in page and "重庆环评有限公司" not in page
    assert 'name="avoidances-0-agency_org_id"' in page and 'name="avoidances-0-reason"' in page


def test_the_price_is_labelled_fixed_for_a_fixed_price_method(app, make, frozen_clock, db):
    client = login(app, make.purchaser(), make)
    before = rows(db)
    page = client.post(
        "/notices/new", data=form(make, frozen_clock, method="random", refresh="1")
    ).get_data(as_text=True)
    assert "固定价格（元）" in page and "最高限价（元）" not in page
    assert rows(db) == before  # refreshing the form saves nothing


def test_every_field_through_the_form(app, make, frozen_clock, db):
    avoided = make.agency(items=(SURVEY,), org_name="重庆关联测绘有限公司")
    buyer = make.purchaser()
    red_line = make.document(buyer, kind="notice", title="项目红线图")
    client = login(app, buyer, make)
    data = form(
        make,
        frozen_clock,
        item_id=make.item(SURVEY).id,
        project_name="悦来会展片区基础设施项目",
        project_code="2101-500112-04-01-123456",
        fiscal_share_pct="60",
        method="scored",
        method_reason="技术方案差异大",
        ceiling="150000",
        floor="90000.50",
        weight_price="40",
        weight_credit="20",
        weight_technical="40",
        requires_qualification="y",
        min_grade="乙级",
        **{
            "avoidances-0-agency_org_id": str(avoided.organisation.id),
            "avoidances-0-reason": "与建设单位存在股权关系",
            "avoidances-1-agency_org_id": "",
            "avoidances-1-reason": "",
        },
        attachment_ids=str(red_line.id),
        files=[(io.BytesIO(make.PDF_BYTES), "采购需求书.pdf")],
    )
    response = client.post("/notices/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    notice = db.session.scalars(
        select(Notice).where(Notice.purchaser_org_id == buyer.organisation.id)
    ).one()
    assert notice.project_code == "2101-500112-04-01-123456" and notice.fiscal_share_pct == 60
    assert (notice.floor_fen, notice.method) == (90_000_50, "scored")
    assert (notice.weight_price, notice.weight_credit, notice.weight_technical) == (40, 20, 40)
    assert notice.requires_qualification and notice.min_grade == "乙级"
    assert [a.reason for a in notice.avoidances] == ["与建设单位存在股权关系"]
    assert sorted(d.title for d in notice.attachments) == ["采购需求书", "项目红线图"]

    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    for text in (
        "悦来会展片区基础设施项目",
        "2101-500112-04-01-123456",
        "财政资金（财政资金占 60%）",
        "最低限价",
        "¥90,000.50",
        "综合评审",
        "价格 40 · 信用 20 · 技术 40",
        "要求具备：测绘资质（工程测量）（最低 乙级）",
        "重庆关联测绘有限公司</a>：与建设单位存在股权关系",
        "项目红线图",
        "采购需求书",
    ):
        assert text in page, text
    assert "随机种子公开值" not in page  # only from publication on

    edit = client.get(f"/notices/{notice.id}/edit").get_data(as_text=True)
    assert 'value="90000.50"' in edit and "与建设单位存在股权关系" in edit
    assert f'value="{red_line.id}" checked' in edit


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"project_code": "2101500112"}, "投资项目统一代码「2101500112」格式不正确"),
        ({"floor": "90000"}, "必须低于最高限价"),
        ({"method": "random"}, "公平竞争审查要求说明"),
        ({"fiscal_share_pct": "10", "ceiling": "100000"}, THRESHOLD),
        ({"requires_qualification": "y"}, "不得设置资质条件"),
        ({"fiscal_share_pct": "150"}, "应为 0–100 的整数"),
        (
            {"method": "scored", "weight_price": "60", "weight_credit": "60"},
            "权重之和须为 100，当前为 120",
        ),
        (
            {"avoidances-0-agency_org_id": "999999", "avoidances-0-reason": "股权关联方"},
            "所选回避机构不存在",
        ),
    ],
)
def test_refusals_are_shown_on_the_form(app, make, frozen_clock, db, overrides, message):
    client = login(app, make.purchaser(), make)
    before = rows(db)
    data = form(make, frozen_clock, **overrides)
    response = client.post("/notices/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert rows(db) == before


@pytest.mark.parametrize("ceiling", ["1e309", "92233720368547758.07"])
def test_an_amount_beyond_ten_billion_yuan_is_refused_on_its_field(
    app, make, frozen_clock, db, ceiling
):
    client = login(app, make.purchaser(), make)
    before = rows(db)
    response = client.post("/notices/new", data=form(make, frozen_clock, ceiling=ceiling))
    assert response.status_code == 200  # the form again, with the message on its field
    assert "金额不能超过 ¥10,000,000,000.00" in response.get_data(as_text=True)
    assert rows(db) == before


def test_a_ceiling_beyond_32_bits_of_fen_is_stored_whole(app, make, frozen_clock, db):
    """¥30,000,000.00 is 3,000,000,000 fen: more than a 32-bit column holds."""
    client = login(app, make.purchaser(), make)
    response = client.post("/notices/new", data=form(make, frozen_clock, ceiling="30000000"))
    assert response.status_code == 302
    notice = db.session.scalars(select(Notice).order_by(Notice.id.desc())).first()
    db.session.expire(notice)
    assert notice.ceiling_fen == 3_000_000_000


@pytest.mark.parametrize("deadline", ["0001-01-01T00:00", "9999-12-31T23:59", "2100-01-01T09:00"])
def test_a_deadline_outside_the_calendar_is_refused_on_its_field(
    app, make, frozen_clock, db, deadline
):
    client = login(app, make.purchaser(), make)
    before = rows(db)
    response = client.post("/notices/new", data=form(make, frozen_clock, deadline=deadline))
    assert response.status_code == 200
    assert "日期应在 2000 年至 2099 年之间" in response.get_data(as_text=True)
    assert rows(db) == before


@pytest.mark.parametrize(
    "title", ["鱼复工业园\x00环评", "鱼复工业园\u202egpj.exe环评", "环评\x1b[31m"]
)
def test_a_title_with_hidden_characters_is_refused_on_its_field(app, make, frozen_clock, db, title):
    client = login(app, make.purchaser(), make)
    before = rows(db)
    response = client.post("/notices/new", data=form(make, frozen_clock, title=title))
    assert "不能包含控制字符或不可见的文字方向符号" in response.get_data(as_text=True)
    assert rows(db) == before


def test_a_part_without_a_name_is_ignored(app, make, frozen_clock, db):
    """A multipart part with no field name (Werkzeug: key None) must not reach the FieldList."""
    client = login(app, make.purchaser(), make)
    boundary = "b0undary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in form(make, frozen_clock).items()
    ]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\n无名\r\n")
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    response = client.post(
        "/notices/new",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        follow_redirects=True,
    )
    assert response.status_code == 200 and "公告草稿已保存" in response.get_data(as_text=True)
    assert db.session.scalar(select(Notice.title)) == "鱼复工业园环评"
