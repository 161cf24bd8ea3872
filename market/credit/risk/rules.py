"""The risk rules (风险预警): what each one looks for, as regulators read it."""

from dataclasses import dataclass

from flask import current_app

from ...core.money import format_bp


@dataclass(frozen=True)
class Rule:
    name: str
    description: str


WINDOW_MONTHS = 12
REPEAT_MIN_WINS = 3
REPEAT_MIN_SHARE_PCT = 60
ROTATION_MIN_NOTICES = 3
ROTATION_GROUP_SIZES = range(2, 6)

#: code → what a regulator reads about the rule; {near} is the configured threshold
RULES = {
    "same_quote": Rule(
        "相同报价",
        "同一公告下两家及以上机构的报价金额完全相同。随机选取、信用择优等固定价格方式不比对"
        "（报名价格本就相同）。",
    ),
    "near_quote": Rule(
        "报价高度接近",
        "同一公告下两家机构的报价不同，但相差不超过较低报价的 {near}。",
    ),
    "shared_contact": Rule(
        "报价机构信息雷同",
        "同一公告的不同报价机构登记的联系电话、联系邮箱或法定代表人相同，或报价提交自同一网络"
        "地址（IP）。未填写的信息不比对。",
    ),
    "repeat_winner": Rule(
        "同一采购人频繁中选",
        f"近 {WINDOW_MONTHS} 个月内（按确定中选的时间），同一机构中选同一采购人的项目不少于 "
        f"{REPEAT_MIN_WINS} 个，且占该采购人同期中选项目的 {REPEAT_MIN_SHARE_PCT}% 及以上。",
    ),
    "rotation": Rule(
        "固定圈子轮流中选",
        f"近 {WINDOW_MONTHS} 个月内，同一采购人同一服务事项至少 {ROTATION_MIN_NOTICES} 个项目的"
        "报价机构都是同一组 2–5 家机构，且中选机构在组内轮换（至少 2 家不同机构中选）。",
    ),
    "single_bid": Rule(
        "单一响应",
        "公告报价截止时只有 1 家有效报价（直接邀请一家机构的项目除外）。",
    ),
}
#: Organisation fields compared among the bidders of one notice, with their labels
CONTACT_FIELDS = {
    "contact_phone": "联系电话",
    "contact_email": "联系邮箱",
    "legal_representative": "法定代表人",
}


def rule_description(code: str) -> str:
    near = format_bp(current_app.config["RISK_NEAR_QUOTE_BP"])
    return RULES[code].description.format(near=near)
