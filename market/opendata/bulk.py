"""Bulk downloads (docs/opendata.md): once a day the worker writes the platform's public data
as files anyone may download whole — notices, awards, contracts, payments and credit
disclosures as CSV, JSON Lines and Excel, and every OCDS release as gzipped JSON Lines — into
a folder per Beijing date, with a manifest giving each file's size, rows and SHA-256.

Only what the public pages show: no quote of a notice still taking quotes (quotes appear only
as an award's winning amount, after the result is put to publicity), no record not yet
disclosed, no bank detail. Rows are read in bounded batches and written as they come; each
file is written under a temporary name and renamed, and the manifest is written last, so a
day's folder with a manifest is complete."""

import gzip
import hashlib
import json
import os
import re
import shutil
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from openpyxl import Workbook

from ..catalogue.sheets import stamped
from ..core.clock import local_today, to_local, utcnow
from ..core.csvfile import cell, write_csv
from ..core.i18n import DEFAULT_LANGUAGE, in_language, plain
from ..extensions import db
from . import ocds
from .datasets import DATASETS, FORMATS, Dataset, label_maps

#: notices whose OCDS releases are built per batch
OCDS_BATCH = 100
MANIFEST = "manifest.json"
OCDS_FILE = "ocds-releases.jsonl.gz"
#: the day folders' names
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIMETYPES = {
    ".csv": "text/csv",
    ".jsonl": "application/jsonl",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".gz": "application/gzip",
}


def folder() -> str:
    """Where the day folders are written: OPENDATA_FOLDER, or instance/opendata."""
    return current_app.config["OPENDATA_FOLDER"] or os.path.join(
        current_app.instance_path, "opendata"
    )


#: every file a day holds, in the manifest's order
FILE_NAMES = tuple(n for d in DATASETS for n in d.files()) + (OCDS_FILE,)
TITLES = {n: d.title for d in DATASETS for n in d.files()} | {
    OCDS_FILE: "OCDS 发布（全部）"  # i18n: data
}


# --- writing --------------------------------------------------------------------------------


def _text(value, labels: dict | None = None):
    """A value as CSV and Excel show it: Beijing time to the minute, labels for codes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{to_local(value):%Y-%m-%d %H:%M}"
    if labels is not None:
        return plain(labels.get(value, value))
    return plain(value)


def _json(value):
    """A value as JSON Lines hold it: ISO 8601 times with +08:00, amounts as numbers."""
    if isinstance(value, datetime):
        return to_local(value).isoformat(timespec="seconds")
    if isinstance(value, Decimal):
        return float(value)
    return plain(value)


def _sheet_value(value):
    """A cell as Excel gets it: amounts as numbers, text guarded like CSV's (no formula)."""
    if isinstance(value, Decimal):
        return float(value)
    return cell(value) if isinstance(value, str) else value


class _Files:
    """The three files of a data set, written side by side as its rows come."""

    def __init__(self, directory: str, dataset: Dataset, day: date, labels: dict):
        self.directory, self.dataset, self.day = directory, dataset, day
        self.keys = [key for key, _ in dataset.columns]
        self.labels = {
            key: labels[v] if isinstance(v, str) else v for key, v in dataset.labels.items()
        }

    def write(self, now) -> dict[str, int]:
        ds = self.dataset
        csv_path, jsonl_path, xlsx_path = (
            _temporary(self.directory, ds.name + ext) for ext in FORMATS
        )
        book = Workbook(write_only=True)
        book.properties.creator = "网上中介超市"  # i18n: data
        sheet = book.create_sheet(ds.title[:31])
        sheet.append([header for _, header in ds.columns])
        count = 0
        with (
            open(csv_path, "w", encoding="utf-8-sig", newline="") as csv_file,
            open(jsonl_path, "w", encoding="utf-8", newline="\n") as jsonl_file,
        ):

            def rows():
                nonlocal count
                for row in ds.rows(now):
                    count += 1
                    shown = [_text(row[k], self.labels.get(k)) for k in self.keys]
                    jsonl_file.write(
                        json.dumps(
                            {k: _json(row[k]) for k in self.keys},
                            ensure_ascii=False,
                            separators=(",", ":"),
                        )
                        + "\n"
                    )
                    sheet.append([_sheet_value(v) for v in shown])
                    yield shown

            write_csv(csv_file, [header for _, header in ds.columns], rows())
        book.save(xlsx_path)
        with open(xlsx_path, "rb") as source:
            workbook = stamped(source.read(), datetime.combine(self.day, time()))
        with open(xlsx_path, "wb") as target:
            target.write(workbook)
        for path, ext in zip((csv_path, jsonl_path, xlsx_path), FORMATS, strict=True):
            os.replace(path, os.path.join(self.directory, ds.name + ext))
        return {ds.name + ext: count for ext in FORMATS}


def _temporary(directory: str, name: str) -> str:
    return os.path.join(directory, f".{name}.tmp")


def _write_ocds(directory: str) -> int:
    """Every release of every published notice, one JSON object a line, gzipped (no name or
    time in the gzip header: the same releases give the same bytes)."""
    path = _temporary(directory, OCDS_FILE)
    count = 0
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out,
    ):
        offset = 0
        while True:
            notices = list(
                db.session.scalars(ocds.public_notices().offset(offset).limit(OCDS_BATCH))
            )
            releases = ocds.releases_for(notices)
            for notice in notices:
                for release in releases[notice.id]:
                    line = json.dumps(
                        release, ensure_ascii=False, separators=(",", ":"), default=plain
                    )
                    out.write(line.encode("utf-8") + b"\n")
                    count += 1
            if len(notices) < OCDS_BATCH:
                break
            offset += OCDS_BATCH
            db.session.expire_all()
    os.replace(path, os.path.join(directory, OCDS_FILE))
    return count


def _digest(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            sha.update(chunk)
    return sha.hexdigest()


def write_day(day: date | None = None, now: datetime | None = None) -> dict:
    """Write the day's files and, last, its manifest; returns the manifest. The files are a
    published format: written in Chinese, whatever the language of whoever asks."""
    with in_language(DEFAULT_LANGUAGE):
        return _write_day(day, now)


def _write_day(day: date | None, now: datetime | None) -> dict:
    now = now or utcnow()
    day = day or local_today(now)
    directory = os.path.join(folder(), day.isoformat())
    os.makedirs(directory, exist_ok=True)
    labels = label_maps()
    rows = {}
    for dataset in DATASETS:
        rows |= _Files(directory, dataset, day, labels).write(now)
    rows[OCDS_FILE] = _write_ocds(directory)
    manifest = {
        "date": day.isoformat(),
        "generated_at": to_local(now).isoformat(timespec="seconds"),
        "publisher": current_app.config["OCDS_PUBLISHER"],
        "files": [
            {
                "name": name,
                "title": TITLES[name],
                "size": os.path.getsize(os.path.join(directory, name)),
                "sha256": _digest(os.path.join(directory, name)),
                "rows": rows[name],
                "generated_at": to_local(now).isoformat(timespec="seconds"),
            }
            for name in FILE_NAMES
        ],
    }
    path = _temporary(directory, MANIFEST)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    os.replace(path, os.path.join(directory, MANIFEST))
    return manifest


def days() -> list[str]:
    """The days with a complete set of files (a manifest), latest first."""
    try:
        names = os.listdir(folder())
    except FileNotFoundError:
        return []
    return sorted(
        (n for n in names if DAY.match(n) and os.path.isfile(os.path.join(folder(), n, MANIFEST))),
        reverse=True,
    )


def manifest(day: str) -> dict | None:
    """The day's manifest, or None for a day without one."""
    if not DAY.match(day):
        return None
    try:
        with open(os.path.join(folder(), day, MANIFEST), encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def purge(today: date) -> int:
    """Delete the day folders older than the last OPENDATA_KEEP_DAYS days; returns how many."""
    keep = max(1, int(current_app.config["OPENDATA_KEEP_DAYS"]))
    oldest = (today - timedelta(days=keep - 1)).isoformat()
    try:
        names = os.listdir(folder())
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in sorted(names):
        if DAY.match(name) and name < oldest:
            shutil.rmtree(os.path.join(folder(), name), ignore_errors=True)
            deleted += 1
    return deleted


def run() -> int:
    """The worker's round: write today's files unless they exist, delete those past the
    retention; returns the files written and folders deleted (0: nothing to do)."""
    now = utcnow()
    today = local_today(now)
    done = 0
    if manifest(today.isoformat()) is None:
        done += len(write_day(today, now)["files"])
    return done + purge(today)
