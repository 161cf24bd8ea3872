"""The migrations build exactly the schema the models describe, and can be undone and redone."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

from market import create_app
from market.extensions import db as _db

from .conftest import TEST_CONFIG

TABLES = {
    "agencies",
    "alert_hits",
    "audit_chain_head",
    "audit_events",
    "bid_documents",
    "bid_qualifications",
    "bid_receipts",
    "bids",
    "calendar_overrides",
    "catalogue_batches",
    "catalogue_imports",
    "commitments",
    "conduct_record_documents",
    "conduct_records",
    "contract_models",
    "contract_signatures",
    "contracts",
    "credit_score_history",
    "deliveries",
    "delivery_documents",
    "documents",
    "evaluations",
    "inspection_plans",
    "inspections",
    "invitations",
    "item_revisions",
    "listener_failures",
    "login_sessions",
    "memberships",
    "notice_attachments",
    "notice_avoidances",
    "notice_questions",
    "notices",
    "notifications",
    "objection_documents",
    "objections",
    "offerings",
    "organisations",
    "outgoing_mail",
    "past_performances",
    "payment_gateway_events",
    "payment_milestones",
    "payment_payout_accounts",
    "payment_reconciliations",
    "payments",
    "practitioners",
    "qualifications",
    "rectifications",
    "red_list_entries",
    "risk_alerts",
    "search_documents",
    "search_kinds",
    "search_outbox",
    "search_postings",
    "search_stored",
    "search_terms",
    "selections",
    "service_items",
    "subscriptions",
    "system_fact_criteria",
    "users",
    "violation_criteria",
    "worker_heartbeats",
    "worker_marks",
}


def test_the_migrated_schema_matches_the_models(app, db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []

        # The comparison does notice a model the migrations lack.
        probe = MetaData(naming_convention=db.metadata.naming_convention)
        for table in db.metadata.tables.values():
            table.to_metadata(probe)
        Table("probe", probe, Column("id", Integer, primary_key=True))
        assert [d[0] for d in compare_metadata(context, probe)] == ["add_table"]


def test_every_model_table_is_migrated(app, db):
    assert set(db.metadata.tables) == TABLES
    assert set(inspect(db.engine).get_table_names()) == TABLES | {"alembic_version"}


def test_upgrade_downgrade_upgrade_on_a_fresh_database(tmp_path, make):
    other = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    )
    with other.app_context():
        engine = _db.engine
        try:
            upgrade()
            assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}

            downgrade(revision="base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

            upgrade()
            assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(context, _db.metadata) == []
        finally:
            engine.dispose()

    # Back in the session's app: its own database was not touched.
    assert _db.engine is not engine
    assert "calendar_overrides" in inspect(_db.engine).get_table_names()
    assert make.item("ZJ012") is not None


OLD_ROWS = [
    "INSERT INTO organisations (id, kind, name, legal_representative, region, address,"
    " contact_name, contact_phone, contact_email, created_dt) VALUES"
    " (1, 'agency', '重庆甲环评有限公司', '', '', '', '', '', '', '2026-01-05 02:00:00'),"
    " (2, 'purchaser', '礼嘉建设公司', '', '', '', '', '', '', '2026-01-05 02:00:00'),"
    " (3, 'regulator', '生态环境部门', '', '', '', '', '', '', '2026-01-05 02:00:00')",
    "INSERT INTO users (id, email, name, phone, password_hash, active, created_dt) VALUES"
    " (1, 'p@example.cn', '王五', '', 'x', TRUE, '2026-01-05 02:00:00')",
    "INSERT INTO service_items (id, code, name, licensing_item, legal_basis, approving_department,"
    " implementing_requirement, fee_type, commissioned_by, note, category, list_kind, status,"
    " updated_dt) VALUES (1, 'ZJ012', '环评', '环评审批', '《环评法》', '生态环境部门', '', '', '',"
    " '', '环境', 'licensing', 'online', '2026-01-05 02:00:00')",
    "INSERT INTO agencies (org_id, description, credit_score, credit_grade, blacklisted,"
    " rating_count, rating_quality, rating_timeliness, rating_attitude, rating_fees,"
    " rating_conduct) VALUES (1, '', 100, 'A', FALSE, 1, 5, 4, 5, 3, 4)",
    "INSERT INTO offerings (id, agency_id, item_id, fee_standard, promised_days, description,"
    " created_dt) VALUES (1, 1, 1, '按合同约定，参考价 3 万元起', 20, '', '2026-01-05 02:00:00')",
    "INSERT INTO notices (id, purchaser_org_id, item_id, title, scope, ceiling_fen, service_days,"
    " deadline_dt, contact_name, contact_phone, state, state_changed_dt, selection_reason,"
    " outcome_note, created_by_id, created_dt, version, published_dt) VALUES (1, 2, 1, '环评采购',"
    " '', 10000000, 30, '2026-02-01 02:00:00', '', '', 'evaluated', '2026-03-01 02:00:00', '',"
    " '', 1, '2026-01-10 02:00:00', 1, '2026-01-10 02:00:00')",
    "INSERT INTO bids (id, notice_id, agency_org_id, amount_fen, plan, status, submitted_by_id,"
    " submitted_dt) VALUES (1, 1, 1, 8000000, '', 'selected', 1, '2026-01-20 02:00:00')",
    "INSERT INTO contracts (id, notice_id, bid_id, purchaser_org_id, agency_org_id, amount_fen,"
    " created_dt, delivery_note, accepted_dt) VALUES (1, 1, 1, 2, 1, 8000000,"
    " '2026-02-10 02:00:00', '', '2026-03-01 02:00:00')",
    "INSERT INTO evaluations (id, contract_id, by_org_id, quality, timeliness, attitude, fees,"
    " conduct, comment, created_dt) VALUES (1, 1, 2, 5, 4, 5, 3, 4, '', '2026-03-01 02:00:00')",
]


def test_the_storefront_revision_keeps_existing_data(tmp_path, make):
    """Free-text fees become notes on negotiable fees, accepted contracts become past
    performance, and regulators keep supervising the department they are named after."""
    other = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"}
    )
    with other.app_context():
        engine = _db.engine
        try:
            upgrade(revision="23a29cc5dcbe")
            with engine.begin() as conn:
                for statement in OLD_ROWS:
                    conn.execute(text(statement))
            upgrade()
            with engine.connect() as conn:
                offering = conn.execute(text("SELECT fee_kind, fee_note FROM offerings")).one()
                performance = conn.execute(
                    text(
                        "SELECT agency_id, purchaser_name, amount_fen, rating"
                        " FROM past_performances"
                    )
                ).one()
                department = conn.execute(
                    text("SELECT department FROM organisations WHERE id = 3")
                ).scalar()
                fee_type = conn.execute(text("SELECT fee_type FROM service_items")).scalar()
        finally:
            engine.dispose()
    assert tuple(offering) == ("negotiable", "按合同约定，参考价 3 万元起")
    assert tuple(performance) == (1, "礼嘉建设公司", 8000000, 4.2)
    assert department == "生态环境部门" and fee_type == "market"


def test_the_database_check_constraints_match_the_models(app, db):
    """Autogenerate does not compare CHECK constraints: a changed list of states needs this."""
    from market.core.schema import check_constraint_differences

    assert check_constraint_differences(db.session.connection(), db.metadata) == []
