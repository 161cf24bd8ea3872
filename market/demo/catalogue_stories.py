"""The demo's catalogue history: the list as it stood when the platform opened, two batches
of new items from the planning department (one online, one published with its online date
still ahead), edits with their reasons, and an item withdrawn."""

from datetime import timedelta

from sqlalchemy import update

from ..catalogue import batches, revisions
from ..catalogue.models import ItemRevision, ServiceItem
from ..catalogue.services import get_item_by_code
from ..core.clock import local_today, travel
from ..extensions import db
from .procurement_stories import days_ago

OPENED_DAYS_AGO = 120

NEW_ITEMS = {
    "ZJ035": (
        "地下管线探测报告编制",
        "建设工程规划许可",
        "测绘",
        "《城乡规划法》;《城市地下管线工程档案管理办法》",
    ),
    "ZJ036": ("建设工程日照分析报告编制", "建设工程规划许可", "规划咨询", "《城乡规划法》"),
    "ZJ037": ("建设工程规划放线测量", "建设工程规划许可", "测绘", "《城乡规划法》"),
    "ZJ038": ("不动产测绘报告编制", "不动产登记", "测绘", "《不动产登记暂行条例》"),
    "ZJ039": ("城市设计方案技术审查咨询", "建设工程设计方案审查", "规划咨询", "《城乡规划法》"),
}


def _values(code):
    name, licensing_item, category, basis = NEW_ITEMS[code]
    return {
        "code": code,
        "name": name,
        "licensing_item": licensing_item,
        "legal_basis": basis,
        "approving_department": "规划自然资源部门",
        "implementing_requirement": "",
        "fee_basis": "市场调节价，由委托双方协商确定",
        "commissioned_by": "申请人",
        "note": "",
        "category": category,
        "list_kind": "licensing",
        "fee_type": "market",
        "fee_min_fen": None,
        "fee_max_fen": None,
        "fee_rate_min_bp": None,
        "fee_rate_max_bp": None,
    }


def _opened(now) -> None:
    # The list loaded from its file is the list the platform opened with.
    opened = days_ago(now, OPENED_DAYS_AGO)
    db.session.execute(
        update(ItemRevision)
        .where(ItemRevision.version == 1, ItemRevision.kind == "imported")
        .values(
            effective_on=opened.date(),
            applied_dt=opened,
            created_dt=opened,
            reason="平台开通时公布的清单",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(ServiceItem)
        .where(ServiceItem.first_public_on.is_not(None))
        .values(first_public_on=opened.date())
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def play_catalogue(b, cast) -> None:
    """Batches, edits and a withdrawal over the demo's last four months."""
    now = b.now
    _opened(now)
    planning = cast.regulators["规划自然资源部门"]
    weather = cast.regulators["气象部门"]

    with travel(days_ago(now, 88)):
        drafts = [
            revisions.create_item(_values(code), "按市审改办梳理意见新增", planning)
            for code in ("ZJ035", "ZJ036", "ZJ037")
        ]
        first = batches.publish_items(
            "规划自然资源部门",
            [item.id for item in drafts],
            "规划类中介服务事项（第一批新增）",
            local_today(),
            planning,
        )
    with travel(days_ago(now, 85)):
        batches.take_online(first, local_today() + timedelta(days=14), planning)
    with travel(days_ago(now, 71)):
        revisions.apply_due()

    with travel(days_ago(now, 60)):
        item = get_item_by_code("ZJ005")
        revisions.edit_item(
            item,
            {"fee_basis": "市场调节价，由委托双方协商确定；不得设置最低收费"},
            "落实《关于进一步规范行政审批中介服务收费的通知》，明确不得设置最低收费",
            local_today(),
            planning,
        )
        item = get_item_by_code("ZJ006")
        revisions.edit_item(
            item,
            {"legal_basis": item.legal_basis + ";《重庆市气象灾害防御条例》"},
            "补充地方性法规依据",
            local_today(),
            weather,
        )

    with travel(days_ago(now, 45)):
        revisions.withdraw(
            get_item_by_code("ZJ037"),
            "经复核，放线测量已并入「建设工程规划条件核实测量」，不再单独作为中介服务事项",
            local_today(),
            planning,
        )

    with travel(days_ago(now, 20)):
        drafts = [
            revisions.create_item(_values(code), "承接市级下放审批事项", planning)
            for code in ("ZJ038", "ZJ039")
        ]
        second = batches.publish_items(
            "规划自然资源部门",
            [item.id for item in drafts],
            "规划类中介服务事项（第二批新增）",
            local_today() + timedelta(days=3),
            planning,
        )
    with travel(days_ago(now, 16)):
        revisions.apply_due()
        # online after the new year: published now, going online later
        batches.take_online(second, local_today() + timedelta(days=45), planning)
    with travel(days_ago(now, 10)):
        item = get_item_by_code("ZJ036")
        revisions.edit_item(
            item,
            {"name": "建设工程日照分析及影响评估报告编制"},
            "与市级清单名称保持一致",
            local_today() + timedelta(days=20),
            planning,
        )
    revisions.apply_due()
