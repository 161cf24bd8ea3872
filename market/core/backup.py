"""Backup and restore of a whole instance: the database and the uploaded files in one .tar.gz
with a manifest (docs/backup.md).

The archive holds `database.sqlite3` (SQLite, copied with the online backup API) or
`database.pgdump` (PostgreSQL, `pg_dump --format=custom`), the upload folder under `uploads/`,
and `manifest.json` last: when it was made, the schema's Alembic revision, the database's kind,
the rows of every table, and the SHA-256 and size of every other member. A restore checks all
of it before it touches the configured database or upload folder. The search index is not in
the archive (it is rebuilt from the database) and neither is the secret key.
"""

import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .clock import utcnow
from .errors import ServiceError

MANIFEST = "manifest.json"
FORMAT = "market-backup"
FORMAT_VERSION = 1
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KIND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
UPLOADS = "uploads"
#: tables whose rows only people's actions create: a database holding any has data to lose
#: (the catalogue, the criteria and the audit chain's head come with an installation)
DATA_TABLES = {"organisations": "单位", "users": "用户"}
CHUNK = 1024 * 1024


class BackupError(ServiceError):
    """A backup or restore cannot go on; `message` (Chinese) tells the operator why."""


@dataclass
class BackupResult:
    """The archive written: where, its size in bytes, its manifest."""

    path: str
    size: int
    manifest: dict


@dataclass
class RestoreResult:
    """What a restore did: the manifest, the rows of every table now, the revision upgraded
    from (None if the archive's was current), the files put back."""

    manifest: dict
    counts: dict[str, int]
    upgraded_from: str | None = None
    uploads: int = 0


# --- the configured instance ---------------------------------------------------------------


def database_kind() -> str:
    """'sqlite' or 'postgresql', from the configured database URL."""
    backend = db.engine.url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(f"不支持备份此类数据库：{backend}（仅支持 SQLite 和 PostgreSQL）")
    return backend


def upload_folder() -> str:
    """The configured upload folder (agencies.documents reads the same setting)."""
    return current_app.config["UPLOAD_FOLDER"] or os.path.join(current_app.instance_path, "uploads")


def _sqlite_path(url: URL) -> str:
    """The absolute path of the SQLite file a URL names (a file, never memory)."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("当前数据库不是 SQLite 文件，无法备份或恢复")
    return os.path.abspath(url.database)


def _script() -> ScriptDirectory:
    """The migrations' script directory, as `flask db` configures it."""
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def code_revision() -> str:
    """The schema revision this code's migrations end at."""
    return _script().get_current_head()


def _quote(name: str) -> str:
    """A table name quoted for SQL (names come from the database's own catalogue)."""
    return '"' + name.replace('"', '""') + '"'


def table_counts(conn) -> dict[str, int]:
    """Rows of every table, by name, through a SQLAlchemy connection."""
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.scalar(select(func.count()).select_from(table(name))) for name in names}


def _db_error(err: SQLAlchemyError) -> str:
    """A database error in one line: the driver's message rather than SQLAlchemy's wrapper."""
    return f"{err.__class__.__name__}: {getattr(err, 'orig', None) or err}"


def _revision_of(conn) -> str | None:
    """The database's Alembic revision, or None before any migration."""
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


# --- archives -------------------------------------------------------------------------------


class _Hashing:
    """A file read once: hashed while tarfile copies it (an upload changed between a first
    hashing read and the copy would otherwise be recorded wrongly)."""

    def __init__(self, fh):
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        """Read and hash."""
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _member_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    """A regular file's tar header, readable by its owner only."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: str, members: dict) -> None:
    """Add one file to the archive and record its SHA-256 and size in `members`."""
    with open(path, "rb") as fh:
        stat = os.fstat(fh.fileno())
        reader = _Hashing(fh)
        tar.addfile(_member_info(name, stat.st_size, stat.st_mtime), reader)
    members[name] = {"sha256": reader.digest.hexdigest(), "size": stat.st_size}


def _upload_files(folder: str) -> list[tuple[str, str]]:
    """(member name, path) of every regular file under the upload folder, in a stable order."""
    found = []
    if not os.path.isdir(folder):
        return found
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                relative = os.path.relpath(path, folder).replace(os.sep, "/")
                found.append((f"{UPLOADS}/{relative}", path))
    return found


def _default_output() -> str:
    """instance/backups/market-YYYYMMDD-HHMMSS.tar.gz, the time in UTC."""
    folder = os.path.join(current_app.instance_path, "backups")
    return os.path.join(folder, f"market-{utcnow():%Y%m%d-%H%M%S}.tar.gz")


def _private_dir(path: str) -> None:
    """Create a missing folder readable by its owner only."""
    # Backups hold every account's data: readable by the account running the site only.
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700)
        os.chmod(path, 0o700)


# --- PostgreSQL tools -----------------------------------------------------------------------


def find_pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program: on PATH, else the newest under
    /usr/lib/postgresql/*/bin (Debian installs the servers' tools there)."""
    found = shutil.which(name)
    if found:
        return found

    def version(path):
        """The major version in /usr/lib/postgresql/<version>/bin/…."""
        number = path.split(os.sep)[-3]
        return int(number) if number.isdigit() else 0

    candidates = [
        p for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}") if os.access(p, os.X_OK)
    ]
    if candidates:
        return max(candidates, key=version)
    raise BackupError(
        f"找不到 {name}：请安装 PostgreSQL 客户端（例如 apt-get install postgresql-client），"
        "或把它所在的目录加入 PATH"
    )


def _conninfo_value(value) -> str:
    """A value quoted for a libpq connection string."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the command-line tools (without the password) and their
    environment, holding the password in PGPASSWORD: a command line is visible to every
    account on the machine (ps), the environment is not."""
    params = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
    }
    for key, value in url.query.items():
        # Query parameters are libpq's own (host= for a socket folder, sslmode= …).
        params[key] = value[-1] if isinstance(value, tuple) else value
    params.pop("password", None)
    conninfo = " ".join(f"{k}={_conninfo_value(v)}" for k, v in params.items() if v is not None)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if url.password:
        env["PGPASSWORD"] = url.password
    # Notices ("… does not exist, skipping") are not the operator's concern.
    env["PGOPTIONS"] = "-c client_min_messages=warning"
    return conninfo, env


def _run(args: list[str], env: dict[str, str], what: str, note: str = "") -> None:
    """Run a PostgreSQL tool; its failure is a BackupError ending with its last messages."""
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except OSError as err:
        raise BackupError(f"无法运行 {args[0]}：{err}") from err
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        detail = "\n".join(lines[-5:])
        tool = os.path.basename(args[0])
        raise BackupError(f"{what}失败（{tool} 退出码 {done.returncode}）{note}：\n{detail}")


# --- backup ---------------------------------------------------------------------------------


def _sqlite_copy(target: str) -> tuple[str, dict[str, int]]:
    """Copy the configured SQLite database to `target` with the online backup API (a
    consistent copy while the site writes: never the live file), and read the copy's revision
    and row counts."""
    source_path = _sqlite_path(db.engine.url)
    if not os.path.exists(source_path):
        raise BackupError(f"数据库文件不存在：{source_path}")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        # Read-write, though only read: a read-only connection cannot open a WAL database
        # whose shared-memory file is missing.
        source = sqlite3.connect(source_path, timeout=30)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as err:
        raise BackupError(f"复制数据库失败：{err}") from err
    return _sqlite_state(target)


def _sqlite_state(path: str) -> tuple[str | None, dict[str, int]]:
    """The revision and row counts of a SQLite file (a copy of this process's own)."""
    conn = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY name"
            )
        ]
        counts = {n: conn.execute(f"SELECT count(*) FROM {_quote(n)}").fetchone()[0] for n in names}
        revision = None
        if "alembic_version" in names:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return revision, counts
    finally:
        conn.close()


def _pg_dump(target: str) -> tuple[str | None, dict[str, int]]:
    """pg_dump the configured database into `target` (custom format). The counts and the
    revision are read in the transaction whose snapshot pg_dump uses, so they describe
    exactly what it dumps, however the site writes meanwhile."""
    pg_dump = find_pg_tool("pg_dump")
    conninfo, env = pg_connection(db.engine.url)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            revision = _revision_of(conn)
            counts = table_counts(conn)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={conninfo}",
                ],
                env,
                "导出数据库",
            )
    os.chmod(target, 0o600)
    return revision, counts


def create_backup(output: str | None = None) -> BackupResult:
    """Write the instance's database, uploads and manifest into one .tar.gz (0600) at
    `output` (default instance/backups/market-YYYYMMDD-HHMMSS.tar.gz); never overwrites."""
    kind = database_kind()
    path = os.path.abspath(output or _default_output())
    if os.path.exists(path):
        raise BackupError(f"文件已存在，未覆盖：{path}")
    folder = os.path.dirname(path)
    try:
        _private_dir(folder)
    except OSError as err:
        raise BackupError(f"无法创建备份目录 {folder}：{err}") from err
    created = utcnow()
    # Staged beside the output: the archive appears under its name only once complete.
    staging = tempfile.mkdtemp(prefix=".market-backup-", dir=folder)
    try:
        database = os.path.join(staging, DATABASE_MEMBERS[kind])
        try:
            if kind == "sqlite":
                revision, counts = _sqlite_copy(database)
            else:
                revision, counts = _pg_dump(database)
        except SQLAlchemyError as err:
            raise BackupError(f"读取数据库失败：{_db_error(err)}") from err
        if revision is None:
            raise BackupError("数据库尚未建立（没有结构版本），请先运行 flask db upgrade")
        # The database first, then the files: a file a dumped row names was written before
        # the row was committed, so it is already there when the folder is read.
        members: dict[str, dict] = {}
        partial = os.path.join(staging, "archive.tar.gz")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            _add_file(tar, DATABASE_MEMBERS[kind], database, members)
            for name, file_path in _upload_files(upload_folder()):
                _add_file(tar, name, file_path, members)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_utc": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "alembic_revision": revision,
                "database": kind,
                "database_member": DATABASE_MEMBERS[kind],
                "row_counts": counts,
                "members": members,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            # Last, so that it can hold the digests taken while the members were written.
            info = _member_info(MANIFEST, len(data), created.timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)
        _publish(partial, path)
    except OSError as err:
        raise BackupError(f"写入备份失败：{err}") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupResult(path=path, size=os.path.getsize(path), manifest=manifest)


def _publish(partial: str, path: str) -> None:
    """Give the finished archive its name, never over an existing file."""
    # A link fails rather than replace a file made meanwhile under the same name.
    try:
        os.link(partial, path)
    except FileExistsError as err:
        raise BackupError(f"文件已存在，未覆盖：{path}") from err
    except OSError:  # a file system without hard links
        os.rename(partial, path)


# --- reading an archive ---------------------------------------------------------------------

_SAFE_PART = re.compile(r"^[^/\\\x00]+$")


def _member_path(staging: str, name: str) -> str | None:
    """Where a member is extracted, or None if its name is not one a backup holds."""
    if name in (MANIFEST, *DATABASE_MEMBERS.values()):
        return os.path.join(staging, name)
    parts = name.split("/")
    if len(parts) < 2 or parts[0] != UPLOADS:
        return None
    if any(p in ("", ".", "..") or not _SAFE_PART.match(p) for p in parts[1:]):
        return None
    return os.path.join(staging, *parts)


def _extract(archive: str, staging: str) -> tuple[dict, dict[str, tuple[str, int]]]:
    """Extract the archive's members into `staging` (hashing them on the way) and read its
    manifest. Names are checked before anything is written: no member lands outside."""
    if not os.path.isfile(archive):
        raise BackupError(f"备份文件不存在：{archive}")
    found: dict[str, tuple[str, int]] = {}
    corrupt = "备份文件已损坏或不是本系统的备份（{}），未做任何改动"
    try:
        with gzip.open(archive, "rb") as gz:
            with tarfile.open(fileobj=gz, mode="r|") as tar:
                for member in tar:
                    if member.isdir():
                        continue
                    target = _member_path(staging, member.name)
                    if target is None or not member.isfile():
                        raise BackupError(f"备份文件中有不应有的成员：{member.name}，未做任何改动")
                    if member.name in found:
                        raise BackupError(f"备份文件中成员重复：{member.name}，未做任何改动")
                    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
                    digest, size = hashlib.sha256(), 0
                    source = tar.extractfile(member)
                    with open(target, "xb") as out:
                        while chunk := source.read(CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                    os.chmod(target, 0o600)
                    found[member.name] = (digest.hexdigest(), size)
            # Read to the end: gzip checks its CRC there, which covers the manifest too.
            while gz.read(CHUNK):
                pass
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise BackupError(corrupt.format(err)) from err
    except OSError as err:
        raise BackupError(f"读取备份文件失败：{err}，未做任何改动") from err
    if MANIFEST not in found:
        raise BackupError(corrupt.format("缺少 manifest.json"))
    try:
        with open(os.path.join(staging, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (ValueError, OSError) as err:
        raise BackupError(corrupt.format(f"manifest.json 无法读取：{err}")) from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(corrupt.format("manifest.json 不是本系统的清单"))
    del found[MANIFEST]
    return manifest, found


def _check_members(manifest: dict, found: dict[str, tuple[str, int]]) -> None:
    """Every member named by the manifest is there with its SHA-256 and size, and no other."""
    listed = manifest.get("members")
    if (
        manifest.get("format_version") != FORMAT_VERSION
        or not isinstance(listed, dict)
        or not isinstance(manifest.get("row_counts"), dict)
    ):
        raise BackupError("备份清单的格式不受支持，未做任何改动")
    missing = sorted(set(listed) - set(found))
    extra = sorted(set(found) - set(listed))
    if missing or extra:
        names = "、".join((missing + extra)[:5])
        raise BackupError(f"备份文件的成员与清单不符（{names}），未做任何改动")
    for name in sorted(listed):
        expected = listed[name]
        digest, size = found[name]
        if not isinstance(expected, dict) or (expected.get("sha256"), expected.get("size")) != (
            digest,
            size,
        ):
            raise BackupError(
                f"校验失败：{name} 的 SHA-256 与清单不符，备份文件已损坏或被改动，未做任何改动"
            )


def _check_revision(revision) -> str | None:
    """None if the archive's schema is this code's; the revision itself if older (the restore
    upgrades it). An archive from newer code, or unknown, is refused."""
    script = _script()
    head = script.get_current_head()
    if revision == head:
        return None
    try:
        known = bool(revision) and script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"备份的数据库结构版本 {revision} 比当前程序新（或当前程序不认识），"
            "请先把程序升级到做备份时的版本再恢复；未做任何改动"
        )
    return revision


def read_archive(archive: str, staging: str) -> tuple[dict, str | None]:
    """Extract and check an archive in `staging`: its manifest, every member's SHA-256, the
    database's kind against the configured one, the schema revision against the code's.
    Returns the manifest and the older revision to upgrade from (or None); touches nothing of
    the instance."""
    manifest, found = _extract(archive, staging)
    _check_members(manifest, found)
    kind = manifest.get("database")
    if kind not in DATABASE_MEMBERS or DATABASE_MEMBERS[kind] not in found:
        raise BackupError("备份清单中没有可识别的数据库，未做任何改动")
    configured = database_kind()
    if kind != configured:
        raise BackupError(
            f"备份来自 {KIND_LABELS[kind]} 数据库，当前实例使用 {KIND_LABELS[configured]}："
            "不能直接恢复，未做任何改动"
        )
    return manifest, _check_revision(manifest.get("alembic_revision"))


# --- restore --------------------------------------------------------------------------------


def existing_data() -> dict[str, int]:
    """The rows the configured database holds in DATA_TABLES (those that hold any)."""
    try:
        with db.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            counts = {
                name: conn.scalar(select(func.count()).select_from(table(name)))
                for name in DATA_TABLES
                if name in names
            }
    except SQLAlchemyError as err:
        raise BackupError(f"无法读取目标数据库：{_db_error(err)}") from err
    return {name: n for name, n in counts.items() if n}


def _forget_connections() -> None:
    """Close this process's connections to the configured database."""
    # Nothing of this process may hold the database while it is replaced, nor read it later
    # through a connection opened before.
    db.session.remove()
    db.engine.dispose()


def _restore_sqlite(copy: str, manifest: dict) -> None:
    """Check the extracted copy, then copy it into the configured file with the backup API
    (in one step: another connection sees the old database or the new one, never half)."""
    try:
        revision, counts = _sqlite_state(copy)
        conn = sqlite3.connect(copy)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as err:
        raise BackupError(f"备份中的数据库无法读取：{err}，未做任何改动") from err
    if integrity != "ok":
        raise BackupError(f"备份中的数据库未通过完整性检查：{integrity}，未做任何改动")
    if revision != manifest["alembic_revision"] or counts != manifest.get("row_counts"):
        raise BackupError("备份中的数据库与清单记录的结构版本或行数不符，未做任何改动")
    target = _sqlite_path(db.engine.url)
    _forget_connections()
    try:
        if not os.path.exists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as err:
        raise BackupError(f"无法创建数据库文件 {target}：{err}") from err
    try:
        source = sqlite3.connect(copy)
        try:
            dest = sqlite3.connect(target, timeout=30)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
    except sqlite3.Error as err:
        raise BackupError(
            f"写入数据库失败：{err}（数据库正被使用时请先停止网站和后台任务），数据库未改动"
        ) from err
    os.chmod(target, 0o600)


def _restore_postgresql(dump: str, manifest: dict, staging: str) -> None:
    """Replace the configured database's tables with the dump's, in one transaction: the
    dump is turned into a script (`pg_restore --clean --if-exists --no-owner`) that psql runs
    with --single-transaction after dropping the tables the archive does not hold (a newer
    schema's, which would block the drops and the upgrade). Any error rolls all of it back."""
    pg_restore, psql = find_pg_tool("pg_restore"), find_pg_tool("psql")
    conninfo, env = pg_connection(db.engine.url)
    script = os.path.join(staging, "restore.sql")
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--file={script}",
            dump,
        ],
        env,
        "读取数据库备份",
    )
    try:
        with db.engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
    except SQLAlchemyError as err:
        raise BackupError(f"无法读取目标数据库：{_db_error(err)}") from err
    extra = sorted(present - set(manifest.get("row_counts", {})))
    before = os.path.join(staging, "before.sql")
    with open(before, "w", encoding="utf-8") as fh:
        for name in extra:
            fh.write(f"DROP TABLE IF EXISTS {_quote(name)} CASCADE;\n")
    _forget_connections()
    _run(
        [
            psql,
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--dbname={conninfo}",
            f"--file={before}",
            f"--file={script}",
        ],
        env,
        "恢复数据库",
        "，已整体回滚，数据库未改动",
    )


def _staging_parent(folder: str) -> str:
    """Where the archive is extracted: beside the upload folder, so that the restored folder
    is put in place by one rename; inside it when it is a mount point (a folder cannot be
    renamed across file systems, nor a mount point at all)."""
    if os.path.ismount(folder):
        return folder
    return os.path.dirname(os.path.abspath(folder))


def _swap_uploads(restored: str, staging: str) -> None:
    """Put the restored upload folder in place of the configured one by renames on its own
    file system; what it held goes to the staging folder, deleted afterwards."""
    folder = upload_folder()
    replaced = os.path.join(staging, "uploads-replaced")
    if os.path.dirname(os.path.abspath(staging)) == os.path.abspath(folder):
        # A mount point stays: its entries are exchanged, each by a rename.
        os.mkdir(replaced)
        for entry in os.listdir(folder):
            if entry != os.path.basename(staging):
                os.rename(os.path.join(folder, entry), os.path.join(replaced, entry))
        for entry in os.listdir(restored):
            os.rename(os.path.join(restored, entry), os.path.join(folder, entry))
    elif os.path.exists(folder):
        os.rename(folder, replaced)
        try:
            os.rename(restored, folder)
        except OSError:
            os.rename(replaced, folder)
            raise
    else:
        os.rename(restored, folder)
    os.chmod(folder, 0o700)


def restore_backup(archive: str, overwrite: bool = False, say: Callable = print) -> RestoreResult:
    """Restore an archive into the configured database and upload folder: check it whole
    first, refuse a database holding data unless `overwrite`, replace the database, then the
    upload folder, then upgrade an older schema. `say` tells the operator each step."""
    kind = database_kind()
    folder = upload_folder()
    parent = _staging_parent(folder)
    try:
        os.makedirs(parent, mode=0o700, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".market-restore-", dir=parent)
    except OSError as err:
        raise BackupError(f"无法创建恢复用的临时目录：{err}") from err
    try:
        say(f"正在校验备份文件：{archive}")
        manifest, older = read_archive(archive, staging)
        say(
            f"校验通过：{manifest.get('created_utc')}（UTC）的备份，{KIND_LABELS[kind]}，"
            f"结构版本 {manifest['alembic_revision']}，上传文件 {_uploads_in(manifest)} 个"
        )
        present = existing_data()
        if present and not overwrite:
            held = "、".join(f"{DATA_TABLES[name]} {n} 个" for name, n in present.items())
            raise BackupError(
                f"目标数据库已有数据（{held}）。恢复会用备份替换全部现有数据和上传文件；"
                "确认要覆盖，请加 --yes 再运行"
            )
        uploads = os.path.join(staging, UPLOADS)
        os.makedirs(uploads, mode=0o700, exist_ok=True)
        database = os.path.join(staging, DATABASE_MEMBERS[kind])
        say("正在恢复数据库……")
        if kind == "sqlite":
            _restore_sqlite(database, manifest)
        else:
            _restore_postgresql(database, manifest, staging)
        say("正在恢复上传文件……")
        try:
            _swap_uploads(uploads, staging)
        except OSError as err:
            raise BackupError(f"数据库已恢复，但上传文件未能放回 {folder}：{err}") from err
        if older:
            say(f"备份的结构版本 {older} 较旧，正在升级到 {code_revision()}……")
            try:
                upgrade()
            except Exception as err:  # whatever a migration raises: the data itself is back
                raise BackupError(
                    f"数据库已恢复，但结构升级失败：{err}；请修正后运行 flask db upgrade"
                ) from err
        try:
            with db.engine.connect() as conn:
                counts = table_counts(conn)
        except SQLAlchemyError as err:
            raise BackupError(f"无法读取恢复后的数据库：{_db_error(err)}") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(
        manifest=manifest, counts=counts, upgraded_from=older, uploads=_uploads_in(manifest)
    )


def _uploads_in(manifest: dict) -> int:
    """How many uploaded files an archive holds."""
    return sum(1 for name in manifest["members"] if name.startswith(f"{UPLOADS}/"))


def compare_counts(
    manifest: dict, counts: dict[str, int]
) -> list[tuple[str, int | None, int | None]]:
    """(table, rows in the manifest, rows now) for every table in either."""
    expected = manifest.get("row_counts", {})
    return [
        (name, expected.get(name), counts.get(name)) for name in sorted(set(expected) | set(counts))
    ]
