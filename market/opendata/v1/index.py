"""/api/v1/: what the API offers, with links (the OpenAPI document describes each in full)."""

import marshmallow as ma
from flask import current_app, url_for
from flask_smorest import Blueprint

bp = Blueprint("api_index", __name__, url_prefix="/api/v1", description="接口目录")  # i18n: data

#: the lists the API offers, by name: (endpoint, what it holds)
RESOURCES = {
    "notices": ("api_notices.notices", "采购公告"),  # i18n: data
    "results": ("api_notices.results", "中选结果公示"),  # i18n: data
    "contracts": ("api_notices.contracts", "合同与付款节点"),  # i18n: data
    "agencies": ("api_agencies.agencies", "中介机构"),  # i18n: data
    "catalogue": ("api_catalogue.items", "中介服务事项清单"),  # i18n: data
    "disclosures": ("api_credit.disclosures", "信用公示"),  # i18n: data
    "statistics": ("api_statistics.statistics", "数据统计"),  # i18n: data
}


class Resource(ma.Schema):
    url = ma.fields.String(required=True)
    title = ma.fields.String(required=True)


class IndexSchema(ma.Schema):
    title = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    openapi = ma.fields.String(
        required=True,
        metadata={"description": "OpenAPI 3.1 文档"},  # i18n: data
    )
    documentation = ma.fields.String(required=True)
    resources = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(Resource), required=True
    )


@bp.route("/")
@bp.etag
@bp.response(200, IndexSchema)
def index():
    """接口目录"""
    return {
        "title": current_app.config["API_TITLE"],
        "version": current_app.config["API_VERSION"],
        "openapi": url_for("api-docs.openapi_json"),
        "documentation": url_for("opendata.index") + "#api",
        "resources": {
            name: {"url": url_for(endpoint), "title": title}
            for name, (endpoint, title) in RESOURCES.items()
        },
    }
