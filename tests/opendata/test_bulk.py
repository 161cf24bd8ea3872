"""Bulk downloads (docs/opendata.md): the day's files written by the worker, served with
their manifest, holding only what the public pages show."""

import csv
import gzip
import hashlib
import io
import json
import os
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from market.core.clock import local_today, to_local, utcnow
from market.opendata import bulk
from market.payments import services as payments

PLAN = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]
SEALED_AMOUNTS = ("87654.32", "87,654.32", "8765432")


def _minute(moment):
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def _iso(moment):
    return to_local(moment).isoformat(timespec="seconds")


@pytest.fixture
def world(make):
    """A contracted notice whose advance is paid, a disclosed and an undisclosed conduct
    record, and a notice taking quotes with one quote."""
    notice, buyer, winner = make.contracted_notice(payment_plan=PLAN)
    advance, rest = payments.contract_milestones(notice.contract.id)
    make.bank_transfer(buyer, advance)
    payments.confirm_receipt(winner, advance)
    disclosed, _, disclosed_agency = make.confirmed_record(publish=True)
    hidden, _, _ = make.confirmed_record(number="生环信决〔2026〕2号", publish=False)
    open_notice = make.notice(title="尚在报价的采购公告")
    make.bid(make.agency(), open_notice, amount_fen=87_654_32)
    return {
        "notice": notice,
        "buyer": buyer,
        "winner": winner,
        "advance": advance,
        "rest": rest,
        "disclosed": disclosed,
        "disclosed_agency": disclosed_agency,
        "hidden": hidden,
        "open": open_notice,
    }


def _files(client):
    """The day's manifest and every file as served, checked against it."""
    day = local_today().isoformat()
    answer = client.get(f"/opendata/files/{day}/manifest.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    manifest = answer.get_json()
    answer.close()
    assert manifest["date"] == day
    files = {}
    for entry in manifest["files"]:
        served = client.get(f"/opendata/files/{day}/{entry['name']}")
        assert served.status_code == 200, entry["name"]
        body = served.get_data()
        served.close()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert len(body) == entry["size"]
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert served.mimetype == bulk.MIMETYPES[os.path.splitext(entry["name"])[1]]
        files[entry["name"]] = (body, entry)
    assert list(files) == list(bulk.FILE_NAMES)
    return files


def _csv(body):
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _jsonl(body):
    return [json.loads(line) for line in body.decode("utf-8").splitlines()]


def _xlsx(body):
    book = load_workbook(io.BytesIO(body), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_the_days_files_hold_the_public_data_and_nothing_sealed(client, world, app):
    assert bulk.run() == len(bulk.FILE_NAMES)
    files = _files(client)
    notice, advance, winner = world["notice"], world["advance"], world["winner"]
    contract = notice.contract
    buyer_org, winner_org = notice.purchaser, winner.organisation
    ocid = f"{app.config['OCDS_PREFIX']}-{notice.id}"
    rows = {name: entry["rows"] for name, (_, entry) in files.items()}
    assert rows == {
        **dict.fromkeys(("notices.csv", "notices.jsonl", "notices.xlsx"), 2),
        **dict.fromkeys(("awards.csv", "awards.jsonl", "awards.xlsx"), 1),
        **dict.fromkeys(("contracts.csv", "contracts.jsonl", "contracts.xlsx"), 1),
        **dict.fromkeys(("payments.csv", "payments.jsonl", "payments.xlsx"), 2),
        **dict.fromkeys(
            ("credit-disclosures.csv", "credit-disclosures.jsonl", "credit-disclosures.xlsx"), 1
        ),
        "ocds-releases.jsonl.gz": rows["ocds-releases.jsonl.gz"],
    }

    # notices: the contracted one and the one taking quotes, no quote of it
    notices = _csv(files["notices.csv"][0])
    assert notices[0][:4] == ["公告编号", "OCDS 编号", "公告标题", "采购人"]
    assert notices[1] == [
        str(notice.id),
        ocid,
        "礼嘉智慧公园环境影响评价服务采购",
        buyer_org.name,
        buyer_org.uscc or "",
        "ZJ012",
        notice.item.name,
        notice.method_label,
        "100000.00",
        "",
        "30",
        _minute(notice.published_dt),
        _minute(notice.deadline_dt),
        notice.state_label,
    ]
    assert notices[2][2] == "尚在报价的采购公告" and notices[2][-1] == "报价中"
    (first, second) = _jsonl(files["notices.jsonl"][0])
    assert first["ceiling_yuan"] == 100000.0 and first["floor_yuan"] is None
    assert first["published_at"] == _iso(notice.published_dt)
    assert first["state"] == notice.state and first["method"] == notice.method
    assert second["title"] == "尚在报价的采购公告"

    # awards: the winner and its amount, after publicity
    awards = _csv(files["awards.csv"][0])
    assert awards[1] == [
        str(notice.id),
        ocid,
        notice.title,
        buyer_org.name,
        "1",
        winner_org.name,
        winner_org.uscc or "",
        "80000.00",
        awards[1][8],
        _minute(notice.publicity_end_dt),
        "公示",
    ]
    assert "" < awards[1][8] < awards[1][9]
    (award,) = _jsonl(files["awards.jsonl"][0])
    assert award["amount_yuan"] == 80000.0 and award["status"] == "publicity"
    assert award["publicity_until"] == _iso(notice.publicity_end_dt)

    # contracts
    contracts = _csv(files["contracts.csv"][0])
    signed = max(contract.purchaser_signed_dt, contract.agency_signed_dt)
    assert contracts[1] == [
        str(contract.id),
        str(notice.id),
        ocid,
        notice.title,
        buyer_org.name,
        buyer_org.uscc or "",
        winner_org.name,
        winner_org.uscc or "",
        "80000.00",
        _minute(signed),
        "30",
        "",
        notice.state_label,
    ]

    # payments: the advance paid, the rest scheduled; no bank reference
    payments_csv = _csv(files["payments.csv"][0])
    assert payments_csv[0] == [
        "付款节点编号",
        "合同编号",
        "公告编号",
        "OCDS 编号",
        "序号",
        "付款节点",
        "比例（%）",
        "金额（元）",
        "付款状态",
        "应付日期",
        "付款时间",
    ]
    assert payments_csv[1] == [
        str(advance.id),
        str(contract.id),
        str(notice.id),
        ocid,
        "1",
        "预付款",
        "30",
        "24000.00",
        "已付款",
        _minute(advance.due_dt),
        _minute(advance.paid_dt),
    ]
    assert payments_csv[2][5:9] == ["尾款", "70", "56000.00", "未到付款条件"]
    paid, rest = _jsonl(files["payments.jsonl"][0])
    assert (paid["state"], paid["amount_yuan"], paid["paid_at"]) == (
        "paid",
        24000.0,
        _iso(advance.paid_dt),
    )
    assert rest["due_at"] is None and rest["paid_at"] is None
    sheet = _xlsx(files["payments.xlsx"][0])
    assert sheet[0] == payments_csv[0]
    assert sheet[1][5:9] == ["预付款", 30, 24000.0, "已付款"]

    # credit: the disclosed record only
    disclosures = _csv(files["credit-disclosures.csv"][0])
    assert disclosures[0][:3] == ["记录编号", "决定书文号", "认定时间"]
    assert len(disclosures) == 2
    assert disclosures[1][1] == "生环信决〔2026〕1号"
    assert disclosures[1][7] == world["disclosed_agency"].organisation.name
    (record,) = _jsonl(files["credit-disclosures.jsonl"][0])
    assert record["decision_number"] == "生环信决〔2026〕1号"
    assert record["party"] == "agency" and record["status"] == "confirmed"

    # OCDS: every release of the two published notices, none of a bid before its deadline
    lines = gzip.decompress(files["ocds-releases.jsonl.gz"][0]).decode().splitlines()
    releases = [json.loads(line) for line in lines]
    assert len(releases) == rows["ocds-releases.jsonl.gz"]
    assert {r["ocid"] for r in releases} == {
        ocid,
        f"{app.config['OCDS_PREFIX']}-{world['open'].id}",
    }
    (opened,) = [r for r in releases if r["ocid"] != ocid]
    assert opened["tag"] == ["tender"] and "bids" not in opened

    # nothing sealed, nothing undisclosed, no bank detail: in any file, in any form
    for name, (body, _) in files.items():
        texts = [body.decode("utf-8", errors="replace")]
        if name.endswith(".xlsx"):
            texts.append(repr(_xlsx(body)))
        if name.endswith(".gz"):
            texts.append(gzip.decompress(body).decode())
        for text in texts:
            for sealed in SEALED_AMOUNTS + ("87654.3", "生环信决〔2026〕2号", "31000012345678"):
                assert sealed not in text, (name, sealed)


def test_the_files_are_written_once_a_day_and_kept_for_the_retention(
    client, world, app, frozen_clock, monkeypatch
):
    monkeypatch.setitem(app.config, "OPENDATA_KEEP_DAYS", 2)
    frozen_clock.set(utcnow())
    assert bulk.run() == len(bulk.FILE_NAMES)
    first = bulk.manifest(local_today().isoformat())
    folder = os.path.join(bulk.folder(), local_today().isoformat())
    stamps = {n: os.stat(os.path.join(folder, n)).st_mtime_ns for n in os.listdir(folder)}
    # the same day: nothing is written again, even if the data changed
    frozen_clock.set(utcnow() + timedelta(minutes=5))
    world["open"].title = "改过的标题"
    assert bulk.run() == 0
    assert bulk.manifest(local_today().isoformat()) == first
    assert {n: os.stat(os.path.join(folder, n)).st_mtime_ns for n in os.listdir(folder)} == stamps
    assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]
    # the next days: new folders, and those older than the last 2 days deleted
    day_one = local_today()
    frozen_clock.set(utcnow() + timedelta(days=1))
    assert bulk.run() == len(bulk.FILE_NAMES)
    assert bulk.days() == [local_today().isoformat(), day_one.isoformat()]
    frozen_clock.set(utcnow() + timedelta(days=1))
    assert bulk.run() == len(bulk.FILE_NAMES) + 1
    assert bulk.days() == [
        local_today().isoformat(),
        (local_today() - timedelta(days=1)).isoformat(),
    ]
    assert not os.path.exists(folder)
    # the page lists the latest day's files, and the day before's manifest
    page = client.get("/opendata/").get_data(as_text=True)
    latest = bulk.manifest(local_today().isoformat())
    for entry in latest["files"]:
        assert entry["sha256"] in page
        assert f"/opendata/files/{latest['date']}/{entry['name']}" in page
    assert client.get(f"/opendata/files/{day_one.isoformat()}/notices.csv").status_code == 404


def test_the_same_data_give_the_same_bytes(client, world):
    written = bulk.write_day()
    again = bulk.write_day()
    assert [f["sha256"] for f in written["files"]] == [f["sha256"] for f in again["files"]]


def test_the_page_before_any_file_and_the_footer_link(client):
    page = client.get("/opendata/").get_data(as_text=True)
    assert "今天的文件尚未生成" in page
    assert "/api/ocds/releases" in page and "/feeds/notices.atom" in page
    assert 'href="/opendata/"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/opendata/files/{day}/..%2Fmanifest.json",
        "/opendata/files/{day}/../manifest.json",
        "/opendata/files/..%2F{day}/notices.csv",
        "/opendata/files/{day}/.notices.csv.tmp",
        "/opendata/files/{day}/unknown.csv",
        "/opendata/files/{day}/notices.txt",
        "/opendata/files/2020-01-01/notices.csv",
        "/opendata/files/2020-01-01/manifest.json",
        "/opendata/files/not-a-day/notices.csv",
        "/opendata/files/..%2F..%2Fsecret_key/manifest.json",
        "/opendata/files/{day}/%2Fetc%2Fpasswd",
    ],
)
def test_bad_paths_are_not_found(client, path):
    bulk.run()
    day = local_today().isoformat()
    assert client.get(path.format(day=day)).status_code == 404


def test_the_command_writes_todays_files(app, make):
    make.notice()
    result = app.test_cli_runner().invoke(args=["market", "opendata-bulk"])
    assert result.exit_code == 0, result.output
    assert "notices.csv" in result.output
    manifest = bulk.manifest(local_today().isoformat())
    assert {f["name"]: f["rows"] for f in manifest["files"]}["notices.csv"] == 1


def test_a_cell_that_looks_like_a_formula_stays_text(client, make):
    make.notice(title='=HYPERLINK("http://example.cn")')
    bulk.run()
    files = _files(client)
    assert _csv(files["notices.csv"][0])[1][2] == '\'=HYPERLINK("http://example.cn")'
    assert _xlsx(files["notices.xlsx"][0])[1][2] == '\'=HYPERLINK("http://example.cn")'
    assert _jsonl(files["notices.jsonl"][0])[0]["title"] == '=HYPERLINK("http://example.cn")'
