"""What every benchmark starts from: the app on a throw-away database and folder, removed
when the benchmark ends (an EMPTY `database_url` may be given instead of the SQLite file)."""

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from stdnum.cn.uscc import calc_check_digit  # noqa: E402

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


def register(kind: str, n: int) -> tuple[int, int]:
    """Register organisation number `n` (an agency or a purchaser) as a user would, with a
    valid USCC; returns (user id, organisation id)."""
    from market.accounts.services import Registration, register_organisation

    body = f"91500112{n:09d}"
    user = register_organisation(
        Registration(
            kind=kind,
            org_name=f"基准测试{'机构' if kind == 'agency' else '采购单位'}{n}",
            uscc=body + calc_check_digit(body),
            legal_representative="张三",
            region="重庆市渝北区",
            address="重庆市渝北区金开大道1号",
            contact_name=f"联系人{n}",
            contact_phone="13800138000",
            email=f"bench{n}@example.cn",
            password="bench-pass-1",
            commitment_signed=True,
        )
    )
    return user.id, user.organisation.id
