"""Schema checks Alembic's autogenerate does not make: the CHECK constraints.

Autogenerate (and so ``flask db check``) compares tables, columns, indexes, unique and foreign keys
but not CHECK constraints, so a model that changes one (a new state in an ``IN (...)`` list, a
changed bound) without a migration goes unnoticed. check_constraint_differences() compares them
by letting the database normalise both sides: it builds the models' schema in a scratch place of
the same dialect, reflects the CHECK constraints of both and compares them table by table and by
name.
"""

import re
import uuid
from collections import Counter

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateSchema


def check_constraint_differences(bind, metadata) -> list[str]:
    """The CHECK constraints the models declare compared with the database's, table by table and
    by name: each one missing, extra or different, as a sentence (empty when they agree).

    `bind` is an Engine or a Connection; a Connection may be inside a transaction (the scratch
    schema PostgreSQL needs lives in a savepoint that is rolled back). Only the metadata's tables
    are compared: other tables of the database (alembic_version, ...) are ignored.
    """
    schemas = sorted({t.schema for t in metadata.tables.values() if t.schema is not None})
    if schemas:
        raise ValueError(f"tables with an explicit schema are not supported: {schemas}")
    dialect = bind.dialect.name
    if dialect == "sqlite":
        declared = _sqlite_declared(metadata)
        began = isinstance(bind, Connection) and not bind.in_transaction()
        actual = _reflect(bind, metadata, schema=None)
        if began and bind.in_transaction():
            bind.rollback()  # end the transaction reflecting autobegan, as it found the connection
    elif dialect == "postgresql":
        actual, declared = _postgresql_both(bind, metadata)
    else:
        raise NotImplementedError(f"CHECK constraints are not compared on {dialect}")
    return _differences(metadata, actual, declared)


# -- building and reflecting ---------------------------------------------------------------------


def _reflect(bind, metadata, schema):
    """{table: [reflected check constraint, ...]} for the metadata's tables present in `schema`
    (None: the connection's default schema); a table that is missing maps to None."""
    inspector = inspect(bind)
    present = set(inspector.get_table_names(schema=schema))
    return {
        name: inspector.get_check_constraints(name, schema=schema) if name in present else None
        for name in metadata.tables
    }


def _sqlite_declared(metadata):
    scratch = create_engine("sqlite://")
    try:
        metadata.create_all(scratch, checkfirst=False)
        return _reflect(scratch, metadata, schema=None)
    finally:
        scratch.dispose()


def _postgresql_both(bind, metadata):
    """(database's, models') constraints; the models' schema is created in a scratch schema
    inside a transaction or savepoint that is rolled back, so nothing is left behind."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            transaction = conn.begin()
            try:
                return _postgresql_in(conn, metadata)
            finally:
                transaction.rollback()
    if not isinstance(bind, Connection):
        raise TypeError(f"expected an Engine or a Connection, not {type(bind).__name__}")
    # In a transaction (e.g. a Session's): a savepoint; otherwise a transaction of our own.
    transaction = bind.begin_nested() if bind.in_transaction() else bind.begin()
    try:
        return _postgresql_in(bind, metadata)
    finally:
        transaction.rollback()


def _postgresql_in(conn, metadata):
    actual = _reflect(conn, metadata, schema=None)  # before the scratch tables exist
    scratch = f"ck_scratch_{uuid.uuid4().hex}"
    conn.execute(CreateSchema(scratch))
    # Connection.execution_options() changes the connection in place: put the map back after.
    previous = conn.get_execution_options().get("schema_translate_map")
    conn.execution_options(schema_translate_map={None: scratch})
    try:
        metadata.create_all(conn, checkfirst=False)
    finally:
        conn.execution_options(schema_translate_map=previous)
    return actual, _reflect(conn, metadata, schema=scratch)


# -- comparing -----------------------------------------------------------------------------------


def _differences(metadata, actual, declared):
    messages = []
    for table in sorted(metadata.tables):
        models = declared[table] or []
        database = actual[table]
        if database is None:
            messages.extend(
                f"{table}: CHECK {_label(c)} is declared by the models but missing in the"
                " database (the table is missing)"
                for c in models
            )
            continue
        messages.extend(_table_differences(table, database, models))
    return messages


def _table_differences(table, database, models):
    messages = []
    db_named = {c["name"]: c["sqltext"] for c in database if c["name"]}
    md_named = {c["name"]: c["sqltext"] for c in models if c["name"]}
    for name in sorted(db_named.keys() | md_named.keys()):
        if name not in db_named:
            messages.append(
                f"{table}: CHECK {name} is declared by the models but missing in the database"
            )
        elif name not in md_named:
            messages.append(
                f"{table}: CHECK {name} is in the database but not declared by the models"
            )
        elif normalise(db_named[name]) != normalise(md_named[name]):
            messages.append(
                f"{table}: CHECK {name} differs: database `{_display(db_named[name])}`,"
                f" models `{_display(md_named[name])}`"
                + _literals_changed(db_named[name], md_named[name])
            )
    # Unnamed constraints (SQLite, without a naming convention) can only be matched by text.
    db_unnamed = Counter(normalise(c["sqltext"]) for c in database if not c["name"])
    md_unnamed = Counter(normalise(c["sqltext"]) for c in models if not c["name"])
    for text in sorted((md_unnamed - db_unnamed).elements()):
        messages.append(
            f"{table}: unnamed CHECK `{text}` is declared by the models but missing in the database"
        )
    for text in sorted((db_unnamed - md_unnamed).elements()):
        messages.append(
            f"{table}: unnamed CHECK `{text}` is in the database but not declared by the models"
        )
    return messages


def _literals_changed(database, models):
    """Which quoted values only one side has (a state added to an `IN` list, say), if any."""
    in_database = {t for t in _tokens(database) if t.startswith("'")}
    in_models = {t for t in _tokens(models) if t.startswith("'")}
    notes = []
    if in_models - in_database:
        notes.append(f"only in the models: {', '.join(sorted(in_models - in_database))}")
    if in_database - in_models:
        notes.append(f"only in the database: {', '.join(sorted(in_database - in_models))}")
    return f" ({'; '.join(notes)})" if notes else ""


def _label(constraint):
    return constraint["name"] or f"`{_display(constraint['sqltext'])}`"


def _display(sqltext):
    return " ".join(_strip_outer_parentheses(sqltext.strip()).split())


# -- normalising constraint text -----------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<string>'(?:[^']|'')*')                 # string literal
    | (?P<quoted>"(?:[^"]|"")*")               # quoted identifier
    | (?P<word>[A-Za-z0-9_.$]+)                # identifier, keyword or number
    | (?P<operator>[<>=!|&+\-*/%~^:]+)         # operator (including :: casts)
    | (?P<punct>[()\[\],;])
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SIMPLE_IDENTIFIER = re.compile(r'"([a-z_][a-z0-9_]*)"')
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def normalise(sqltext: str) -> str:
    """A canonical form of a CHECK constraint's text, so that two texts compare equal when they
    differ only in layout: whitespace, letter case outside quotes, quotes around plain lowercase
    identifiers, `<>` for `!=`, outer parentheses, and the order of a literal `IN (...)` list
    (also PostgreSQL's `= ANY (ARRAY[...])`), since that order does not change what is allowed."""
    tokens = _tokens(sqltext)
    tokens = _sort_literal_lists(tokens)
    text = ""
    previous = None
    for token in tokens:
        if previous is not None and _wordlike(previous) and _wordlike(token):
            text += " "
        text += token
        previous = token
    return _strip_outer_parentheses(text)


def _tokens(sqltext):
    tokens = []
    for match in _TOKEN.finditer(sqltext):
        kind, token = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "quoted":
            simple = _SIMPLE_IDENTIFIER.fullmatch(token)
            token = simple.group(1) if simple else token
        elif kind in ("word", "operator", "other"):
            token = token.lower()
            if token == "<>":
                token = "!="
        tokens.append(token)
    return tokens


def _wordlike(token):
    return token[0] in "'\"" or token[0].isalnum() or token[0] in "_.$"


def _sort_literal_lists(tokens):
    """Sort the items of `in (<literals>)` and `any|all ((array[<literals>]...)` lists."""
    out = list(tokens)
    i = 0
    while i < len(out):
        start = None
        if out[i] == "in" and i + 1 < len(out) and out[i + 1] == "(":
            start, close = i + 2, ")"
        elif out[i] == "array" and i + 1 < len(out) and out[i + 1] == "[":
            j = i - 1
            while j >= 0 and out[j] == "(":
                j -= 1
            if j >= 0 and out[j] in ("any", "all"):
                start, close = i + 2, "]"
        if start is not None:
            items, end = _literal_items(out, start, close)
            if items is not None:
                ordered = sorted(items, key=lambda item: "\0".join(item))
                flat = []
                for n, item in enumerate(ordered):
                    if n:
                        flat.append(",")
                    flat.extend(item)
                out[start:end] = flat
        i += 1
    return out


def _literal_items(tokens, start, close):
    """The comma-separated items from `start` up to the `close` token, if every item is a literal
    (a string or a number, optionally signed and cast); else (None, None)."""
    items, item = [], []
    for end in range(start, len(tokens)):
        token = tokens[end]
        if token in (",", close):
            if not _is_literal(item):
                return None, None
            items.append(item)
            item = []
            if token == close:
                return items, end
        else:
            item.append(token)
    return None, None


def _is_literal(item):
    if not item:
        return False
    head, rest = item[0], item[1:]
    if head in ("-", "+") and rest:
        head, rest = rest[0], rest[1:]
    if not (head.startswith("'") or _NUMBER.fullmatch(head)):
        return False
    # only casts may follow: ::type, ::character varying, ::text[]
    return not rest or (
        rest[0] == "::" and all(t in ("[", "]") or t[0].isalpha() for t in rest[1:])
    )


def _strip_outer_parentheses(text):
    while text.startswith("(") and _matching_parenthesis(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _matching_parenthesis(text, at):
    depth, quote = 0, None
    for i in range(at, len(text)):
        char = text[i]
        if quote:
            if char == quote:
                quote = None  # a doubled quote closes and reopens: same effect
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
    return None
