"""Creating, editing, publishing and cancelling notices."""

from datetime import UTC, datetime, timedelta

import pytest

from market.core.errors import NotAllowed, ServiceError
from market.procurement import services
from market.procurement.models import Notice


def _count(db):
    return db.session.query(Notice).count()


def test_notice_starts_as_a_draft_and_publishing_stamps_the_time(make, frozen_clock):
    notice = make.notice(publish=False)
    assert notice.state == "draft" and notice.published_dt is None
    services.publish_notice(notice.created_by, notice)
    assert notice.state == "published"
    assert notice.published_dt == frozen_clock.now
    assert notice.due_dt == notice.deadline_dt


def test_item_not_online_is_refused_and_nothing_is_written(make, db):
    buyer = make.purchaser()
    before = _count(db)
    with pytest.raises(ServiceError, match="尚未上线") as err:
        services.create_notice(buyer, make.notice_data(code="ZJ033"))
    assert err.value.field == "item_id"
    assert _count(db) == before


def test_item_taken_offline_after_drafting_cannot_be_published(make):
    notice = make.notice(publish=False)
    notice.item.status = "withdrawn"
    with pytest.raises(ServiceError, match="尚未上线"):
        services.publish_notice(notice.created_by, notice)
    assert notice.state == "draft"


def test_deadline_needs_three_working_days(make, frozen_clock):
    buyer = make.purchaser()
    # Tuesday 10:00 → the earliest deadline is Friday 10:00.
    friday = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    with pytest.raises(ServiceError, match="不得少于 3 个工作日，最早可设为 2026-11-27 10:00"):
        services.create_notice(buyer, make.notice_data(deadline=friday - timedelta(minutes=1)))
    assert services.create_notice(buyer, make.notice_data(deadline=friday)).state == "draft"


def test_deadline_counts_working_days_over_a_weekend(make, frozen_clock):
    frozen_clock.set(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))  # Friday 10:00
    assert services.earliest_deadline() == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wed


def test_deadline_rechecked_at_publication(make, frozen_clock):
    notice = make.notice(publish=False)
    frozen_clock.advance(days=3)
    with pytest.raises(ServiceError, match="工作日"):
        services.publish_notice(notice.created_by, notice)
    assert notice.state == "draft"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ceiling_fen": 0}, "ceiling", "最高限价必须大于 0"),
        ({"service_days": 0}, "service_days", "服务期限"),
        ({"contact_phone": "12345"}, "contact_phone", "联系电话格式不正确"),
        ({"title": "  "}, "title", "请填写公告标题"),
    ],
)
def test_bad_notice_data_gets_a_specific_message(make, db, overrides, field, message):
    buyer = make.purchaser()
    before = _count(db)
    with pytest.raises(ServiceError, match=message) as err:
        services.create_notice(buyer, make.notice_data(**overrides))
    assert err.value.field == field
    assert _count(db) == before


def test_agencies_cannot_create_notices(make):
    with pytest.raises(NotAllowed):
        services.create_notice(make.agency(), make.notice_data())


def test_draft_can_be_edited_only_by_its_owner_and_only_before_the_deadline(make):
    notice = make.notice(publish=False)
    services.update_notice(notice.created_by, notice, make.notice_data(title="新名称"))
    assert notice.title == "新名称" and notice.revision == 1
    with pytest.raises(NotAllowed):
        services.update_notice(make.purchaser(), notice, make.notice_data(title="别人改的"))
    services.publish_notice(notice.created_by, notice)
    make.close_bidding(notice)
    with pytest.raises(ServiceError, match="只有草稿或报价截止前的公告可以修改"):
        services.update_notice(notice.created_by, notice, make.notice_data(title="再改"))
    assert notice.title == "新名称"


def test_cancel_needs_a_reason_and_records_it(make):
    notice = make.notice()
    with pytest.raises(ServiceError, match="撤销原因"):
        services.cancel_notice(notice.created_by, notice, " ")
    assert notice.state == "published"
    services.cancel_notice(notice.created_by, notice, "项目取消")
    assert notice.state == "cancelled" and notice.outcome_note == "项目取消"
    assert notice.due_dt is None


def test_offered_earliest_deadline_is_accepted_even_mid_minute(make, frozen_clock):
    frozen_clock.set(datetime(2026, 11, 24, 2, 0, 30, tzinfo=UTC))  # Tuesday 10:00:30
    earliest = services.earliest_deadline()
    assert earliest == datetime(2026, 11, 27, 2, 1, tzinfo=UTC)  # typed as 10:01
    notice = services.create_notice(make.purchaser(), make.notice_data(deadline=earliest))
    services.publish_notice(notice.created_by, notice)
    assert notice.state == "published"
