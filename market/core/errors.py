"""Service errors and the Chinese error pages."""

import math
from http import HTTPStatus

from flask import Response, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import LazyString
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from .i18n import _, _l
from .logs import request_id


class ServiceError(Exception):
    """A rule was broken: `message` is shown to the user, `field` names the form field if any."""

    def __init__(self, message, field=None):
        if isinstance(message, LazyString):
            message = str(message)  # in the language of the moment it is raised
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    """The actor has no right to do this (rendered as 403)."""


class ManyErrors(ServiceError):
    """Several fields are wrong at once: `errors` holds one ServiceError per problem."""

    def __init__(self, errors: list[ServiceError]):
        super().__init__(errors[0].message, errors[0].field)
        self.errors = errors


def raise_all(errors: list[ServiceError]) -> None:
    """Raise what was found wrong: one error, or all of them at once (nothing if none)."""
    if errors:
        raise errors[0] if len(errors) == 1 else ManyErrors(errors)


def apply_to_form(form, error: ServiceError) -> None:
    """Put a service error (or each of several) back on the form, next to its field when it
    has one."""
    for one in error.errors if isinstance(error, ManyErrors) else [error]:
        field = getattr(form, one.field, None) if one.field else None
        if field is not None:
            field.errors = [*field.errors, one.message]
        else:
            form.form_errors.append(one.message)


def format_size(n: int) -> str:
    """A byte count for messages ("10 MB", "1.5 KB"), rounded up so a file just over a limit
    never reads as equal to it."""
    for unit, size in (("MB", 1048576), ("KB", 1024)):
        if n >= size:
            return f"{math.ceil(n * 10 / size) / 10:.1f}".removesuffix(".0") + f" {unit}"
    return _("%(n)s 字节", n=n)


#: the paths answered in JSON, errors included (the APIs)
JSON_PATHS = ("/api/",)

ERROR_TEXT = {
    400: (_l("请求无效"), _l("提交的内容无法处理，请返回上一页检查后重试。")),
    403: (_l("无权访问"), _l("您没有权限执行此操作。如需帮助，请联系平台运营方。")),
    404: (_l("页面不存在"), _l("您访问的页面不存在或已被删除。")),
    405: (_l("请求方式不正确"), _l("该页面不支持此请求方式。")),
    409: (_l("数据已变更"), _l("该记录刚刚被他人修改，您的操作未生效。请刷新页面后重试。")),
    413: (_l("文件过大"), _l("上传的内容过大，请选择较小的文件后重新上传。")),
    429: (
        _l("操作过于频繁"),
        _l("您的操作过于频繁，为保护账号和平台安全已暂时限制。请稍后再试。"),
    ),
    500: (_l("服务器内部错误"), _l("系统暂时出现问题，我们已记录该错误，请稍后再试。")),
}


def _render(code, detail=None):
    title, text = (str(part) for part in ERROR_TEXT[code])
    # A server error names the request, so support can find its log lines.
    reference = request_id() if code == 500 else None
    if code == 500:
        # The failed transaction (a database error, a deadlock) would fail the page too: the
        # page reads the signed-in user. Nothing of it is to be kept.
        try:
            db.session.rollback()
        except Exception:  # the connection itself is gone: the page needs none
            db.session.close()
    if request.path.startswith(JSON_PATHS):
        # The APIs answer in JSON, with the status's name and the Chinese message.
        body = {"code": code, "status": HTTPStatus(code).phrase, "message": detail or text}
        if reference:
            body["request_id"] = reference
        return jsonify(body), code
    if request_ctx.url_adapter is None:
        # A request for a host not in TRUSTED_HOSTS has no address to build links from: it
        # gets the message alone, as plain text.
        note = _("（错误编号：%(reference)s）", reference=reference) if reference else ""
        message = _("%(title)s：%(text)s", title=title, text=detail or text)
        return Response(message + note, code, mimetype="text/plain")
    page = render_template(
        "errors.html", code=code, title=title, text=detail or text, request_id=reference
    )
    return page, code


def _message_of(error) -> str | None:
    """The message an API view gave its refusal (flask_smorest.abort(404, message=…)), if any."""
    data = getattr(error, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) else None


def _too_large(error):
    # Raised when the form is first read, before any service runs: nothing was written.
    limit = format_size(current_app.config["UPLOAD_MAX_BYTES"])
    return _render(
        413,
        _(
            "上传的文件过大，单个文件不能超过 %(limit)s。本次提交未保存任何内容，"
            "请返回上一页，选择较小的文件后重新上传。",
            limit=limit,
        ),
    )


def register_error_handlers(app):
    for code in ERROR_TEXT:
        app.register_error_handler(code, lambda e, code=code: _render(code, _message_of(e)))
    app.register_error_handler(
        CSRFError,
        lambda e: _render(400, _("页面已过期或表单校验令牌无效，请刷新页面后重新提交。")),
    )
    app.register_error_handler(413, _too_large)
    app.register_error_handler(NotAllowed, lambda e: _render(403, e.message))
    # Optimistic locking (version_id_col) lost a race: nothing was written.
    app.register_error_handler(StaleDataError, lambda e: _render(409))
