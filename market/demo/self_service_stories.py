"""The demo's model contract and subscriptions: the environment department's model contract
for environmental impact reports (revised once), and agency01's saved search and followed
item."""

from ..alerts import services as alerts
from ..catalogue import model_contracts
from ..catalogue.services import get_item_by_code
from ..core.clock import travel
from .procurement_stories import days_ago

EIA_CONTRACT = """第一条 合同当事人
委托方（建设单位）：【采购人】
受托方（环评单位）：【中介机构】
依据网上中介超市「【项目名称】」项目（公告编号【公告编号】）的选取结果订立本合同。

第二条 服务内容
受托方承担【服务事项】工作：【服务内容】
受托方应按《建设项目环境影响评价技术导则》开展工作，报告书（表）的结论由受托方独立作出。

第三条 期限与费用
受托方应在合同签订之日起【服务期限】天内提交送审稿。合同金额为【合同金额】（中选报价）。
支付安排：【付款安排】

第四条 验收
采购人应在收到成果后【验收期限】个工作日内验收或书面说明理由退回，逾期视为验收通过。

第五条 责任
受托方对报告书（表）的真实性、准确性负责，因弄虚作假造成的后果由受托方承担；双方的履约行为记入网上中介超市信用记录。

第六条 其他
本合同在网上中介超市签署，签署记录（签署人、时间和合同文件的 SHA-256 摘要）可在公告页核对。"""


def play_self_service(b, cast) -> None:
    """A model contract kept by a department, and an agency's subscriptions."""
    environment = cast.regulators["生态环境部门"]
    item = get_item_by_code("ZJ012")
    with travel(days_ago(b.now, 100)):
        model_contracts.save_model(
            environment, item, "建设项目环境影响评价技术服务合同", EIA_CONTRACT, "首次发布"
        )
    with travel(days_ago(b.now, 30)):
        model_contracts.save_model(
            environment,
            item,
            "建设项目环境影响评价技术服务合同",
            EIA_CONTRACT.replace("提交送审稿。", "提交送审稿，并配合完成技术评估和修改。"),
            "明确受托方配合技术评估和修改的义务",
        )
    alerts.save_search(cast.star, "环境 监测", None, "daily")
    alerts.follow_item(cast.star, get_item_by_code("ZJ005"), "instant")
