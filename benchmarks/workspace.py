"""What every benchmark starts from: the app on a throw-away database and folder, removed
when the benchmark ends (an EMPTY `database_url` may be given instead of the SQLite file)."""

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from market import create_app  # noqa: E402


@contextmanager
def benchmark_app(prefix: str, database_url: str | None = None, **config):
    """Yield (app, database url, work folder); fast password hashing, mail kept in memory."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    url = database_url or f"sqlite:///{os.path.join(workdir, 'bench.sqlite3')}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmark",
            "UPLOAD_FOLDER": os.path.join(workdir, "uploads"),
            "MAIL_BACKEND": "memory",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            **config,
        }
    )
    try:
        yield app, url, workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the temporary database, uploads, index
