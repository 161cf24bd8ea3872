"""The yardstick for benchmarks/pages.py: the public notice list's first page, hand-written.

    ANCHOR_DATABASE_URL=sqlite:////tmp/…/bench.sqlite3 \\
        .venv/bin/gunicorn --chdir benchmarks -w 2 -b 127.0.0.1:8001 anchor:app

One route, `/`: the 20 latest published notices (title, catalogue item, purchaser, ceiling in
yuan, deadline in Asia/Shanghai, state) read with ONE SQL query (SQLAlchemy Core: notices →
service_items → organisations) and rendered by an inline Jinja template compiled once. It
imports nothing from the application: it is what the page costs with no framework of ours.
"""

import os
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, select

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATE_LABELS = {
    "draft": "草稿",
    "published": "报价中",
    "bidding_closed": "报价已截止",
    "selected": "已选定",
    "publicity": "结果公示中",
    "awarded": "已中选",
    "contracted": "服务中",
    "delivered": "已交付待验收",
    "accepted": "已验收",
    "evaluated": "已评价（办结）",
    "failed": "流标",
    "cancelled": "已撤销",
    "terminated": "服务中止",
}

metadata = MetaData()
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String),
    Column("item_id", Integer),
    Column("purchaser_org_id", Integer),
    Column("ceiling_fen", Integer),
    Column("deadline_dt", DateTime),  # naive UTC, as the application stores it
    Column("published_dt", DateTime),
    Column("state", String),
)
service_items = Table(
    "service_items", metadata, Column("id", Integer, primary_key=True), Column("name", String)
)
organisations = Table(
    "organisations", metadata, Column("id", Integer, primary_key=True), Column("name", String)
)

LATEST = (
    select(
        notices.c.id,
        notices.c.title,
        service_items.c.name.label("item"),
        organisations.c.name.label("purchaser"),
        notices.c.ceiling_fen,
        notices.c.deadline_dt,
        notices.c.state,
    )
    .select_from(
        notices.join(service_items, service_items.c.id == notices.c.item_id).join(
            organisations, organisations.c.id == notices.c.purchaser_org_id
        )
    )
    .where(notices.c.published_dt.is_not(None))
    .order_by(notices.c.published_dt.desc(), notices.c.id.desc())
    .limit(20)
)

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>采购公告 - 网上中介超市</title>
<style>
body { font-family: sans-serif; margin: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; }
td.num { text-align: right; }
</style>
</head>
<body>
<h1>采购公告</h1>
<table>
<thead>
<tr><th>项目名称</th><th>服务事项</th><th>采购人</th><th>最高限价</th><th>报价截止</th><th>状态</th></tr>
</thead>
<tbody>
{% for n in rows %}
<tr>
<td><a href="/notices/{{ n.id }}">{{ n.title }}</a></td>
<td>{{ n.item }}</td>
<td>{{ n.purchaser }}</td>
<td class="num">¥{{ "{:,.2f}".format(n.ceiling_fen / 100) }}</td>
<td>{{ n.deadline }}</td>
<td>{{ n.state }}</td>
</tr>
{% else %}
<tr><td colspan="6">暂无公告</td></tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
"""


def _local(moment):
    return moment.replace(tzinfo=UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def create_app(database_url: str) -> Flask:
    engine = create_engine(database_url)
    app = Flask(__name__)
    template = app.jinja_env.from_string(PAGE)

    @app.route("/")
    def index():
        with engine.connect() as conn:
            rows = [
                {
                    "id": r.id,
                    "title": r.title,
                    "item": r.item,
                    "purchaser": r.purchaser,
                    "ceiling_fen": r.ceiling_fen,
                    "deadline": _local(r.deadline_dt),
                    "state": STATE_LABELS.get(r.state, r.state),
                }
                for r in conn.execute(LATEST)
            ]
        return template.render(rows=rows)

    return app


if "ANCHOR_DATABASE_URL" not in os.environ:
    raise RuntimeError("anchor.py：请用环境变量 ANCHOR_DATABASE_URL 指定数据库")
app = create_app(os.environ["ANCHOR_DATABASE_URL"])
