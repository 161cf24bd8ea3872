"""The demo's credit stories, played after the procurement ones: records in every state of
their due process (one repaired, one suspended, one blacklisted, the demo agency's warning
under appeal, one revoked, one dismissed, disclosures due and late, a report in its statement
window), a red list, an inspection plan with results, then the nightly recompute."""

from ..agencies.documents import Upload
from ..core.clock import travel
from ..credit.disclosure.redlist import RedListData, add_to_red_list
from ..credit.inspections import services as inspections
from ..credit.records import appeals
from ..credit.records import services as records
from ..credit.records.listeners import report_overdue_deliveries
from ..credit.standing import recompute_all
from .procurement_stories import days_ago
from .storefronts import demo_pdf

ENV, PLANNING = "生态环境部门", "规划自然资源部门"


def _agencies_of(cast, department: str) -> list:
    """Agency users offering an item of `department`, the demo agency last (it has its own
    story), each once, in a stable order."""
    seen = {}
    for item in sorted(cast.items.values(), key=lambda i: i.code):
        if item.approving_department != department:
            continue
        for user in cast.offered_by.get(item.id, []):
            seen.setdefault(user.id, user)
    users = [u for u in seen.values() if u.id != cast.star.id]
    return sorted(users, key=lambda u: u.id)


def _report(regulator, agency_user, code, facts):
    return records.report(
        regulator,
        records.ReportData(subject_org_id=agency_user.organisation.id, code=code, facts=facts),
    )


def _proof(title):
    return [Upload("evidence", title, "proof.pdf", demo_pdf("Proof of rectification"))]


def _story(b, regulator, agency_user, code, facts, reported, steps, statement="已知悉，请依法认定"):
    """Report `reported` days ago, the agency's statement an hour later (so a decision a few
    days on never waits for the window, whatever holidays fall between), then play `steps`:
    (days ago, action)."""
    with travel(days_ago(b.now, reported)):
        record = _report(regulator, agency_user, code, facts)
    if statement:
        with travel(days_ago(b.now, reported, hour=11)):
            records.respond(agency_user, record.id, statement)
    for days, action, *args in steps:
        with travel(days_ago(b.now, days)):
            action(record, *args)
    return record


def _decide(regulator, outcome, number, reason=""):
    return lambda r: records.decide(regulator, r.id, outcome, number, reason)


def _publish(regulator):
    return lambda r: records.publish(regulator, r.id)


def play_credit(b, cast) -> None:
    """Play the credit stories; the agencies' standing is recomputed at the end."""
    env, planning = cast.regulators[ENV], cast.regulators[PLANNING]
    a = _agencies_of(cast, ENV)
    p = _agencies_of(cast, PLANNING)
    star = cast.star
    # Repaired: confirmed four months ago, repair granted after the 3-month minimum.
    _story(
        b,
        env,
        a[0],
        "A07",
        "环评报告编制费超出合同约定 30%，未说明理由",
        125,
        [
            (118, _decide(env, "confirmed", "渝环信决〔2026〕11号", "收费凭证证明超标准收费")),
            (117, _publish(env)),
            (
                8,
                lambda r: appeals.request_repair(
                    a[0],
                    r.id,
                    "已向委托人退还超收费用，并完善收费公示制度",
                    _proof("退费凭证及整改报告"),
                ),
            ),
            (5, lambda r: appeals.decide_repair(env, r.id, True)),
        ],
    )
    # Suspended for 3 months: it cannot bid until the suspension ends.
    _story(
        b,
        env,
        a[1],
        "A04",
        "中选后以人员不足为由放弃中选资格",
        40,
        [
            (33, _decide(env, "confirmed", "渝环信决〔2026〕18号", "放弃理由不成立")),
            (32, _publish(env)),
        ],
    )
    # Blacklisted: collusive quoting confirmed.
    _story(
        b,
        planning,
        p[0],
        "A02",
        "与其他机构报价文件雷同，联系人电话相同，存在围标行为",
        30,
        [
            (
                22,
                _decide(
                    planning, "confirmed", "渝规资信决〔2026〕5号", "报价文件雷同，串通报价事实清楚"
                ),
            ),
            (21, _publish(planning)),
        ],
    )
    # The demo agency: a warning, disclosed, under appeal now.
    _story(
        b,
        env,
        star,
        "A05",
        "中选后未在 5 个工作日内签订合同",
        24,
        statement="合同文本经双方多次修改，延误非本机构原因",
        steps=[
            (17, _decide(env, "confirmed", "渝环信决〔2026〕21号", "未提供对方原因的证明")),
            (16, _publish(env)),
            (
                10,
                lambda r: appeals.appeal(
                    star,
                    r.id,
                    "补充提交双方往来邮件，证明延误系采购人修改合同所致",
                    _proof("往来邮件"),
                ),
            ),
        ],
    )
    # Revoked on appeal.
    _story(
        b,
        env,
        a[2],
        "A11",
        "报价低于成本价 40%，未作合理说明",
        28,
        [
            (21, _decide(env, "confirmed", "渝环信决〔2026〕19号", "未说明低价理由")),
            (20, _publish(env)),
            (
                15,
                lambda r: appeals.appeal(
                    a[2], r.id, "提交成本测算，报价依据充分", _proof("成本测算表")
                ),
            ),
            (
                9,
                lambda r: appeals.decide_appeal(
                    env, r.id, "revoked", "渝环复〔2026〕3号", "成本测算合理，原认定撤销"
                ),
            ),
        ],
    )
    # Dismissed for lack of evidence.
    _story(
        b,
        env,
        a[3],
        "A10",
        "疑似泄露委托人项目资料",
        14,
        [
            (
                9,
                _decide(
                    env, "dismissed_evidence", "渝环信决〔2026〕22号", "现有材料不能证明泄露行为"
                ),
            ),
        ],
    )
    # Confirmed but not disclosed in time (the dashboard flags it), and one due soon.
    _story(
        b,
        env,
        a[4],
        "A09",
        "环评报告经技术审查认定不合格",
        20,
        [
            (14, _decide(env, "confirmed", "渝环信决〔2026〕20号", "技术审查意见明确")),
        ],
    )
    _story(
        b,
        env,
        a[5],
        "A06",
        "超出承诺时限 25 天交付报告书",
        8,
        [
            (2, _decide(env, "confirmed", "渝环信决〔2026〕23号", "逾期事实清楚")),
        ],
    )
    # Reported yesterday: the agency still has time for its statement.
    _story(b, env, a[6], "A12", "资质证书已变更等级，入驻信息未及时更新", 1, [], statement="")
    # Red list (守信激励): two agencies with a clean record.
    with travel(days_ago(b.now, 50)):
        recorded = {u.id for u in (*a[:7], p[0])}
        for user in [u for u in p if u.id not in recorded][:2]:
            add_to_red_list(
                planning,
                RedListData(
                    agency=user.organisation.uscc,
                    reason="连续三年无不良行为记录，服务评价优良",
                    decision_number="渝规资激〔2026〕2号",
                    months=12,
                ),
            )
    # A random inspection plan by grade, with three results in.
    with travel(days_ago(b.now, 7)):
        # A special round at higher rates than the defaults, so the demo sample has a few.
        rates = {"A": 2000, "B": 5000, "C": 10000, "D": 10000}
        plan = inspections.create_plan(env, rates, "2026 年第四季度环评机构专项双随机抽查")
    with travel(days_ago(b.now, 3)):
        for inspection, result in zip(
            plan.inspections, ("passed", "passed", "failed"), strict=False
        ):
            findings = "抽查报告书 3 份，1 份监测数据来源无法追溯" if result == "failed" else ""
            inspections.record_result(env, inspection, result, findings)
    # What the nightly run adds: deliveries overdue, then every agency's standing.
    report_overdue_deliveries(b.now)
    recompute_all(b.now, cause="demo")
