"""`flask credit recompute` and `flask credit load-criteria`."""

from datetime import timedelta

from market.agencies.services import agency_of
from market.credit.criteria import current, history
from market.credit.models import ConductRecord

HEADER = "code,party,behaviour,severity,deduction,measure,suspend_months,publish_months\n"


def credit(app, *args):
    return app.test_cli_runner().invoke(args=["credit", *args])


def test_recompute_lifts_expired_records_and_reports_late_deliveries(app, make, db, frozen_clock):
    record, regulator, agency_user = make.confirmed_record(code="A04")
    notice, buyer, winner = make.contracted_notice()
    assert agency_of(agency_user).credit_score == 90
    frozen_clock.set(record.publication_end_dt + timedelta(days=1))
    result = credit(app, "recompute")
    assert result.exit_code == 0, result.output
    assert "逾期未交付新报告 1 条" in result.output and "1 家信用状况变化" in result.output
    agency = agency_of(agency_user)
    assert (agency.credit_score, agency.suspended_until, agency.standing_reason) == (100, None, "")
    late = db.session.scalar(
        db.select(ConductRecord).where(ConductRecord.subject_org_id == winner.organisation.id)
    )
    assert late.criterion.code == "A06"
    again = credit(app, "recompute")
    assert "逾期未交付新报告 0 条" in again.output and "0 家信用状况变化" in again.output


def test_load_criteria_adds_and_revises_as_new_versions(app, db, tmp_path):
    path = tmp_path / "criteria.csv"
    path.write_text(
        HEADER
        + "A05,agency,中选后未在规定时限内签订合同,general,8,warning,0,6\n"
        + "A14,agency,拒不配合监督检查,major,10,suspend,3,12\n",
        encoding="utf-8",
    )
    result = credit(app, "load-criteria", str(path))
    assert result.exit_code == 0, result.output
    assert "新增 1 条，修订 1 条" in result.output
    assert current("A05").version == 2 and current("A05").deduction == 8
    assert [c.version for c in history("A05")] == [2, 1]
    assert current("A14").measure_label == "暂停参与投标 3 个月"
    assert "新增 0 条，修订 0 条" in credit(app, "load-criteria", str(path)).output


def test_a_bad_criteria_file_changes_nothing(app, db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "A05,agency,中选后未在规定时限内签订合同,general,8,warning,0,6\n"
        + "P09,purchaser,拖延付款,general,5,blacklist,0,6\n",
        encoding="utf-8",
    )
    result = credit(app, "load-criteria", str(path))
    assert result.exit_code == 1
    assert "第 3 行：对采购人的处理措施只能是警示" in result.output
    assert current("A05").version == 1
