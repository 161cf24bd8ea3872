"""The risk rules (风险预警): what each one looks for, as regulators read it."""

from dataclasses import dataclass

from flask import current_app

from ...core.i18n import _l
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

#: code → what a regulator reads about the rule (lazy texts); {near} is the configured
#: threshold (rule_description fills it in)
RULES = {
    "same_quote": Rule(
        _l("相同报价"),
        _l(
            "同一公告下两家及以上机构的报价金额完全相同。随机选取、信用择优等固定价格方式不比对"
            "（报名价格本就相同）。"
        ),
    ),
    "near_quote": Rule(
        _l("报价高度接近"),
        _l("同一公告下两家机构的报价不同，但相差不超过较低报价的 {near}。"),
    ),
    "shared_contact": Rule(
        _l("报价机构信息雷同"),
        _l(
            "同一公告的不同报价机构登记的联系电话、联系邮箱或法定代表人相同，或报价提交自同一网络"
            "地址（IP）。未填写的信息不比对。"
        ),
    ),
    "repeat_winner": Rule(
        _l("同一采购人频繁中选"),
        _l(
            "近 %(months)s 个月内（按确定中选的时间），同一机构中选同一采购人的项目不少于 "
            "%(wins)s 个，且占该采购人同期中选项目的 %(share)s%% 及以上。",
            months=WINDOW_MONTHS,
            wins=REPEAT_MIN_WINS,
            share=REPEAT_MIN_SHARE_PCT,
        ),
    ),
    "rotation": Rule(
        _l("固定圈子轮流中选"),
        _l(
            "近 %(months)s 个月内，同一采购人同一服务事项至少 %(notices)s 个项目的"
            "报价机构都是同一组 2–5 家机构，且中选机构在组内轮换（至少 2 家不同机构中选）。",
            months=WINDOW_MONTHS,
            notices=ROTATION_MIN_NOTICES,
        ),
    ),
    "single_bid": Rule(
        _l("单一响应"),
        _l("公告报价截止时只有 1 家有效报价（直接邀请一家机构的项目除外）。"),
    ),
}
#: Organisation fields compared among the bidders of one notice, with their labels (kept in
#: the alert's stored evidence and summary: Chinese, as stored data)
CONTACT_FIELDS = {
    "contact_phone": "联系电话",  # i18n: data
    "contact_email": "联系邮箱",  # i18n: data
    "legal_representative": "法定代表人",  # i18n: data
}


def rule_description(code: str) -> str:
    near = format_bp(current_app.config["RISK_NEAR_QUOTE_BP"])
    return str(RULES[code].description).format(near=near)
