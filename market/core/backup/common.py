"""What backup and restore share: the archive's names, the errors and results, and the configured
instance (its database's kind, revision and rows, its upload folder)."""

import os
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from ...extensions import db
from ..errors import ServiceError

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


def sqlite_path(url: URL) -> str:
    """The absolute path of the SQLite file a URL names (a file, never memory)."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("当前数据库不是 SQLite 文件，无法备份或恢复")
    return os.path.abspath(url.database)


def migration_scripts() -> ScriptDirectory:
    """The migrations' script directory, as `flask db` configures it."""
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def code_revision() -> str:
    """The schema revision this code's migrations end at."""
    return migration_scripts().get_current_head()


def quote_name(name: str) -> str:
    """A table name quoted for SQL (names come from the database's own catalogue)."""
    return '"' + name.replace('"', '""') + '"'


def table_counts(conn) -> dict[str, int]:
    """Rows of every table, by name, through a SQLAlchemy connection."""
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.scalar(select(func.count()).select_from(table(name))) for name in names}


def db_error(err: SQLAlchemyError) -> str:
    """A database error in one line: the driver's message rather than SQLAlchemy's wrapper."""
    return f"{err.__class__.__name__}: {getattr(err, 'orig', None) or err}"


def revision_of(conn) -> str | None:
    """The database's Alembic revision, or None before any migration."""
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))
