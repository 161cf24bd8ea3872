"""The API's fields and common schemas: each query parameter refused with a Chinese message
saying what it should be, times shown in Asia/Shanghai with their offset, and the error
document every refusal has."""

from datetime import date

import marshmallow as ma
from marshmallow import validate

from ...core.clock import to_local
from ...core.converters import MAX_ID

#: the dates a query may name
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
#: the longest text a filter takes
MAX_TEXT = 100


class _Chinese:
    default_error_messages = {
        "required": "缺少必填参数",  # i18n: data
        "null": "不能为空",  # i18n: data
        "validator_failed": "取值不正确",  # i18n: data
    }


class Int(_Chinese, ma.fields.Integer):
    default_error_messages = {"invalid": "应为整数"}  # i18n: data


class Text(_Chinese, ma.fields.String):
    default_error_messages = {
        "invalid": "应为文本",  # i18n: data
        "invalid_utf8": "应为 UTF-8 文本",  # i18n: data
    }


class Day(_Chinese, ma.fields.Date):
    default_error_messages = {
        "invalid": "应为日期，格式 YYYY-MM-DD，例如 2026-03-01",  # i18n: data
        "format": "日期无法输出",  # i18n: data
    }


class LocalDateTime(ma.fields.DateTime):
    """An aware UTC time, written in Asia/Shanghai with its offset (2026-03-01T09:30:00+08:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return to_local(value).isoformat(timespec="seconds")


def day_arg(description: str) -> Day:
    """A date in the query string, within the years a query may name."""
    return Day(
        # the years the range allows, in the document too (the format says the rest)
        metadata={"description": description, "pattern": "^20[0-9]{2}-"},
        validate=validate.Range(
            min=FIRST_DAY,
            max=LAST_DAY,
            error=f"应在 {FIRST_DAY} 至 {LAST_DAY} 之间",  # i18n: data
        ),
    )


def id_arg(description: str) -> Int:
    """An id in the query string."""
    return Int(
        metadata={"description": description},
        validate=validate.Range(
            min=1,
            max=MAX_ID,
            error=f"应为 1 至 {MAX_ID} 之间的整数",  # i18n: data
        ),
    )


def text_arg(description: str, max_length: int = MAX_TEXT) -> Text:
    """A word or name in the query string."""
    return Text(
        metadata={"description": description},
        validate=validate.Length(
            min=1,
            max=max_length,
            error=f"应为 1 至 {max_length} 个字符",  # i18n: data
        ),
    )


def choice_arg(description: str, choices, default=None) -> Text:
    """One of `choices` (codes) in the query string."""
    choices = list(choices)
    extra = {} if default is None else {"load_default": default}
    return Text(
        metadata={"description": description},
        **extra,
        validate=validate.OneOf(choices, error="应为以下之一：" + "、".join(choices)),  # i18n: data
    )


class PageArgs(ma.Schema):
    """The paging of every list: how many items, and where the previous page ended."""

    limit = Int(
        metadata={"description": "每页条数（1–100，默认 20）"},  # i18n: data
        validate=validate.Range(min=1, max=100, error="应为 1 至 100 之间的整数"),  # i18n: data
    )
    cursor = Text(
        metadata={"description": "上一页返回的 next_cursor；不填为第一页"},  # i18n: data
        validate=validate.Length(min=1, max=400, error="应为 1 至 400 个字符"),  # i18n: data
    )


class Links(ma.Schema):
    self = ma.fields.String(required=True, metadata={"description": "本页地址"})  # i18n: data
    next = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "下一页地址；没有下一页时为 null"},  # i18n: data
    )


class PageOf(ma.Schema):
    """A page of a list: its items, the cursor of the next page (null on the last) and links."""

    next_cursor = ma.fields.String(allow_none=True, required=True)
    links = ma.fields.Nested(Links, required=True)


def page_schema(name: str, item: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of `item`s."""
    return PageOf.from_dict(
        {"items": ma.fields.List(ma.fields.Nested(item), required=True)}, name=name
    )


class Named(ma.Schema):
    """An organisation as the public pages name it."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    uscc = ma.fields.String(
        required=True,
        metadata={"description": "统一社会信用代码（可为空）"},  # i18n: data
    )


class ItemRef(ma.Schema):
    """A catalogue item by code and name."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
