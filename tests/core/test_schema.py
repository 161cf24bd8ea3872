"""CHECK constraints, which Alembic's autogenerate does not compare: the models' against the
database's, through a scratch copy of the models' schema that leaves nothing behind."""

import pytest
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import Boolean

from market.core.schema import check_constraint_differences, normalise


def copy_of_the_models(db):
    probe = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.tables.values():
        table.to_metadata(probe)
    return probe


def take_check(table, name):
    """Remove the CHECK constraint `name` (its full, converted name) from `table`."""
    (constraint,) = [
        c for c in table.constraints if isinstance(c, CheckConstraint) and c.name == name
    ]
    table.constraints.remove(constraint)
    return constraint


def differences(db, metadata):
    return check_constraint_differences(db.session.connection(), metadata)


def parts_of(message):
    """(what the database has, what the models declare) in a "differs" message."""
    database, models = message.split(", models `")
    return database.split("database `")[1], models


class OneOf(ColumnElement):
    """`column IN (...)` rendered when DDL is compiled, as the models' lifecycles render theirs."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, column, values):
        self.column = column
        self.values = values


@compiles(OneOf)
def _render_one_of(element, compiler, **kw):
    return f"{element.column} IN ({', '.join(repr(v) for v in element.values)})"


def test_the_models_agree_with_the_migrated_database_through_an_engine_too(app, db):
    assert check_constraint_differences(db.engine, db.metadata) == []


def test_an_allowed_value_added_to_the_models_is_reported(app, db):
    probe = copy_of_the_models(db)
    notices = probe.tables["notices"]
    declared = take_check(notices, "ck_notices_state").sqltext
    # whatever renders it (a string or an expression), the models' text is `state IN (...)`
    rendered = str(declared.compile(dialect=db.engine.dialect))
    assert rendered.startswith("state IN (") and rendered.endswith("')")
    notices.append_constraint(CheckConstraint(rendered[:-1] + ", 'paused')", name="state"))

    (message,) = differences(db, probe)
    assert message.startswith("notices: CHECK ck_notices_state differs: database `")
    in_database, in_models = parts_of(message)
    assert "'paused'" in in_models and "'paused'" not in in_database
    assert "'draft'" in in_database and "'draft'" in in_models
    assert message.endswith(" (only in the models: 'paused')")


def test_a_changed_bound_is_reported(app, db):
    probe = copy_of_the_models(db)
    bids = probe.tables["bids"]
    take_check(bids, "ck_bids_amount_positive")
    bids.append_constraint(CheckConstraint("amount_fen >= 0", name="amount_positive"))

    (message,) = differences(db, probe)
    assert message.startswith("bids: CHECK ck_bids_amount_positive differs: database `")
    in_database, in_models = parts_of(message)
    assert ">= 0" in in_models and "> 0" in in_database and ">=" not in in_database


def test_a_constraint_the_models_dropped_is_extra_in_the_database(app, db):
    probe = copy_of_the_models(db)
    take_check(probe.tables["bids"], "ck_bids_amount_positive")

    assert differences(db, probe) == [
        "bids: CHECK ck_bids_amount_positive is in the database but not declared by the models"
    ]


def test_a_constraint_the_models_added_is_missing_in_the_database(app, db):
    probe = copy_of_the_models(db)
    probe.tables["bids"].append_constraint(CheckConstraint("plan != ''", name="plan_given"))

    assert differences(db, probe) == [
        "bids: CHECK ck_bids_plan_given is declared by the models but missing in the database"
    ]


def test_the_constraints_of_a_table_the_database_lacks_are_missing(app, db):
    probe = copy_of_the_models(db)
    Table(
        "probe_things",
        probe,
        Column("id", Integer, primary_key=True),
        Column("size", Integer),
        CheckConstraint("size > 0", name="size_positive"),
    )

    assert differences(db, probe) == [
        "probe_things: CHECK ck_probe_things_size_positive is declared by the models but missing"
        " in the database (the table is missing)"
    ]


def test_a_constraint_rendered_from_an_expression_is_compared_by_its_sql(app, db):
    probe = copy_of_the_models(db)
    agencies = probe.tables["agencies"]
    take_check(agencies, "ck_agencies_credit_grade")
    same = CheckConstraint(OneOf("credit_grade", ["A", "B", "C", "D"]), name="credit_grade")
    agencies.append_constraint(same)
    assert differences(db, probe) == []

    agencies.constraints.remove(same)
    wider = CheckConstraint(OneOf("credit_grade", ["A", "B", "C", "D", "E"]), name="credit_grade")
    agencies.append_constraint(wider)
    (message,) = differences(db, probe)
    assert message.startswith("agencies: CHECK ck_agencies_credit_grade differs: database `")
    assert "'E'" in parts_of(message)[1]


def test_the_order_of_an_in_list_does_not_matter(app, db):
    probe = copy_of_the_models(db)
    agencies = probe.tables["agencies"]
    take_check(agencies, "ck_agencies_credit_grade")
    agencies.append_constraint(
        CheckConstraint("credit_grade IN ('D', 'C', 'B', 'A')", name="credit_grade")
    )

    assert differences(db, probe) == []


def test_nothing_is_left_behind_and_the_transaction_is_the_tests(app, db, make):
    conn = db.session.connection()
    schemata = text("SELECT schema_name FROM information_schema.schemata")
    on_postgresql = conn.dialect.name == "postgresql"
    before = set(conn.execute(schemata).scalars()) if on_postgresql else None
    user = make.purchaser()  # flushed in the test's transaction, never committed
    transaction = conn.get_transaction()

    probe = copy_of_the_models(db)
    take_check(probe.tables["bids"], "ck_bids_amount_positive")
    assert len(check_constraint_differences(conn, probe)) == 1

    assert db.session.connection() is conn
    assert conn.get_transaction() is transaction and transaction.is_active
    assert not conn.in_nested_transaction()
    assert conn.get_execution_options().get("schema_translate_map") is None
    assert conn.execute(text("SELECT 1")).scalar() == 1
    email = conn.execute(text("SELECT email FROM users WHERE id = :id"), {"id": user.id})
    assert email.scalar() == user.email  # the uncommitted row is still there
    if on_postgresql:
        assert set(conn.execute(schemata).scalars()) == before


def test_a_failure_while_building_the_scratch_schema_leaves_the_transaction_usable(app, db, make):
    user = make.purchaser()
    probe = copy_of_the_models(db)
    probe.tables["bids"].append_constraint(CheckConstraint("amount_fen >>>> 0", name="broken"))

    with pytest.raises(DBAPIError):
        differences(db, probe)

    conn = db.session.connection()
    email = conn.execute(text("SELECT email FROM users WHERE id = :id"), {"id": user.id})
    assert email.scalar() == user.email
    assert differences(db, db.metadata) == []


def test_layout_differences_are_normalised_away():
    assert normalise("state IN ('a','b')") == normalise("( state  in (\n  'b' ,  'a'  ) )")
    assert normalise("\"state\" <> 'x'") == normalise("state != 'x'")
    assert normalise("a > 0 AND (b > 0)") == normalise("(a>0 and(b>0))")
    # PostgreSQL's rendering of an IN list: the array's order does not matter either
    assert normalise(
        "(kind)::text = ANY ((ARRAY['b'::character varying, 'a'::character varying])::text[])"
    ) == normalise(
        "(kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])"
    )


def test_what_changes_meaning_is_kept():
    assert normalise("x > 0") != normalise("x >= 0")
    assert normalise("x IN ('a', 'b')") != normalise("x IN ('a', 'b', 'c')")
    assert normalise("x = 'a b'") != normalise("x = 'a  b'")  # inside a string: kept
    assert normalise("x = 'A'") != normalise("x = 'a'")
    assert normalise("(a > 0) OR (b > 0)") != normalise("a > 0) OR (b > 0")
    # an ARRAY compared as a whole (not under ANY/ALL) keeps its order
    assert normalise("x = ARRAY[1, 2]") != normalise("x = ARRAY[2, 1]")
