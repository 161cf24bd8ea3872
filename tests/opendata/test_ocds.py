"""The OCDS export: release and record packages valid against the official OCDS 1.1.5 schemas
(validated offline), closed code lists kept, the sealed rule held, the demo's packages valid,
and bad queries refused in Chinese."""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from market.core.clock import to_local
from market.demo.build import load_demo
from market.payments import services as payments
from market.procurement import services as procurement

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")

SCHEMA_DIR = Path(
    os.environ.get("MARKET_OCDS_SCHEMA_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "ocds-1.1.5"
)
RELEASE_URL = "standard.open-contracting.org/schema/1__1__5/release-schema.json"

#: closed OCDS 1.1 code lists, as the standard gives them
RELEASE_TAGS = {
    "planning",
    "planningUpdate",
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "tenderCancellation",
    "award",
    "awardUpdate",
    "awardCancellation",
    "contract",
    "contractUpdate",
    "contractAmendment",
    "implementation",
    "implementationUpdate",
    "contractTermination",
    "compiled",
}
TENDER_STATUS = {
    "planning",
    "planned",
    "active",
    "cancelled",
    "unsuccessful",
    "complete",
    "withdrawn",
}
AWARD_STATUS = {"pending", "active", "cancelled", "unsuccessful"}
CONTRACT_STATUS = {"pending", "active", "cancelled", "terminated"}
MILESTONE_STATUS = {"scheduled", "met", "notMet", "partiallyMet"}
#: party roles (an open list: these are the standard's codes, the only ones used here)
PARTY_ROLES = {
    "buyer",
    "procuringEntity",
    "supplier",
    "tenderer",
    "funder",
    "enquirer",
    "payer",
    "payee",
    "reviewBody",
    "interestedParty",
}
BID_STATUS = {"invited", "pending", "valid", "disqualified", "withdrawn"}
SPLIT = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]


def _schema(name: str) -> dict:
    path = SCHEMA_DIR / name
    if not path.exists():
        pytest.skip(
            f"OCDS 1.1.5 schemas not found in {SCHEMA_DIR}: put release-schema.json, "
            "release-package-schema.json and record-package-schema.json there (tag 1__1__5 of "
            "open-contracting/standard, schema/) or set MARKET_OCDS_SCHEMA_DIR"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _validator(package_schema: str):
    """A Draft 4 validator of a package schema that resolves the release schema locally."""
    release = referencing.Resource.from_contents(
        _schema("release-schema.json"), default_specification=referencing.jsonschema.DRAFT4
    )
    registry = referencing.Registry().with_resources(
        [(f"https://{RELEASE_URL}", release), (f"http://{RELEASE_URL}", release)]
    )
    return jsonschema.Draft4Validator(
        _schema(package_schema),
        registry=registry,
        format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER,
    )


def _errors(package_schema: str, package: dict) -> list[str]:
    validator = _validator(package_schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(package)
    ]


def _get(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def _all_pages(client, path: str, key: str) -> list[dict]:
    """Every page's items, following links.next."""
    items = []
    while path:
        package = _get(client, path)
        items += package[key]
        path = package.get("links", {}).get("next", "").replace("http://localhost", "")
    return items


def _codes(release: dict) -> None:
    """Every closed code list holds only the standard's codes."""
    assert set(release.get("tag", ())) <= RELEASE_TAGS
    tender = release.get("tender", {})
    assert tender.get("status", "active") in TENDER_STATUS
    for award in release.get("awards", ()):
        assert award.get("status", "pending") in AWARD_STATUS
    for contract in release.get("contracts", ()):
        assert contract.get("status", "active") in CONTRACT_STATUS
        implementation = contract.get("implementation", {})
        for milestone in contract.get("milestones", []) + implementation.get("milestones", []):
            assert milestone["status"] in MILESTONE_STATUS
    for party in release.get("parties", ()):
        assert set(party["roles"]) <= PARTY_ROLES
    for bid in release.get("bids", {}).get("details", ()):
        assert bid.get("status", "valid") in BID_STATUS


def _story(make):
    """Published, amended, opened, contracted and paid, failed and cancelled notices."""
    published = make.notice()
    procurement.update_notice(
        published.purchaser.authorised_user or published.created_by,
        published,
        make.notice_data(ceiling_fen=120_000_00, title="修改后的采购公告"),
        published.revision,
    )
    opened, _ = make.opened_notice("lowest", amounts=(80_000_00, 90_000_00, 95_000_00))
    notice, buyer, winner = make.accepted_notice(payment_plan=SPLIT, ceiling_fen=100_000_01)
    for milestone in payments.contract_milestones(notice.contract.id):
        if milestone.state in ("due", "overdue"):
            make.bank_transfer(buyer, milestone)
            payments.confirm_receipt(winner, milestone)
    failed = make.notice()
    make.close_bidding(failed)
    cancelled = make.notice()
    procurement.cancel_notice(cancelled.created_by, cancelled, "项目调整，取消采购")
    draft = make.notice(publish=False)
    return {
        "published": published,
        "opened": opened,
        "paid": notice,
        "failed": failed,
        "cancelled": cancelled,
        "draft": draft,
    }


@pytest.fixture
def story(make):
    return _story(make)


def _by_ocid(items: list[dict]) -> dict:
    found = {}
    for item in items:
        found.setdefault(item["ocid"], []).append(item)
    return found


def test_release_and_record_packages_validate_against_the_ocds_schemas(client, story, app):
    releases = _get(client, "/api/ocds/releases")
    assert _errors("release-package-schema.json", releases) == []
    records = _get(client, "/api/ocds/records")
    assert _errors("record-package-schema.json", records) == []
    for release in releases["releases"]:
        _codes(release)
    for record in records["records"]:
        _codes(record["compiledRelease"])
    assert releases["version"] == "1.1" and releases["publisher"]["name"]
    assert any("bid_extension" in url for url in releases["extensions"])
    prefix = app.config["OCDS_PREFIX"]
    ids = [r["id"] for r in releases["releases"]]
    assert len(ids) == len(set(ids))
    by_ocid = _by_ocid(releases["releases"])
    # never a draft
    assert f"{prefix}-{story['draft'].id}" not in by_ocid
    tags = {
        name: [r["tag"][0] for r in by_ocid[f"{prefix}-{n.id}"]]
        for name, n in story.items()
        if name != "draft"
    }
    assert tags["published"] == ["tender", "tenderAmendment"]
    assert tags["cancelled"] == ["tender", "tenderCancellation"]
    assert tags["failed"] == ["tender", "tenderUpdate"]
    assert tags["opened"][:2] == ["tender", "tenderUpdate"] and "award" in tags["opened"]
    paid = tags["paid"]
    for tag in ("award", "awardUpdate", "contract", "contractUpdate", "implementation"):
        assert tag in paid
    # the same ids on a second reading: stable
    assert [r["id"] for r in _get(client, "/api/ocds/releases")["releases"]] == ids


def test_the_compiled_record_of_a_paid_contract(client, story, app):
    notice = story["paid"]
    ocid = f"{app.config['OCDS_PREFIX']}-{notice.id}"
    package = _get(client, f"/api/ocds/records/{ocid}")
    assert _errors("record-package-schema.json", package) == []
    (record,) = package["records"]
    compiled = record["compiledRelease"]
    assert compiled["ocid"] == ocid and compiled["tag"] == ["compiled"]
    item = compiled["tender"]["items"][0]
    assert item["classification"] == {
        "scheme": "X-MARKET-CATALOGUE",
        "id": notice.item.code,
        "description": notice.item.name,
    }
    # fen → yuan exactly: ¥100,000.01
    assert compiled["tender"]["value"] == {"amount": 100000.01, "currency": "CNY"}
    roles = {p["name"]: set(p["roles"]) for p in compiled["parties"]}
    assert roles[notice.purchaser.name] == {"buyer", "procuringEntity", "payer"}
    winner = notice.contract.agency
    assert roles[winner.name] == {"tenderer", "supplier", "payee"}
    (party,) = [p for p in compiled["parties"] if p["name"] == winner.name]
    assert party["identifier"] == {"scheme": "CN-USCC", "id": winner.uscc, "legalName": winner.name}
    (award,) = compiled["awards"]
    assert award["status"] == "active" and award["value"]["amount"] == 80000.0
    (contract,) = compiled["contracts"]
    assert contract["status"] == "active" and contract["awardID"] == award["id"]
    assert contract["value"]["amount"] == 80000.0
    milestones = {m["id"]: m for m in contract["implementation"]["milestones"]}
    paid = [m for m in milestones.values() if m["status"] == "met"]
    assert sum(m["value"]["amount"] for m in paid) == 80000.0
    transactions = contract["implementation"]["transactions"]
    assert sorted(t["value"]["amount"] for t in transactions) == [24000.0, 56000.0]
    assert contract["milestones"][0]["status"] == "met"  # delivery accepted
    assert compiled["bids"]["statistics"][0]["value"] == 2
    # every date in Beijing time
    for release in record["releases"]:
        assert release["date"].endswith("+08:00")
    # the amendment of another notice: the amended value only, from its amendment on
    published = _get(
        client, f"/api/ocds/records/{app.config['OCDS_PREFIX']}-{story['published'].id}"
    )["records"][0]
    first, amendment = published["releases"]
    assert "value" not in first["tender"] and "title" not in first["tender"]
    assert amendment["tender"]["value"]["amount"] == 120000.0
    assert published["compiledRelease"]["tender"]["title"] == "修改后的采购公告"


def test_a_sealed_notice_shows_no_bid_and_its_packages_do_not_change_with_a_quote(
    client, make, app
):
    notice = make.notice()
    paths = [
        "/api/ocds/releases",
        "/api/ocds/records",
        f"/api/ocds/records/{app.config['OCDS_PREFIX']}-{notice.id}",
    ]
    before = [client.get(p).get_data() for p in paths]
    make.bid(make.agency(), notice)
    after = [client.get(p).get_data() for p in paths]
    assert before == after
    for body in after:
        text = body.decode()
        assert '"bids"' not in text and "numberOfTenderers" not in text
        assert "tenderer" not in text
    # after the deadline: the count and the bidder
    make.close_bidding(notice)
    opened = _get(client, "/api/ocds/releases")
    (update,) = [r for r in opened["releases"] if r["tag"] == ["tenderUpdate"]]
    assert update["bids"]["statistics"][0]["value"] == 1
    assert update["tender"]["numberOfTenderers"] == 1
    assert update["date"] == to_local(notice.deadline_dt).isoformat(timespec="seconds")


def test_the_paging_and_the_date_filters(client, make, app, frozen_clock, monkeypatch):
    from market.opendata import api

    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    notices = [make.notice() for _ in range(3)]
    first = _get(client, "/api/ocds/releases")
    assert len({r["ocid"] for r in first["releases"]}) == 2
    assert "page=2" in first["links"]["next"]
    assert len(_all_pages(client, "/api/ocds/releases", "releases")) == 3
    assert len(_all_pages(client, "/api/ocds/records", "records")) == 3
    day = to_local(notices[0].published_dt).date()
    shown = _get(client, f"/api/ocds/records?published_from={day}&published_to={day}")
    assert len(shown["records"]) == 2
    later = day + timedelta(days=1)
    assert _get(client, f"/api/ocds/records?published_from={later}")["records"] == []
    assert client.get(f"/api/ocds/records/{app.config['OCDS_PREFIX']}-999999").status_code == 404
    assert client.get("/api/ocds/records/ocds-other-1").status_code == 404
    draft = make.notice(publish=False)
    assert (
        client.get(f"/api/ocds/records/{app.config['OCDS_PREFIX']}-{draft.id}").status_code == 404
    )


@pytest.mark.parametrize(
    "query",
    [
        "published_from=2026-13-01",
        "published_from=yesterday",
        "published_to=1999-12-31",
        "published_to=2100-01-01",
        "published_from=2026-03-02&published_to=2026-03-01",
        "published_from=" + "9" * 5000,
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999999999999",
        "published_from=2026-03-01%00",
    ],
)
@pytest.mark.parametrize("path", ["/api/ocds/releases", "/api/ocds/records"])
def test_bad_queries_are_refused_in_chinese(client, path, query):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    message = response.get_json()["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_the_demo_packages_validate(client, db, app):
    load_demo()
    releases = _all_pages(client, "/api/ocds/releases", "releases")
    records = _get(client, "/api/ocds/records")
    assert releases and records["records"]
    package = _get(client, "/api/ocds/releases")
    assert _errors("release-package-schema.json", package) == []
    assert _errors("record-package-schema.json", records) == []
    for release in releases:
        _codes(release)
    tags = {r["tag"][0] for r in releases}
    assert {"tender", "tenderUpdate", "award", "contract", "tenderCancellation"} <= tags
