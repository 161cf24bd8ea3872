"""notify(): an inbox row, e-mailed after the commit to the authorised person (or the admins),
once per dedupe key, never for a transaction that did not commit."""

from market.accounts.members import set_authorised_person
from market.core.mail import send_mail_after_commit
from market.notifications.services import notify, recipients

from .helpers import inbox, mailed_to, rows


def test_a_notification_lands_in_the_inbox_and_mails_the_authorised_person(
    db, make, mail_on_commit
):
    admin = make.purchaser()
    org = admin.organisation
    notify(org.id, "sign", "请签订合同", "请在 2026-12-01 10:00 前签订合同。", "/notices/7")
    assert mail_on_commit == []  # nothing leaves before the commit
    db.session.commit()

    assert inbox(admin) == ["请签订合同"]
    (message,) = mail_on_commit
    assert [a.addr_spec for a in message["To"].addresses] == [admin.email]
    assert message["Subject"] == "【网上中介超市】请签订合同"
    text = message.get_content()
    assert org.name in text and "2026-12-01 10:00" in text and "/notices/7" in text


def test_the_authorised_person_gets_the_mail_not_the_admin(db, make, mail_on_commit):
    admin = make.agency()
    clerk = make.member(admin)
    set_authorised_person(admin, clerk.id)
    notify(admin.organisation.id, "selected", "中选", "正文", "")
    db.session.commit()
    assert mailed_to(mail_on_commit) == [([clerk.email], "【网上中介超市】中选")]


def test_without_an_active_authorised_person_every_admin_is_mailed(db, make, mail_on_commit):
    admin = make.agency()
    second_admin = make.member(admin, role="admin")
    plain_member = make.member(admin)
    admin.organisation.authorised_user = None
    assert recipients(admin.organisation) == [admin.email, second_admin.email]
    admin.organisation.authorised_user = plain_member
    plain_member.active = False
    assert recipients(admin.organisation) == [admin.email, second_admin.email]


def test_a_dedupe_key_makes_a_notification_once_only(db, make, mail_on_commit):
    user = make.agency()
    org_id = user.organisation.id
    assert notify(org_id, "due_soon", "提醒", "正文", "", dedupe_key="due:1:sign:1") is not None
    assert notify(org_id, "due_soon", "提醒", "正文", "", dedupe_key="due:1:sign:1") is None
    db.session.commit()
    assert len(rows(user)) == 1 and len(mail_on_commit) == 1


def test_a_rolled_back_transaction_mails_nobody(db, make, mail_on_commit):
    user = make.agency()
    send_mail_after_commit(user.email, "不会发送", "正文")
    db.session.rollback()
    db.session.commit()
    assert mail_on_commit == []


def test_each_admin_gets_the_mail_in_the_language_they_chose(db, make, mail_on_commit, client):
    from market.core.i18n import _l

    admin = make.agency()
    english = make.member(admin, role="admin")
    english.locale = "en"
    admin.organisation.authorised_user = None
    notify(admin.organisation.id, "sign", _l("签订合同"), _l("签订合同"), "/notices/7")
    db.session.commit()

    by_address = {m["To"].addresses[0].addr_spec: m for m in mail_on_commit}
    assert by_address[admin.email]["Subject"] == "【网上中介超市】签订合同"
    assert "此邮件由网上中介超市自动发送" in by_address[admin.email].get_content()
    subject = "[Online Intermediary Marketplace] Sign the contract"
    assert by_address[english.email]["Subject"] == subject
    assert "Sign the contract" in by_address[english.email].get_content()

    # the inbox shows each reader the message in their language
    client.post("/login", data={"email": english.email, "password": make.PASSWORD})
    page = client.get("/inbox").text
    assert "Sign the contract" in page and "签订合同" not in page
