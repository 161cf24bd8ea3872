"""Public disclosure (双公示): only published records in their publication period are listed
(not revoked, repaired, dismissed or expired ones), with filters, JSON and CSV; the blacklist
shows agencies blacklisted by a confirmed serious violation until it ends."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest

from market.agencies.documents import Upload
from market.core.clock import SHANGHAI
from market.credit.records import appeals
from market.credit.records import services as records
from market.credit.records.services import ReportData
from market.credit.standing import recompute_all


def row(page, row_id):
    match = re.search(rf'<tr id="{row_id}".*?</tr>', page, flags=re.S)
    return match.group(0) if match else ""


def listed(client, path="/credit/disclosures"):
    return client.get(path).get_data(as_text=True)


def name_of(user):
    return user.organisation.name


def confirm_and_publish(frozen_clock, regulator, record, number):
    """Decide once the response window is over, then disclose."""
    frozen_clock.set(record.response_due_dt + timedelta(minutes=1))
    records.decide(regulator, record.id, "confirmed", number)
    records.publish(regulator, record.id)


@pytest.fixture
def disclosed(make):
    """A published A05 warning: (record, regulator, agency user)."""
    return make.confirmed_record("A05", number="生环信决〔2026〕7号")


# --- what is listed -------------------------------------------------------------------------


def test_a_published_record_is_listed_with_its_decision(client, disclosed):
    record, _, agency = disclosed
    page = listed(client)
    line = row(page, f"record-{record.id}")
    assert "生环信决〔2026〕7号" in line and "生态环境部门" in line
    assert "2026-11-27" in line  # decided when the response window closed
    assert f'href="/agencies/{agency.organisation.id}"' in line and name_of(agency) in line
    assert "A05" in line and "中选后未在规定时限内签订合同" in line
    assert "警示" in line and "2027-05-27" in line  # six months' publication
    assert "复核中" not in line


def test_records_not_yet_decided_dismissed_or_published_are_not_listed(client, make, frozen_clock):
    unpublished, regulator, _ = make.confirmed_record("A05", publish=False)
    reported, _, _ = make.conduct_report(code="A06", regulator=regulator)
    dismissed, _, _ = make.conduct_report(code="A11", regulator=regulator)
    frozen_clock.set(dismissed.response_due_dt + timedelta(minutes=1))
    records.decide(regulator, dismissed.id, "dismissed_evidence", "生环信决〔2026〕8号", "证据不足")
    page = listed(client)
    for record in (unpublished, reported, dismissed):
        assert f'id="record-{record.id}"' not in page
    assert "没有符合条件的公示记录" in page
    records.publish(regulator, unpublished.id)
    assert f'id="record-{unpublished.id}"' in listed(client)


def test_an_appealed_record_stays_listed_marked_under_review(client, disclosed):
    record, _, agency = disclosed
    appeals.appeal(agency, record.id, "签约逾期系采购人原因")
    assert "复核中" in row(listed(client), f"record-{record.id}")


def test_a_revoked_record_leaves_the_list(client, disclosed):
    record, regulator, agency = disclosed
    appeals.appeal(agency, record.id, "签约逾期系采购人原因")
    appeals.decide_appeal(regulator, record.id, "revoked", "生环复决〔2026〕1号", "理由成立")
    assert f'id="record-{record.id}"' not in listed(client)


def test_a_repaired_record_leaves_the_list(client, disclosed, frozen_clock, make):
    record, regulator, agency = disclosed
    frozen_clock.set(record.repair_from_dt + timedelta(days=1))
    proof = Upload("other", "整改报告", "fix.pdf", make.PDF_BYTES)
    appeals.request_repair(agency, record.id, "已建立签约时限提醒制度", [proof])
    assert f'id="record-{record.id}"' in listed(client)
    appeals.decide_repair(regulator, record.id, True)
    assert f'id="record-{record.id}"' not in listed(client)


def test_a_record_leaves_the_list_when_its_publication_ends(client, disclosed, frozen_clock):
    record, _, _ = disclosed
    frozen_clock.set(record.publication_end_dt - timedelta(minutes=1))
    assert f'id="record-{record.id}"' in listed(client)
    frozen_clock.advance(minutes=1)
    assert f'id="record-{record.id}"' not in listed(client)


def test_a_suspension_shows_when_it_ends(client, make):
    record, _, _ = make.confirmed_record("A04")
    line = row(listed(client), f"record-{record.id}")
    assert "暂停参与投标 3 个月（至 2027-02-27）" in line


def test_a_purchasers_record_is_listed_without_a_storefront_link(client, make, frozen_clock):
    buyer = make.purchaser()
    regulator = make.credit_regulator()
    record = records.report(
        regulator,
        ReportData(subject_org_id=buyer.organisation.id, code="P01", facts="指定中介机构"),
    )
    confirm_and_publish(frozen_clock, regulator, record, "生环信决〔2026〕9号")
    line = row(listed(client), f"record-{record.id}")
    assert name_of(buyer) in line and "采购人" in line and "/agencies/" not in line


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def three(make, frozen_clock):
    """Three published records: A05 and A04 (生态环境部门), A06 (气象部门)."""
    a05, _, first = make.confirmed_record("A05")
    a04, _, second = make.confirmed_record("A04")
    record, regulator, third = make.conduct_report(
        code="A06", regulator=make.credit_regulator("气象部门")
    )
    confirm_and_publish(frozen_clock, regulator, record, "气象信决〔2026〕2号")
    return {"A05": (a05, first), "A04": (a04, second), "A06": (record, third)}


def shown(page, three):
    return sorted(code for code, (r, _) in three.items() if f'id="record-{r.id}"' in page)


def test_the_newest_decision_comes_first(client, three):
    page = listed(client)
    ids = [f'id="record-{three[c][0].id}"' for c in ("A06", "A04", "A05")]
    assert page.index(ids[0]) < page.index(ids[1]) < page.index(ids[2])


def test_filters_by_party_criterion_department_and_name(client, three):
    assert shown(listed(client, "/credit/disclosures?party=purchaser"), three) == []
    assert shown(listed(client, "/credit/disclosures?party=agency"), three) == ["A04", "A05", "A06"]
    assert shown(listed(client, "/credit/disclosures?code=a04"), three) == ["A04"]
    page = listed(client, "/credit/disclosures?department=气象部门")
    assert shown(page, three) == ["A06"]
    assert '<option value="气象部门" selected>' in page
    name = three["A05"][1].organisation.name
    assert shown(listed(client, f"/credit/disclosures?q={name}"), three) == ["A05"]
    uscc = three["A04"][1].organisation.uscc
    assert shown(listed(client, f"/credit/disclosures?q={uscc}"), three) == ["A04"]
    assert "没有符合条件的公示记录" in listed(client, "/credit/disclosures?q=不存在的公司")


# --- exports --------------------------------------------------------------------------------


def test_the_json_export_has_stable_keys_and_shanghai_times(client, three):
    response = client.get("/credit/disclosures.json?department=生态环境部门")
    assert response.mimetype == "application/json"
    document = json.loads(response.get_data(as_text=True))
    assert list(document) == ["generated_at", "count", "items"]
    assert document["generated_at"].endswith("+08:00") and document["count"] == 2
    item = document["items"][0]
    record, agency = three["A04"]
    assert item == {
        "record_number": record.number,
        "decision_number": "生环信决〔2026〕1号",
        "decided_at": item["decided_at"],
        "published_at": item["published_at"],
        "publication_end": item["publication_end"],
        "party": "agency",
        "org_id": agency.organisation.id,
        "name": agency.organisation.name,
        "uscc": agency.organisation.uscc,
        "criterion_code": "A04",
        "criterion_version": 1,
        "behaviour": "中选后无正当理由放弃中选资格",
        "severity": "major",
        "deduction": 10,
        "measure": "suspend",
        "measure_end": item["measure_end"],
        "department": "生态环境部门",
        "status": "confirmed",
    }
    # A04 was reported when A05's window closed: decided 2026-12-02 10:02 Shanghai time
    assert item["decided_at"] == "2026-12-02T10:02:00+08:00"
    assert item["decided_at"] == record.decided_dt.astimezone(SHANGHAI).isoformat()
    assert item["measure_end"] == "2027-03-02T10:02:00+08:00"  # three months' suspension
    assert document["items"][1]["measure_end"] is None  # a warning ends with nothing


def test_the_csv_export_opens_in_excel(client, disclosed):
    record, _, agency = disclosed
    response = client.get("/credit/disclosures.csv")
    assert response.mimetype == "text/csv"
    assert "attachment; filename=credit-disclosures-2026" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["记录编号", "决定书文号", "认定时间"]
    assert "当事人名称" in rows[0] and "处理措施" in rows[0]
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["当事人名称"] == name_of(agency) and line["决定书文号"] == "生环信决〔2026〕7号"
    assert line["认定时间"].startswith("2026-11-27 10:0") and line["处理措施"] == "警示"
    assert line["当事人类型"] == "中介机构" and line["状态"] == "已认定" and line["措施截止"] == ""
    assert len(rows) == 2


def test_a_formula_in_a_name_is_exported_as_text(client, make):
    make.confirmed_record("A05", agency_user=make.agency(org_name="=HYPERLINK(1)公司"))
    body = client.get("/credit/disclosures.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)公司" in body


# --- the blacklist --------------------------------------------------------------------------


def test_a_confirmed_collusion_blacklists_the_agency_until_it_expires(client, make, frozen_clock):
    record, _, agency = make.confirmed_record("A02", number="生环信决〔2026〕20号")
    page = listed(client, "/credit/blacklist")
    line = row(page, f"agency-{agency.organisation.id}")
    assert name_of(agency) in line and agency.organisation.uscc in line
    assert "A02 串通报价、围标陪标（生环信决〔2026〕20号）" in line
    assert "2029-11-27" in line  # 36 months' publication
    document = json.loads(listed(client, "/credit/blacklist.json"))
    assert document["items"] == [
        {
            "org_id": agency.organisation.id,
            "name": name_of(agency),
            "uscc": agency.organisation.uscc,
            "reason": "A02 串通报价、围标陪标（生环信决〔2026〕20号）",
            "until": document["items"][0]["until"],
        }
    ]
    assert document["items"][0]["until"].startswith("2029-11-27T10:01")
    body = client.get("/credit/blacklist.csv").get_data()
    assert body.startswith(b"\xef\xbb\xbf") and name_of(agency).encode() in body

    frozen_clock.advance(days=31 * 37)
    recompute_all()
    page = listed(client, "/credit/blacklist")
    assert name_of(agency) not in page and "目前没有列入黑名单的中介机构" in page
    assert json.loads(listed(client, "/credit/blacklist.json"))["count"] == 0


def test_the_blacklist_lists_an_agency_only_once_its_record_is_published(
    client, make, frozen_clock
):
    """双公示: before the record is published the public learns nothing of it."""
    record, regulator, agency = make.confirmed_record(
        "A02", number="生环信决〔2026〕21号", publish=False
    )
    assert name_of(agency) not in listed(client, "/credit/blacklist")
    assert json.loads(listed(client, "/credit/blacklist.json"))["count"] == 0
    assert name_of(agency).encode() not in client.get("/credit/blacklist.csv").get_data()

    records.publish(regulator, record.id)
    assert name_of(agency) in listed(client, "/credit/blacklist")
    assert json.loads(listed(client, "/credit/blacklist.json"))["count"] == 1


def test_a_warning_does_not_blacklist(client, disclosed):
    _, _, agency = disclosed
    assert name_of(agency) not in listed(client, "/credit/blacklist")


def test_the_navbar_links_to_the_disclosures(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/credit/disclosures"' in page and "信用公示" in page


def test_a_blacklisted_agency_is_shown_as_listed_not_by_its_grade(client, make, frozen_clock):
    record, _, agency = make.confirmed_record("A02", number="生环信决〔2026〕21号")
    org_id = agency.organisation.id
    storefront = listed(client, f"/agencies/{org_id}")
    standing = storefront[storefront.index('id="standing"') :][:800]
    assert "严重失信名单" in standing and "暂停投标" not in standing
    assert "fs-2 fw-bold" not in standing  # no grade letter in large type
    credit = listed(client, f"/credit/agencies/{org_id}")
    score = credit[credit.index('id="credit-score"') :][:400]
    assert "严重失信名单" in score and "text-bg-danger" in score
    frozen_clock.advance(days=31 * 37)
    recompute_all()
    storefront = listed(client, f"/agencies/{org_id}")
    assert "严重失信名单" not in storefront[storefront.index('id="standing"') :][:800]
