"""URL converters: what an address may hold, checked before any view runs."""

from flask import abort, request
from werkzeug.routing import IntegerConverter

#: the largest id an id column holds: they are INTEGER, 32 bits on PostgreSQL (SQLite's would
#: hold 64, but no row there gets beyond this either)
MAX_ID = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` limited to what an id column holds: a larger number names no row, so the
    address is not found (404) instead of failing in the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_converters(app) -> None:
    """Before any route is added: every `<int:…>` is bounded; and no address holds a NUL."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_refuse_nul)


def _refuse_nul() -> None:
    """An address with a NUL in its path or its query is a 400 before any view runs: no link
    of the site makes one, and no PostgreSQL text can hold it or be compared with it."""
    values = [*(request.view_args or {}).values()]
    values += [part for pair in request.args.items(multi=True) for part in pair]
    if any(isinstance(value, str) and "\x00" in value for value in values):
        abort(400)


def as_id(value) -> int:
    """`value` as an id (1 … MAX_ID); ValueError otherwise (a form's choice coercion: an id
    no row can have is an invalid choice, not a database error)."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError("out of range")
    return number


def optional_id(value) -> int | None:
    """A select's value as an id, or None for the empty choice (see as_id)."""
    if value in (None, "", "None"):
        return None
    return as_id(value)


def id_arg(name: str, source=None) -> int | None:
    """The query (or form) argument `name` as an id, None when missing, not a whole number
    or beyond what an id can be."""
    try:
        return as_id((source or request.args)[name])
    except (KeyError, TypeError, ValueError):
        return None
