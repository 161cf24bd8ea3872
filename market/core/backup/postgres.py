"""The PostgreSQL client programs: finding them, and running them without a password on the
command line."""

import glob
import os
import shutil
import subprocess

from sqlalchemy.engine import URL

from .common import BackupError

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


def run_tool(args: list[str], env: dict[str, str], what: str, note: str = "") -> None:
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
