"""The API's refusals of a query: 422 with the Chinese message of each parameter, in the
error document every API error has (core.errors answers the others under /api/ in JSON)."""

from flask import jsonify
from flask_smorest import abort

MESSAGE = "查询参数不正确，请按 errors 中的说明修改"  # i18n: data


def refuse(name: str, message: str):
    """Stop the request: parameter `name` of the query string is refused with `message`."""
    abort(422, message=MESSAGE, errors={"query": {name: [message]}})


def unprocessable(error):
    """A query the parameters' checks (webargs) or a view refused: which parameter, and why."""
    data = getattr(error, "data", None) or {}
    body = {"code": 422, "status": "Unprocessable Entity", "message": MESSAGE}
    errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = errors
    return jsonify(body), 422


def register(blueprint) -> None:
    blueprint.register_error_handler(422, unprocessable)
