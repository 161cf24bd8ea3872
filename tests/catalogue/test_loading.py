"""Loading the catalogue from CSV: the shipped list, idempotent reloads, edits, bad files."""

import pytest
from sqlalchemy import func, select

from market.catalogue.models import ServiceItem
from market.catalogue.services import load_items, seed_rows
from market.core.errors import ServiceError
from market.core.models import AuditEvent


def item_count(db):
    return db.session.scalar(select(func.count(ServiceItem.id)))


def row(code="ZJ901", **overrides):
    values = {
        "code": code,
        "name": "城市排水防涝评估",
        "licensing_item": "城镇排水设施建设审批",
        "legal_basis": "《城镇排水与污水处理条例》",
        "approving_department": "住房城乡建设部门",
        "category": "检验检测",
        "list": "licensing",
        "status": "online",
    }
    values.update(overrides)
    return values


def test_the_shipped_list_has_34_items_all_loaded(db):
    rows = seed_rows()
    assert len(rows) == 34
    assert item_count(db) == 34
    statuses = db.session.execute(
        select(ServiceItem.status, func.count()).group_by(ServiceItem.status)
    ).all()
    assert dict(statuses) == {"online": 32, "published": 2}


def catalogue_events(db):
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.subject_type == "catalogue")
    )


def test_loading_the_shipped_list_again_changes_nothing(db):
    events = catalogue_events(db)
    assert load_items(seed_rows()) == (0, 0)
    assert item_count(db) == 34
    assert catalogue_events(db) == events  # nothing happened, nothing to audit


def test_an_edited_row_updates_the_item_and_is_audited(db, make):
    rows = seed_rows()
    edited = next(r for r in rows if r["code"] == "ZJ033")
    edited["status"] = "online"
    edited["name"] = "房地产估价（征收补偿）"

    assert load_items(rows) == (0, 1)
    item = make.item("ZJ033")
    assert item.name == "房地产估价（征收补偿）" and item.is_online
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "catalogue")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.action == "loaded" and event.data == {"created": 0, "updated": 1}


def test_a_new_row_is_created_and_stripped(db, make):
    assert load_items([row(name="  城市排水防涝评估 ")]) == (1, 0)
    item = make.item("ZJ901")
    assert item.name == "城市排水防涝评估" and item.list_kind == "licensing"


def test_a_row_without_status_is_online(db, make):
    values = row()
    del values["status"]
    load_items([values])
    assert make.item("ZJ901").status == "online"


def test_an_empty_status_cell_means_online_too(db, make):
    load_items([row(status="")])
    assert make.item("ZJ901").status == "online"


def test_missing_fields_are_named_with_the_line_number_and_nothing_is_written(db):
    before = item_count(db)
    with pytest.raises(ServiceError, match="^第 3 行：请填写中介服务事项名称$"):
        load_items([row("ZJ901"), row("ZJ902", name=" ", category="")])
    assert item_count(db) == before


def test_an_unknown_list_is_refused_and_nothing_is_written(db):
    before = item_count(db)
    with pytest.raises(
        ServiceError,
        match="^第 2 行：所属清单应为：行政许可中介服务事项、其他行政管理中介服务事项$",
    ):
        load_items([row(list="行政许可"), row("ZJ902")])
    assert item_count(db) == before


def test_an_unknown_status_is_refused(db):
    with pytest.raises(ServiceError, match="^第 2 行状态无效：live$"):
        load_items([row(status="live")])


def test_a_code_repeated_in_one_file_is_refused_in_chinese(db):
    before = item_count(db)
    with pytest.raises(ServiceError, match="ZJ901"):
        load_items([row("ZJ901"), row("ZJ901", name="另一个事项")])
    db.session.rollback()
    assert item_count(db) == before


def test_the_shipped_list_marks_government_priced_items_with_their_standard(db, make):
    lightning = make.item("ZJ006")
    assert lightning.is_government_priced and not lightning.fee_is_rate
    assert (lightning.fee_min_fen, lightning.fee_max_fen) == (1_000_00, 30_000_00)
    land = make.item("ZJ024")
    assert land.fee_is_rate and (land.fee_rate_min_bp, land.fee_rate_max_bp) == (10, 50)
    assert make.item("ZJ012").fee_type == "market" and make.item("ZJ012").fee_min_fen is None
    assert make.item("ZJ018").implementing_requirement == "测绘资质（工程测量）"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fee_type": "free"}, "第 2 行：收费类型应为：市场调节价、政府指导价"),
        ({"fee_type": "government"}, "第 2 行：政府指导价事项须填写收费上下限"),
        (
            {"fee_type": "government", "fee_limits": "500"},
            "第 2 行：政府指导价事项须填写收费上下限",
        ),
        ({"fee_type": "government", "fee_limits": "一千-两千"}, "第 2 行：收费上下限格式不正确"),
        (
            {"fee_type": "government", "fee_limits": "3000-1000"},
            "第 2 行：收费下限应大于 0 且不高于上限",
        ),
    ],
)
def test_a_bad_fee_standard_in_the_file_is_refused_with_its_line(db, overrides, message):
    before = item_count(db)
    with pytest.raises(ServiceError, match=message):
        load_items([row(**overrides)])
    assert item_count(db) == before


def test_a_government_priced_rate_standard_is_loaded(db):
    load_items([row(fee_type="government", fee_basis="某收费标准", fee_limits="0.2%-1.5%")])
    loaded = db.session.scalar(select(ServiceItem).where(ServiceItem.code == "ZJ901"))
    assert (loaded.fee_rate_min_bp, loaded.fee_rate_max_bp, loaded.fee_basis) == (
        20,
        150,
        "某收费标准",
    )
