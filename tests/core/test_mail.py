"""Outgoing mail: .eml files in MAIL_FOLDER, or kept in memory for tests."""

import re
import socketserver
import threading
from email import policy
from email.parser import BytesParser

import pytest

from market import create_app
from market.core.mail import outbox, send_mail

from ..conftest import TEST_CONFIG


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
    # Text travels in its canonical form (RFC 2045): lines end in CRLF.
    assert message.get_content() == "您好：\r\n请打开以下链接。\r\n"
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
    send_mail("a@example.cn", "一", "正文")
    assert outbox()[-1]["From"] == "重庆市中介超市 <market@cq.gov.cn>"


def test_an_unknown_backend_is_a_configuration_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    with pytest.raises(ValueError, match="MAIL_BACKEND"):
        send_mail("a@example.cn", "一", "正文")
    assert outbox() == []


def test_the_default_folder_is_under_instance(app, monkeypatch):
    from market.core.mail import mail_folder

    monkeypatch.setitem(app.config, "MAIL_FOLDER", None)
    assert mail_folder() == f"{app.instance_path}/mail"


def test_a_message_to_several_recipients_has_them_all(app):
    send_mail(["a@example.cn", "b@example.cn"], "一", "正文")
    assert {a.addr_spec for a in outbox()[0]["To"].addresses} == {"a@example.cn", "b@example.cn"}


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive one message on loopback."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test ready")
        envelope = {"rcpt": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250 test")
            elif verb == "MAIL":
                envelope["from"] = command
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["rcpt"].append(command.split(":", 1)[1].strip("<> "))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                envelope["data"] = data
                self.server.received.append(envelope)
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def test_the_smtp_backend_sends_through_flask_mail(tmp_path):
    server = socketserver.TCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        smtp_app = create_app(
            {
                **TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mail.sqlite3'}",
                "MAIL_BACKEND": "smtp",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": server.server_address[1],
                "MAIL_FOLDER": str(tmp_path / "mail"),
            }
        )
        with smtp_app.app_context():
            send_mail(
                ["li.si@example.cn", "wang.wu@example.cn"], "请签订合同", "您好：\n请签订合同。\n"
            )
            assert outbox() == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    (envelope,) = server.received
    assert sorted(envelope["rcpt"]) == ["li.si@example.cn", "wang.wu@example.cn"]
    assert "noreply@market.local" in envelope["from"]
    message = BytesParser(policy=policy.default).parsebytes(envelope["data"])
    assert message["Subject"] == "请签订合同"
    assert message["Date"] == "Tue, 24 Nov 2026 02:00:00 +0000"
    assert message.get_content() == "您好：\r\n请签订合同。\r\n"
    assert not (tmp_path / "mail").exists()


def test_queued_mail_goes_out_after_the_commit_or_not_at_all(app, db):
    from market.core.mail import discard_queued_mail, send_mail_after_commit, send_queued_mail

    send_mail_after_commit("a@example.cn", "一", "正文")
    assert outbox() == []
    assert send_queued_mail() == 1  # what the worker does once it is committed
    assert [m["Subject"] for m in outbox()] == ["一"]

    send_mail_after_commit("b@example.cn", "二", "正文")
    assert discard_queued_mail() == 1
    assert send_queued_mail() == 0 and len(outbox()) == 1


def test_the_worker_sends_what_was_committed_and_nothing_twice(app, tmp_path):
    other = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'commit.sqlite3'}"}
    )
    with other.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import select

        from market.core import worker
        from market.core.mail import deliver_outbox, send_mail_after_commit
        from market.core.models import OutgoingMail
        from market.extensions import db as _db

        upgrade()
        session = _db.session.registry()  # the real session: the test fixture's commit flushes
        (task,) = [t for t in worker.tasks(other) if t.name == "mail"]
        try:
            assert task.every == 1  # a committed message goes out within a second
            send_mail_after_commit("a@example.cn", "提交后发送", "正文")
            session.commit()
            assert outbox() == []  # the request that committed never waits for the server
            assert worker.run_task(task) == 1
            assert [m["Subject"] for m in outbox()] == ["提交后发送"]
            session = _db.session.registry()
            send_mail_after_commit("b@example.cn", "回滚后丢弃", "正文")
            session.rollback()
            session.commit()
            assert worker.run_task(task) == 0 and len(outbox()) == 1

            # What waits in the outbox (say after a crash) goes out with send-mail too.
            send_mail_after_commit("c@example.cn", "稍后发送", "正文")
            session.commit()
            pending = session.scalars(select(OutgoingMail).where(OutgoingMail.sent_dt.is_(None)))
            assert [m.subject for m in pending] == ["稍后发送"]
            result = other.test_cli_runner().invoke(args=["market", "send-mail"])
            assert result.exit_code == 0 and "发出邮件 1 封" in result.output
            assert [m["Subject"] for m in outbox()][-1] == "稍后发送"
            assert deliver_outbox() == (0, 0)  # nothing is sent twice
        finally:
            session.close()
