"""Writing an archive: the database copied consistently (SQLite's online backup API, or
`pg_dump` in the snapshot its counts are read in), then the uploads, then the manifest."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ...extensions import db
from ..clock import utcnow
from .common import (
    DATABASE_MEMBERS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    UPLOADS,
    BackupError,
    BackupResult,
    database_kind,
    db_error,
    quote_name,
    revision_of,
    sqlite_path,
    table_counts,
    upload_folder,
)
from .postgres import find_pg_tool, pg_connection, run_tool

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


# --- backup ---------------------------------------------------------------------------------


def _sqlite_copy(target: str) -> tuple[str, dict[str, int]]:
    """Copy the configured SQLite database to `target` with the online backup API (a
    consistent copy while the site writes: never the live file), and read the copy's revision
    and row counts."""
    source_path = sqlite_path(db.engine.url)
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
    return sqlite_state(target)


def sqlite_state(path: str) -> tuple[str | None, dict[str, int]]:
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
        counts = {
            n: conn.execute(f"SELECT count(*) FROM {quote_name(n)}").fetchone()[0] for n in names
        }
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
            revision = revision_of(conn)
            counts = table_counts(conn)
            run_tool(
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
            raise BackupError(f"读取数据库失败：{db_error(err)}") from err
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
