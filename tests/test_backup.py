"""`flask market backup` and `flask market restore`: an instance with the demo data is backed
up and restored into a fresh one, on SQLite or (MARKET_TEST_DATABASE_URL) PostgreSQL.

The session's rolled-back database cannot be backed up (nothing in it is committed): each
instance here is an app of its own, on its own database, upload folder and index, with real
commits. On PostgreSQL each gets a database of its own on the test server.
"""

import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tarfile
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from market import create_app
from market.accounts.models import User
from market.agencies.models import Agency, Document
from market.catalogue.services import load_items, seed_rows
from market.core import backup, clock
from market.core.backup import restore
from market.core.models import AuditEvent
from market.extensions import db as _db
from market.procurement.models import Bid, Notice
from market.search import engine

from .conftest import FROZEN_NOW, TEST_CONFIG

#: the revision before the one that added listener_failures, worker_marks and
#: system_fact_criteria: an archive from older code, restored into a newer schema
OLDER_REVISION = "aea8b66105a2"
POSTGRES = os.environ.get("MARKET_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def db():
    """No per-test rollback: these instances commit for real, each in a database of its own."""
    yield None


# --- instances ------------------------------------------------------------------------------


def _server_engine():
    return create_engine(make_url(POSTGRES), isolation_level="AUTOCOMMIT")


def _new_database_url(folder: Path) -> str:
    """A new empty database: a SQLite file in `folder`, or a database on the test server."""
    if not POSTGRES:
        return f"sqlite:///{folder / 'market.sqlite3'}"
    url = make_url(POSTGRES)
    name = f"{url.database}_backup_{uuid.uuid4().hex[:10]}"
    server = _server_engine()
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    if not POSTGRES:
        return
    server = _server_engine()
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        server.dispose()


@dataclass
class Instance:
    app: object
    root: Path
    url: str

    @property
    def uploads(self) -> Path:
        return Path(self.app.config["UPLOAD_FOLDER"])

    def market(self, *args):
        """Run `flask market …` against this instance (its app context, not the session's)."""
        with self.app.app_context():
            return self.app.test_cli_runner().invoke(args=["market", *args])

    def counts(self) -> dict[str, int]:
        with self.app.app_context(), _db.engine.connect() as conn:
            return backup.table_counts(conn)

    def row(self, model, **where) -> dict:
        """One row of `model`'s table, every column, as the database holds it."""
        with self.app.app_context():
            return dict(
                _db.session.execute(select(model.__table__).filter_by(**where)).mappings().one()
            )

    def files(self) -> dict[str, str]:
        """SHA-256 of every file under the upload folder, by relative path."""
        return {
            str(p.relative_to(self.uploads)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.uploads.rglob("*"))
            if p.is_file()
        }


def _instance(root: Path, *, revision="head", catalogue=True) -> Instance:
    root.mkdir(parents=True, exist_ok=True)
    url = _new_database_url(root)
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(root / "uploads"),
            "SEARCH_INDEX_DIR": str(root / "search"),
        }
    )
    app.instance_path = str(root / "instance")  # default backups land here, not in the repo
    with app.app_context():
        upgrade(revision=revision)
        if catalogue:
            load_items(seed_rows())
            _db.session.commit()
    return Instance(app, root, url)


def _dispose(instance: Instance) -> None:
    with instance.app.app_context():
        _db.engine.dispose()
    _drop_database(instance.url)


def _require_pg_tools():
    if POSTGRES:
        for name in ("pg_dump", "pg_restore", "psql"):
            try:
                backup.find_pg_tool(name)
            except backup.BackupError:
                pytest.skip(f"{name} not found: the PostgreSQL client programs are needed")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An instance holding the demo data, and its backup."""
    _require_pg_tools()
    clock.freeze(FROZEN_NOW)
    root = tmp_path_factory.mktemp("source")
    instance = _instance(root)
    try:
        result = instance.market("demo-data")
        assert result.exit_code == 0, result.output
        result = instance.market("backup", "--output", str(root / "backups" / "demo.tar.gz"))
        assert result.exit_code == 0, result.output
        yield instance, root / "backups" / "demo.tar.gz", result.output
    finally:
        clock.freeze(None)
        _dispose(instance)


@pytest.fixture(scope="module")
def restored(source, tmp_path_factory):
    """A fresh installation (migrated, catalogue loaded, no one registered) the demo's backup
    was restored into, and what the restore said."""
    _, archive, _ = source
    instance = _instance(tmp_path_factory.mktemp("target"))
    try:
        result = instance.market("restore", str(archive))
        yield instance, result
    finally:
        _dispose(instance)


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy an archive member by member, `change(name, data)` giving each member's bytes."""
    with tarfile.open(archive, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def _content(compressed: bytes) -> bytes | None:
    """What a .tar.gz's bytes decompress to; None if they do not."""
    try:
        return gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error):
        return None


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


# --- backup ---------------------------------------------------------------------------------


def test_the_archive_holds_the_database_the_uploads_and_a_manifest(source):
    instance, archive, output = source
    assert "备份已写入" in output and "上传文件" in output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = _manifest(archive)
    kind = "postgresql" if POSTGRES else "sqlite"
    database = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[kind]
    with instance.app.app_context():
        head = backup.code_revision()
    assert manifest["format"] == "market-backup"
    assert manifest["database"] == kind and manifest["database_member"] == database
    assert manifest["alembic_revision"] == head
    assert manifest["created_utc"] == "2026-11-24T02:00:00Z"
    assert manifest["row_counts"] == instance.counts()
    assert manifest["row_counts"]["documents"] > 100

    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        assert names[-1] == "manifest.json"
        digests = {
            m.name: hashlib.sha256(tar.extractfile(m).read()).hexdigest()
            for m in tar
            if m.name != "manifest.json"
        }
    assert digests == {name: m["sha256"] for name, m in manifest["members"].items()}
    uploads = {n.removeprefix("uploads/") for n in names if n.startswith("uploads/")}
    assert uploads == set(instance.files())
    assert database in names


def test_the_default_archive_is_dated_and_private(source):
    instance, _, _ = source
    result = instance.market("backup")
    assert result.exit_code == 0, result.output
    folder = Path(instance.app.instance_path) / "backups"
    assert [p.name for p in folder.iterdir()] == ["market-20261124-020000.tar.gz"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "market-20261124-020000.tar.gz").stat().st_mode) == 0o600

    again = instance.market("backup")  # the same second: never overwritten
    assert again.exit_code == 1 and "文件已存在，未覆盖" in again.output


# --- restore --------------------------------------------------------------------------------


def test_a_restored_instance_holds_what_was_backed_up(source, restored):
    origin, archive, _ = source
    target, result = restored
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output and "恢复完成" in result.output
    assert "审计链完整" in result.output and "张表的行数与备份清单一致" in result.output

    assert target.counts() == origin.counts()
    with origin.app.app_context():
        notice_id = _db.session.scalar(
            select(Notice.id).where(Notice.state == "evaluated").order_by(Notice.id)
        )
        bid_id = _db.session.scalar(select(Bid.id).where(Bid.notice_id == notice_id))
        star = _db.session.scalar(select(User).where(User.email == "agency01@demo.cn"))
        agency_id, agency_name = star.organisation.id, star.organisation.name
        event_id = _db.session.scalar(select(func.max(AuditEvent.id)))
        document_id = _db.session.scalar(select(func.min(Document.id)))
    for model, where in (
        (Notice, {"id": notice_id}),
        (Bid, {"id": bid_id}),
        (Agency, {"org_id": agency_id}),
        (AuditEvent, {"id": event_id}),
        (Document, {"id": document_id}),
        (User, {"email": "agency01@demo.cn"}),
    ):
        assert target.row(model, **where) == origin.row(model, **where), model.__name__

    key = origin.row(Document, id=document_id)["storage_key"]
    assert (target.uploads / key).read_bytes() == (origin.uploads / key).read_bytes()
    assert target.files() == origin.files()
    assert stat.S_IMODE(target.uploads.stat().st_mode) == 0o700

    audit = target.market("verify-audit")
    assert audit.exit_code == 0 and "审计链完整" in audit.output
    with target.app.app_context():
        found = engine.search("agencies", agency_name)
    assert agency_id in [hit.id for hit in found.hits]
    leftovers = [p.name for p in target.root.iterdir() if p.name.startswith(".market-restore-")]
    assert leftovers == []


def test_a_database_with_data_is_replaced_only_when_confirmed(source, restored):
    _, archive, _ = source
    target, _ = restored
    refused = target.market("restore", str(archive))
    assert refused.exit_code == 1
    assert "目标数据库已有数据（单位 75 个、用户 75 个）" in refused.output
    assert "请加 --yes" in refused.output

    confirmed = target.market("restore", str(archive), "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    assert "恢复完成" in confirmed.output


def test_an_upload_folder_that_is_a_mount_point_is_refilled_in_place(source, restored, monkeypatch):
    """A mount point cannot be renamed: the archive is staged inside it and its entries are
    exchanged."""
    origin, archive, _ = source
    target, _ = restored
    (target.uploads / "stray.pdf").write_bytes(b"%PDF- not in the backup")
    mount = str(target.uploads)
    monkeypatch.setattr(os.path, "ismount", lambda path: str(path) == mount)
    result = target.market("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert target.files() == origin.files()
    assert not [p for p in target.uploads.iterdir() if p.name.startswith(".market-restore-")]


def _untouched(target: Instance, run):
    """Run `run()` and check the target's tables and files are as before."""
    counts, files = target.counts(), target.files()
    event = target.row(AuditEvent, id=1)
    result = run()
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert target.counts() == counts and target.files() == files
    assert target.row(AuditEvent, id=1) == event
    assert not [p for p in target.root.iterdir() if p.name.startswith(".market-restore-")]
    return result.output


def test_an_archive_with_one_byte_changed_in_a_member_is_refused(source, restored, tmp_path):
    _, archive, _ = source
    target, _ = restored
    tampered = tmp_path / "tampered.tar.gz"
    changed = []

    def flip_first_upload(name, data):
        if name.startswith("uploads/") and not changed:
            changed.append(name)
            return data[:100] + bytes([data[100] ^ 1]) + data[101:]
        return data

    _rewrite(archive, tampered, flip_first_upload)
    output = _untouched(target, lambda: target.market("restore", str(tampered), "--yes"))
    assert f"校验失败：{changed[0]} 的 SHA-256 与清单不符" in output
    assert "未做任何改动" in output


def test_an_archive_file_with_one_byte_changed_is_refused(source, restored, tmp_path):
    _, archive, _ = source
    target, _ = restored
    original = archive.read_bytes()
    tampered = tmp_path / "tampered.tar.gz"
    # A changed bit of the compressed stream may decode to the same bytes (a Huffman code
    # length nothing uses): that archive holds what the original holds. Take a byte that
    # changes what it holds, or breaks it.
    for at in range(len(original) // 2, len(original)):
        data = bytearray(original)
        data[at] ^= 0x40
        if _content(bytes(data)) != _content(original):
            break
    tampered.write_bytes(bytes(data))
    output = _untouched(target, lambda: target.market("restore", str(tampered), "--yes"))
    assert re.search(r"备份文件已损坏|校验失败|成员", output), output
    assert "未做任何改动" in output


def test_missing_and_foreign_files_are_refused_in_chinese(source, restored, tmp_path):
    target, _ = restored
    output = _untouched(target, lambda: target.market("restore", str(tmp_path / "nope.tar.gz")))
    assert "错误：备份文件不存在" in output

    foreign = tmp_path / "notes.tar.gz"
    foreign.write_bytes(b"not an archive at all")
    output = _untouched(target, lambda: target.market("restore", str(foreign), "--yes"))
    assert "备份文件已损坏或不是本系统的备份" in output

    escaping = tmp_path / "escaping.tar.gz"
    with tarfile.open(escaping, "w:gz") as tar:
        info = tarfile.TarInfo("uploads/../../secret_key")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"key"))
    output = _untouched(target, lambda: target.market("restore", str(escaping), "--yes"))
    assert "备份文件中有不应有的成员：uploads/../../secret_key" in output


def test_an_archive_from_newer_code_is_refused(source, restored, tmp_path):
    _, archive, _ = source
    target, _ = restored
    newer = tmp_path / "newer.tar.gz"

    def from_the_future(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["alembic_revision"] = "ffffffffffff"
        return json.dumps(manifest).encode()

    _rewrite(archive, newer, from_the_future)
    output = _untouched(target, lambda: target.market("restore", str(newer), "--yes"))
    assert "备份的数据库结构版本 ffffffffffff 比当前程序新" in output


def test_an_archive_of_an_older_schema_is_restored_and_upgraded(tmp_path):
    _require_pg_tools()
    older = _instance(tmp_path / "older", revision=OLDER_REVISION, catalogue=False)
    target = _instance(tmp_path / "target")
    try:
        (older.uploads / "7").mkdir(parents=True)
        (older.uploads / "7" / "a.pdf").write_bytes(b"%PDF-1.4 old")
        result = older.market("backup", "--output", str(tmp_path / "older.tar.gz"))
        assert result.exit_code == 0, result.output
        assert _manifest(tmp_path / "older.tar.gz")["alembic_revision"] == OLDER_REVISION
        assert "worker_marks" not in _manifest(tmp_path / "older.tar.gz")["row_counts"]

        result = target.market("restore", str(tmp_path / "older.tar.gz"))
        assert result.exit_code == 0, result.output
        assert f"备份的结构版本 {OLDER_REVISION} 较旧，正在升级" in result.output
        assert "数据库结构已从" in result.output and "恢复完成" in result.output
        with target.app.app_context():
            head = backup.code_revision()
            revision = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert revision == head
        counts = target.counts()
        assert counts["service_items"] == 0  # the archive's (none), not the target's catalogue
        assert counts["system_fact_criteria"] > 0  # seeded by the upgrade
        assert target.files() == {"7/a.pdf": hashlib.sha256(b"%PDF-1.4 old").hexdigest()}
    finally:
        _dispose(older)
        _dispose(target)


# --- the PostgreSQL tools -------------------------------------------------------------------


def test_the_password_reaches_the_tools_in_the_environment_only():
    url = make_url("postgresql+psycopg://market:s3cret'pw@db.example:6543/market?sslmode=require")
    conninfo, env = backup.pg_connection(url)
    assert "s3cret" not in conninfo
    assert env["PGPASSWORD"] == "s3cret'pw"
    assert conninfo == (
        "host='db.example' port='6543' user='market' dbname='market' sslmode='require'"
    )
    _, env = backup.pg_connection(make_url("postgresql+psycopg://app@/market?host=/run/pg"))
    assert "PGPASSWORD" not in env


def test_a_missing_pg_dump_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(glob, "glob", lambda pattern: [])
    with pytest.raises(backup.BackupError, match="找不到 pg_dump：请安装 PostgreSQL 客户端"):
        backup.find_pg_tool("pg_dump")


def test_the_archive_is_read_to_its_end_for_the_gzip_check(tmp_path):
    """The manifest has no digest of its own: gzip's CRC, read at the stream's end, covers it."""
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b'{"format": "market-backup"}'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    compressed = bytearray(archive.read_bytes())
    compressed[-6] ^= 1  # the CRC itself
    archive.write_bytes(bytes(compressed))
    with pytest.raises(backup.BackupError, match="备份文件已损坏"):
        restore._extract(str(archive), str(tmp_path / "staging"))
