"""The `flask credit` command group."""

import sys

import click
from flask.cli import AppGroup

from ..core.clock import from_local
from ..core.errors import ServiceError
from ..extensions import db
from .inspections import services as inspections
from .risk import listeners as risk

credit_cli = AppGroup("credit", help="信用管理命令：重算信用分、认定标准、双随机抽查、风险预警。")


def fail(err: ServiceError):
    click.echo(f"错误：{err.message}", err=True)
    sys.exit(1)


# --- graded supervision (双随机抽查) ----------------------------------------------------------


@credit_cli.command("inspection-plan")
@click.option(
    "--rate-by-grade",
    default=None,
    help="各等级抽查比例（百分比），如 A=5,B=10,C=20,D=100；未列出的等级取默认值",
)
@click.option("--department", default=None, help="审批部门（如 生态环境部门）；不填则抽取全部机构")
@click.option("--seed", default=None, help="随机种子（十六进制）；不填则随机生成")
@click.option("--title", default="", help="计划名称；不填则自动命名")
def inspection_plan(rate_by_grade, department, seed, title):
    """Draw a random inspection plan by credit grade and print it."""
    try:
        rates = inspections.parse_rates(rate_by_grade)
        plan = inspections.create_plan(None, rates, title, department=department, seed=seed)
    except ServiceError as err:
        fail(err)
    db.session.commit()
    scope = plan.department or inspections.ALL_DEPARTMENTS
    click.echo(f"抽查计划 {plan.id}「{plan.title}」· {scope}")
    click.echo(f"算法 {plan.algorithm}")
    click.echo(f"随机种子 {plan.seed}")
    for c in inspections.counts_by_grade(plan):
        click.echo(
            f"  {c['grade']} 级：比例 {c['rate']}，"
            f"名单 {c['population']} 家，抽取 {c['sampled']} 家"
        )
    click.echo(f"抽中 {len(plan.inspections)} 家：")
    for i in plan.inspections:
        click.echo(f"  #{i.agency_org_id} {i.agency.name}（{i.grade} 级）")


@credit_cli.command("verify-inspection")
@click.argument("plan_id", type=int)
def verify_inspection(plan_id):
    """Re-draw PLAN_ID from its seed, population and rates; exit 1 on a mismatch."""
    plan = inspections.get_plan(plan_id)
    if plan is None:
        fail(ServiceError(f"抽查计划 {plan_id} 不存在"))
    check = inspections.verify_plan(plan)
    click.echo(f"抽查计划 {plan.id}「{plan.title}」· 算法 {plan.algorithm} · 种子 {plan.seed}")
    click.echo(f"重新抽取：{'、'.join(map(str, check.sample)) or '无'}")
    if check.ok:
        click.echo("复核结果：一致")
        return
    click.echo("复核结果：不一致", err=True)
    for problem in check.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


# --- risk alerts (风险预警) ------------------------------------------------------------------


@credit_cli.command("detect-risks")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="只检测该日（北京时间，YYYY-MM-DD）起截止报价或确定中选的项目；不填则检测全部历史",
)
def detect_risks(since):
    """Run the risk-alert rules over past notices; known alerts are not repeated."""
    counts = risk.detect_history(from_local(since) if since else None)
    db.session.commit()
    click.echo(f"新增风险预警 {sum(counts.values())} 条：")
    for code, rule in risk.RULES.items():
        click.echo(f"  {rule.name}（{code}）：{counts[code]} 条")
