"""The read-only JSON API /api/v1/ (docs/opendata.md): notices, results, contracts with
their payment milestones, agencies, the catalogue with its versions, credit disclosures and
statistics; filters, sorting, cursor paging and ETags. Its OpenAPI 3.1 document is generated
from these views' schemas by flask-smorest at /api/v1/openapi.json."""

from flask_smorest import Api

from ...core.converters import MAX_ID, BoundedIntegerConverter

DESCRIPTION = (
    "网上中介超市的公开数据，只读，无需登录。金额以分为单位（整数），时间为北京时间"  # i18n: data
    "（带 +08:00）。列表按 sort 排序，每页 limit 条（默认 20，最多 100），下一页用返回的"
    " next_cursor（或 links.next）；答复带 ETag，带 If-None-Match 再次请求时未变化的答复为"
    " 304。参数不正确时答复 422，errors 中逐项说明；每个地址每分钟最多 120 次、每小时最多"
    " 3000 次请求，超出答复 429。说明见 /opendata/ 页面。"
)


class _Api(Api):
    """flask-smorest's Api, leaving the site's error pages alone: its errors under /api/ are
    answered in JSON by core.errors, and each blueprint here answers 422 itself (errors.py)."""

    def _register_error_handlers(self):
        pass


def init_app(app):
    from . import agencies, catalogue, credit, figures, index, notices, results  # noqa: F401

    api = _Api(app, spec_kwargs={"info": {"description": DESCRIPTION}})
    # every id in an address is bounded (core.converters), and the document says so
    api.register_converter(
        BoundedIntegerConverter,
        lambda converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    )
    for module in (index, notices, agencies, catalogue, credit, figures):
        api.register_blueprint(module.bp)
    return api
