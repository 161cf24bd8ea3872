"""Backup and restore of a whole instance: the database and the uploaded files in one .tar.gz
with a manifest (docs/backup.md).

The archive holds `database.sqlite3` (SQLite, copied with the online backup API) or
`database.pgdump` (PostgreSQL, `pg_dump --format=custom`), the upload folder under `uploads/`,
and `manifest.json` last: when it was made, the schema's Alembic revision, the database's kind,
the rows of every table, and the SHA-256 and size of every other member. A restore checks all
of it before it touches the configured database or upload folder. The search index is not in
the archive (it is rebuilt from the database) and neither is the secret key.

    common.py    the archive's names, errors and results; the configured instance
    postgres.py  the PostgreSQL client programs
    create.py    writing an archive
    restore.py   reading one and restoring it
"""

from .common import (
    KIND_LABELS,
    UPLOADS,
    BackupError,
    BackupResult,
    RestoreResult,
    code_revision,
    database_kind,
    table_counts,
    upload_folder,
)
from .create import create_backup
from .postgres import find_pg_tool, pg_connection
from .restore import compare_counts, existing_data, read_archive, restore_backup

__all__ = [
    "KIND_LABELS",
    "UPLOADS",
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "code_revision",
    "compare_counts",
    "create_backup",
    "database_kind",
    "existing_data",
    "find_pg_tool",
    "pg_connection",
    "read_archive",
    "restore_backup",
    "table_counts",
    "upload_folder",
]
