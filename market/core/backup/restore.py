"""Reading an archive (every member checked against the manifest before anything is touched)
and restoring it into the configured database and upload folder."""

import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable

from alembic.util.exc import CommandError
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from ...extensions import db
from .common import (
    CHUNK,
    DATA_TABLES,
    DATABASE_MEMBERS,
    FORMAT,
    FORMAT_VERSION,
    KIND_LABELS,
    MANIFEST,
    UPLOADS,
    BackupError,
    RestoreResult,
    code_revision,
    database_kind,
    db_error,
    migration_scripts,
    quote_name,
    sqlite_path,
    table_counts,
    upload_folder,
)
from .create import sqlite_state
from .postgres import find_pg_tool, pg_connection, run_tool

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
    script = migration_scripts()
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
        raise BackupError(f"无法读取目标数据库：{db_error(err)}") from err
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
        revision, counts = sqlite_state(copy)
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
    target = sqlite_path(db.engine.url)
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
    with --single-transaction after dropping every table the database holds (a newer
    schema's tables, and its constraints on the others, e.g. a foreign key a later revision
    added, would block the dump's own drops and the upgrade). Any error rolls all of it
    back."""
    pg_restore, psql = find_pg_tool("pg_restore"), find_pg_tool("psql")
    conninfo, env = pg_connection(db.engine.url)
    script = os.path.join(staging, "restore.sql")
    run_tool(
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
        raise BackupError(f"无法读取目标数据库：{db_error(err)}") from err
    before = os.path.join(staging, "before.sql")
    with open(before, "w", encoding="utf-8") as fh:
        for name in sorted(present):
            fh.write(f"DROP TABLE IF EXISTS {quote_name(name)} CASCADE;\n")
    _forget_connections()
    run_tool(
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
            raise BackupError(f"无法读取恢复后的数据库：{db_error(err)}") from err
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
