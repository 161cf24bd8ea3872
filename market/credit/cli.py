"""The `flask credit` command group."""

import sys

import click
from flask.cli import AppGroup

from ..core.clock import from_local
from ..core.errors import ServiceError
from ..core.i18n import _, _l
from ..extensions import db
from .inspections import services as inspections
from .risk import listeners as risk

credit_cli = AppGroup(
    "credit", help=_l("信用管理命令：重算信用分、认定标准、双随机抽查、风险预警。")
)


def fail(err: ServiceError):
    click.echo(_("错误：%(message)s", message=err.message), err=True)
    sys.exit(1)


# --- graded supervision (双随机抽查) ----------------------------------------------------------


@credit_cli.command("inspection-plan")
@click.option(
    "--rate-by-grade",
    default=None,
    help=_l("各等级抽查比例（百分比），如 A=5,B=10,C=20,D=100；未列出的等级取默认值"),
)
@click.option(
    "--department", default=None, help=_l("审批部门（如 生态环境部门）；不填则抽取全部机构")
)
@click.option("--seed", default=None, help=_l("随机种子（十六进制）；不填则随机生成"))
@click.option("--title", default="", help=_l("计划名称；不填则自动命名"))
def inspection_plan(rate_by_grade, department, seed, title):
    """Draw a random inspection plan by credit grade and print it."""
    try:
        rates = inspections.parse_rates(rate_by_grade)
        plan = inspections.create_plan(None, rates, title, department=department, seed=seed)
    except ServiceError as err:
        fail(err)
    db.session.commit()
    scope = plan.department or inspections.ALL_DEPARTMENTS
    click.echo(
        _("抽查计划 %(id)s「%(title)s」· %(scope)s", id=plan.id, title=plan.title, scope=scope)
    )
    click.echo(_("算法 %(algorithm)s", algorithm=plan.algorithm))
    click.echo(_("随机种子 %(seed)s", seed=plan.seed))
    for c in inspections.counts_by_grade(plan):
        click.echo(
            _(
                "  %(grade)s 级：比例 %(rate)s，名单 %(population)s 家，抽取 %(sampled)s 家",
                grade=c["grade"],
                rate=c["rate"],
                population=c["population"],
                sampled=c["sampled"],
            )
        )
    click.echo(_("抽中 %(count)s 家：", count=len(plan.inspections)))
    for i in plan.inspections:
        click.echo(
            _(
                "  #%(id)s %(name)s（%(grade)s 级）",
                id=i.agency_org_id,
                name=i.agency.name,
                grade=i.grade,
            )
        )


@credit_cli.command("verify-inspection")
@click.argument("plan_id", type=int)
def verify_inspection(plan_id):
    """Re-draw PLAN_ID from its seed, population and rates; exit 1 on a mismatch."""
    plan = inspections.get_plan(plan_id)
    if plan is None:
        fail(ServiceError(_("抽查计划 %(id)s 不存在", id=plan_id)))
    check = inspections.verify_plan(plan)
    click.echo(
        _(
            "抽查计划 %(id)s「%(title)s」· 算法 %(algorithm)s · 种子 %(seed)s",
            id=plan.id,
            title=plan.title,
            algorithm=plan.algorithm,
            seed=plan.seed,
        )
    )
    click.echo(_("重新抽取：%(sample)s", sample=_("、").join(map(str, check.sample)) or _("无")))
    if check.ok:
        click.echo(_("复核结果：一致"))
        return
    click.echo(_("复核结果：不一致"), err=True)
    for problem in check.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


# --- risk alerts (风险预警) ------------------------------------------------------------------


@credit_cli.command("detect-risks")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=_l("只检测该日（北京时间，YYYY-MM-DD）起截止报价或确定中选的项目；不填则检测全部历史"),
)
def detect_risks(since):
    """Run the risk-alert rules over past notices; known alerts are not repeated."""
    counts = risk.detect_history(from_local(since) if since else None)
    db.session.commit()
    click.echo(_("新增风险预警 %(count)s 条：", count=sum(counts.values())))
    for code, rule in risk.RULES.items():
        click.echo(
            _("  %(rule)s（%(code)s）：%(count)s 条", rule=rule.name, code=code, count=counts[code])
        )
