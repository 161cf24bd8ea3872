"""Outgoing mail: .eml files in MAIL_FOLDER, or kept in memory for tests."""

import re
from email import policy
from email.parser import BytesParser

import pytest

from market.core.mail import outbox, send_mail


@pytest.fixture(autouse=True)
def empty_outbox(app):
    outbox().clear()
    yield
    outbox().clear()


def test_the_file_backend_writes_a_parseable_eml_into_a_new_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "mail" / "outgoing"
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(folder))

    send_mail("li.si@example.cn", "邀请您加入网上中介超市", "您好：\n请打开以下链接。\n")

    (path,) = folder.iterdir()
    # UTC timestamp of the frozen clock (2026-11-24 10:00 Shanghai), then a random part.
    assert re.fullmatch(r"20261124T020000000000Z-[0-9a-f]{8}\.eml", path.name)
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["From"] == "网上中介超市 <noreply@market.local>"
    assert message["To"] == "li.si@example.cn"
    assert message["Subject"] == "邀请您加入网上中介超市"
    assert message["Date"] == "Tue, 24 Nov 2026 02:00:00 +0000"
    assert message.get_content() == "您好：\n请打开以下链接。\n"
    assert outbox() == []


def test_two_messages_in_the_same_instant_get_two_files(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    send_mail("a@example.cn", "一", "正文")
    send_mail("b@example.cn", "二", "正文")
    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_the_memory_backend_keeps_messages_in_order(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    assert app.config["MAIL_BACKEND"] == "memory"  # the test configuration
    send_mail("a@example.cn", "一", "正文一")
    send_mail("b@example.cn", "二", "正文二")
    assert [m["To"] for m in outbox()] == ["a@example.cn", "b@example.cn"]
    assert outbox()[0]["From"] == app.config["MAIL_SENDER"]
    assert list(tmp_path.iterdir()) == []


def test_the_sender_comes_from_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SENDER", "重庆市中介超市 <market@cq.gov.cn>")
    assert send_mail("a@example.cn", "一", "正文")["From"] == "重庆市中介超市 <market@cq.gov.cn>"


def test_an_unknown_backend_is_a_configuration_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    with pytest.raises(ValueError, match="MAIL_BACKEND"):
        send_mail("a@example.cn", "一", "正文")
    assert outbox() == []


def test_the_default_folder_is_under_instance(app, monkeypatch):
    from market.core.mail import mail_folder

    monkeypatch.setitem(app.config, "MAIL_FOLDER", None)
    assert mail_folder() == f"{app.instance_path}/mail"
