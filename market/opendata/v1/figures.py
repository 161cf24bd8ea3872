"""/api/v1/statistics: the platform's public accounting, the same figures, tables and charts
as the statistics page and its data.json, for a period of months, a department or an item."""

import marshmallow as ma
from flask_smorest import Blueprint

from ...statistics import services
from . import errors
from .fields import Text

bp = Blueprint(
    "api_statistics",
    __name__,
    url_prefix="/api/v1",
    description="数据统计（与统计页面相同的口径；金额单位为分）",  # i18n: data
)
errors.register(bp)


MONTH = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"
ITEM_ID = r"^[1-9][0-9]{0,9}$"


def _text(description: str, pattern: str, message: str, **kwargs) -> Text:
    return Text(
        metadata={"description": description, "pattern": pattern},
        validate=ma.validate.Regexp(pattern, error=message),
        **kwargs,
    )


class StatisticsArgs(ma.Schema):
    """The statistics page's filters (statistics.filters reads them and checks the rest: the
    period's order and length, the department and item named)."""

    start = _text(
        "起始月份 YYYY-MM（默认最近 12 个月）",  # i18n: data
        MONTH,
        "应为 2000-01 至 2100-12 之间的月份，格式 YYYY-MM",  # i18n: data
        data_key="from",
    )
    end = _text(
        "截止月份 YYYY-MM（含该月）",  # i18n: data
        MONTH,
        "应为 2000-01 至 2100-12 之间的月份，格式 YYYY-MM",  # i18n: data
        data_key="to",
    )
    department = Text(
        metadata={"description": "审批部门（事项清单所列）"},  # i18n: data
        validate=ma.validate.Length(min=1, max=100, error="应为 1 至 100 个字符"),  # i18n: data
    )
    item = _text("服务事项编号（正整数）", ITEM_ID, "应为服务事项编号（正整数）")  # i18n: data


class Figure(ma.Schema):
    label = ma.fields.String(required=True)
    value = ma.fields.Raw(required=True, allow_none=True)
    band = ma.fields.Raw(required=True, allow_none=True)


class Column(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class Table(ma.Schema):
    title = ma.fields.String(required=True)
    note = ma.fields.String(required=True, allow_none=True)
    columns = ma.fields.List(ma.fields.Nested(Column), required=True)
    rows = ma.fields.List(ma.fields.Dict(), required=True)
    chart = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "ECharts 配置"},  # i18n: data
    )


AskedFilters = ma.Schema.from_dict(
    {
        "from": ma.fields.String(required=True),
        "to": ma.fields.String(required=True),
        "department": ma.fields.String(required=True, allow_none=True),
        "item": ma.fields.Integer(required=True, allow_none=True),
    },
    name="AskedFilters",
)


class StatisticsSchema(ma.Schema):
    filters = ma.fields.Nested(AskedFilters, required=True)
    home_region = ma.fields.String(required=True)
    overview = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    summary = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(Figure), required=True
    )
    tables = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(Table), required=True)


@bp.route("/statistics")
@bp.etag
@bp.arguments(StatisticsArgs, location="query")
@bp.response(200, StatisticsSchema)
def statistics(args):
    """数据统计：概况、关键指标和各统计表（含图表配置）"""
    asked = {"from": args.get("start"), "to": args.get("end"), **args}
    try:
        filters = services.read_filters(asked)
    except services.FilterError as err:
        errors.refuse("filters", "；".join(err.messages))  # i18n: data
    document = services.statistics(filters).to_json(services.overview(filters))
    # the time of the answer would make every answer differ (and its ETag with it)
    document.pop("generated_at")
    return document
