"""Zero-threshold registration through the web form: format checks only, active once the
e-mail is confirmed; the answer never tells whether an address already has an account."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from stdnum.cn.uscc import calc_check_digit

from market.accounts.models import Membership, Organisation, User
from market.agencies.models import Agency
from market.core.models import AuditEvent, OutgoingMail

USCC_WITH_LETTERS = "91500112MA5U7G8Q0" + calc_check_digit("91500112MA5U7G8Q0")


def form_data(make, kind="agency", **overrides):
    return make.registration_form(kind, **overrides)


def counts(db):
    return (
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Membership.id))),
    )


def mails_to(db, address):
    rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
    return [m for m in rows if address in m.recipients]


def confirm_path(mail):
    return urlsplit(re.search(r"https?://\S+/register/confirm/\S+", mail.body).group(0)).path


def register_and_confirm(client, db, data, kind="agency"):
    """Post the form, open the link mailed to the address; returns the page it lands on."""
    sent = client.post(f"/register/{kind}", data=data)
    assert sent.status_code == 200 and "请查收确认邮件" in sent.get_data(as_text=True)
    (mail,) = mails_to(db, data["email"].strip().lower())
    return client.get(confirm_path(mail), follow_redirects=True)


def refused(client, db, data, kind="agency"):
    """Post the form, check nothing was written, return the page shown again."""
    before = counts(db)
    response = client.post(f"/register/{kind}", data=data)
    assert response.status_code == 200
    assert counts(db) == before
    page = response.get_data(as_text=True)
    assert "is-invalid" in page or "alert-danger" in page
    return page


def test_the_choice_page_offers_both_kinds_free_of_charge(client):
    page = client.get("/register").get_data(as_text=True)
    assert "中介机构入驻" in page and "采购人入驻" in page
    assert "不收任何费用" in page and "无需审核" in page


def test_an_agency_registers_and_is_active_once_its_email_is_confirmed(
    client, make, db, frozen_clock
):
    data = form_data(make, org_name="重庆两江环保科技有限公司", email="Boss@Example.cn")
    response = register_and_confirm(client, db, data)

    assert response.request.path == "/dashboard"  # its workspace, logged in
    page = response.get_data(as_text=True)
    assert "注册成功，重庆两江环保科技有限公司 已入驻平台，无需审核即可使用。" in page

    org = db.session.scalar(select(Organisation).where(Organisation.uscc == data["uscc"]))
    assert org.kind == "agency" and org.name == "重庆两江环保科技有限公司"
    assert org.commitment_signed_dt == frozen_clock.now
    user = org.memberships[0].user
    assert user.active and user.email == "boss@example.cn"
    assert user.is_org_admin
    assert db.session.get(Agency, org.id) is not None  # public profile ready
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.subject_type == "organisation", AuditEvent.subject_id == org.id
        )
    )
    assert event.action == "registered" and event.actor_user_id == user.id
    assert event.actor_org_id == org.id and event.data == {"kind": "agency"}

    account = client.get("/account").get_data(as_text=True)
    assert "重庆两江环保科技有限公司（中介机构）" in account
    assert "单位管理员" in account and data["uscc"] in account
    assert "已于 2026-11-24 10:00 签署" in account


def test_a_purchaser_registers_and_lands_on_its_notices(client, make, db):
    data = form_data(make, "purchaser", org_name="重庆礼嘉置业有限公司")
    response = register_and_confirm(client, db, data, "purchaser")

    assert response.request.path == "/dashboard"
    assert "还没有发布过采购公告" in response.get_data(as_text=True)
    org = db.session.scalar(select(Organisation).where(Organisation.uscc == data["uscc"]))
    assert org.kind == "purchaser"
    assert db.session.get(Agency, org.id) is None
    assert "重庆礼嘉置业有限公司（采购人）" in client.get("/account").get_data(as_text=True)


def test_out_of_town_agencies_register_like_local_ones(client, make, db):
    data = form_data(make, region="陕西省西安市", address="西安市雁塔区科技路1号")
    assert client.post("/register/agency", data=data).status_code == 200


def test_a_uscc_typed_in_lower_case_with_spaces_is_stored_compact(client, make, db):
    typed = "9150 0112 " + USCC_WITH_LETTERS[8:].lower()
    assert client.post("/register/agency", data=form_data(make, uscc=typed)).status_code == 200
    assert db.session.scalar(select(Organisation).where(Organisation.uscc == USCC_WITH_LETTERS))


def test_regulators_cannot_register_themselves(client, make, db):
    before = counts(db)
    response = client.post("/register/regulator", data=form_data(make))
    assert response.status_code == 404
    assert counts(db) == before


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("9150011200000000", "统一社会信用代码应为18位"),
        ("91500112000000000012", "统一社会信用代码应为18位"),
        ("915001120000000011", "统一社会信用代码校验位不正确，请核对后重新输入"),
        ("91500112000000001I", "统一社会信用代码格式不正确（应为18位数字或大写字母）"),
        ("9150011200000000!X", "统一社会信用代码格式不正确（应为18位数字或大写字母）"),
    ],
)
def test_invalid_uscc_is_refused_with_its_specific_reason(client, make, db, uscc, message):
    assert message in refused(client, db, form_data(make, uscc=uscc))


def test_an_already_registered_uscc_is_refused(client, make, db):
    make.agency(uscc=USCC_WITH_LETTERS)
    page = refused(client, db, form_data(make, uscc=USCC_WITH_LETTERS.lower()))
    assert "该统一社会信用代码已注册，如需加入该单位请联系单位管理员" in page


def test_an_email_already_used_gets_the_same_answer_and_its_owner_a_mail(client, make, db):
    make.purchaser(email="zhang.san@example.cn")
    before = counts(db)
    taken = client.post("/register/agency", data=form_data(make, email="Zhang.San@EXAMPLE.cn"))
    new = client.post("/register/agency", data=form_data(make, email="li.si@example.cn"))
    assert taken.status_code == new.status_code == 200

    def strip(response):
        page = response.get_data(as_text=True)
        return page.replace("Zhang.San@EXAMPLE.cn", "X").replace("li.si@example.cn", "X")

    assert strip(taken) == strip(new)
    assert counts(db) == (before[0] + 1, before[1] + 1, before[2] + 1)  # only the new one
    (warning,) = mails_to(db, "zhang.san@example.cn")
    assert "有人尝试用您的邮箱注册" in warning.subject and "没有开通新账号" in warning.body


def test_registered_but_unconfirmed_cannot_log_in_and_only_the_right_password_learns_why(
    client, make, db
):
    data = form_data(make, email="wang.wu@example.cn")
    client.post("/register/agency", data=data)
    right = client.post(
        "/login", data={"email": "wang.wu@example.cn", "password": data["password"]}
    )
    assert "请先打开确认邮件中的链接完成注册" in right.get_data(as_text=True)
    wrong = client.post("/login", data={"email": "wang.wu@example.cn", "password": "Wrong-pass-9"})
    assert "邮箱或密码不正确" in wrong.get_data(as_text=True)


def test_registering_again_resends_the_link_and_only_the_newest_works(
    client, make, db, frozen_clock
):
    data = form_data(make, email="zhao.liu@example.cn")
    client.post("/register/agency", data=data)
    frozen_clock.advance(minutes=5)
    again = form_data(make, email="zhao.liu@example.cn")
    client.post("/register/agency", data=again)
    first, second = mails_to(db, "zhao.liu@example.cn")
    stale = client.get(confirm_path(first), follow_redirects=True).get_data(as_text=True)
    assert "确认链接无效或已过期" in stale
    page = client.get(confirm_path(second), follow_redirects=True)
    assert page.request.path == "/dashboard"
    reused = client.get(confirm_path(second), follow_redirects=True).get_data(as_text=True)
    assert "该邮箱已确认，请直接登录" in reused


def test_a_confirmation_link_lasts_3_days(client, make, db, frozen_clock):
    data = form_data(make, email="qian.qi@example.cn")
    client.post("/register/agency", data=data)
    (mail,) = mails_to(db, "qian.qi@example.cn")
    assert "3 天内" in mail.body
    frozen_clock.advance(days=3, minutes=1)
    late = client.get(confirm_path(mail), follow_redirects=True).get_data(as_text=True)
    assert "确认链接无效或已过期" in late


@pytest.mark.parametrize("phone", ["12345", "138001380001", "23-67001234", "电话"])
def test_a_bad_phone_number_is_refused(client, make, db, phone):
    page = refused(client, db, form_data(make, contact_phone=phone))
    assert "联系电话格式不正确（手机号11位，或座机如 023-67001234）" in page


@pytest.mark.parametrize("phone", ["13800138000", "023-67001234", "02367001234", "0851-1234567"])
def test_mobile_and_landline_numbers_are_accepted(client, make, db, phone):
    response = client.post("/register/agency", data=form_data(make, contact_phone=phone))
    assert "请查收确认邮件" in response.get_data(as_text=True)
    assert db.session.scalar(select(Organisation).where(Organisation.contact_phone == phone))


def test_the_integrity_commitment_must_be_signed(client, make, db):
    page = refused(client, db, form_data(make, commitment=None))
    assert "请阅读并签署信用承诺书" in page


def test_mismatched_passwords_are_refused_in_chinese(client, make, db):
    page = refused(client, db, form_data(make, password_confirm="another-pass-2"))
    assert "两次输入的密码不一致" in page


def test_a_short_password_is_refused(client, make, db):
    page = refused(client, db, form_data(make, password="short1", password_confirm="short1"))
    assert "密码至少 8 位" in page


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaa", "密码过于简单，容易被猜中，请换一个"),
        ("12345678", "密码过于简单，容易被猜中，请换一个"),
        ("Password1", "密码过于简单，容易被猜中，请换一个"),
        ("abcdefghij", "密码应包含字母、数字、符号中的至少两类"),
        ("39571628", "密码应包含字母、数字、符号中的至少两类"),
        ("zhangwei-2026", "密码不能包含邮箱用户名"),
    ],
    ids=["one-letter", "common-digits", "common-word", "letters-only", "digits-only", "email"],
)
def test_a_weak_password_is_refused_with_what_to_change(client, make, db, password, message):
    data = form_data(
        make, email="zhangwei@example.cn", password=password, password_confirm=password
    )
    assert message in refused(client, db, data)


def test_missing_fields_are_each_marked_in_chinese(client, make, db):
    page = refused(client, db, form_data(make, org_name="", legal_representative="  "))
    assert page.count("请填写此项") == 2
    assert "This field is required" not in page


def test_an_overlong_name_gets_the_chinese_length_message(client, make, db):
    page = refused(client, db, form_data(make, org_name="长" * 201))
    assert "字段长度不能超过 200 个字符" in page


def test_a_malformed_email_is_refused(client, make, db):
    page = refused(client, db, form_data(make, email="not-an-email"))
    assert "邮箱格式不正确" in page


def test_the_form_keeps_what_was_typed_after_an_error(client, make, db):
    data = form_data(make, org_name="重庆悦来建设投资有限公司", contact_phone="123")
    page = refused(client, db, data)
    assert 'value="重庆悦来建设投资有限公司"' in page
    assert data["password"] not in page  # passwords are never echoed back
