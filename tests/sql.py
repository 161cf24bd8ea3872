"""Counting the SQL a request sends."""

from sqlalchemy import event


def statements_of(db, call):
    """(number of SQL statements `call()` sent, what it returned)."""
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    db.session.commit()  # the setup's audit events are appended, as earlier requests did
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements), result


def page_statements(client, db, path):
    """(SQL statements, HTML) of one GET of `path`."""
    return statements_of(db, lambda: client.get(path).get_data(as_text=True))
