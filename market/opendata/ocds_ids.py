"""The identifiers and values of OCDS 1.1 as this platform writes them (docs/opendata.md): a
notice's ocid, OCDS dates and amounts, parties by their USCC. Shared by the releases
(ocds.py), the JSON API, the bulk files and the audit packs."""

from datetime import datetime
from decimal import Decimal

from flask import current_app

from ..accounts.models import Organisation
from ..core.clock import to_local

#: the OCDS bid extension, whose fields (bids.statistics, bids.details) carry opened quotes
BID_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)
CLASSIFICATION_SCHEME = "X-MARKET-CATALOGUE"
IDENTIFIER_SCHEME = "CN-USCC"


def ocid(notice_id: int) -> str:
    """The notice's Open Contracting ID: the configured prefix and the notice's id."""
    return f"{current_app.config['OCDS_PREFIX']}-{notice_id}"


def notice_id_of(value: str) -> int | None:
    """The notice id an ocid of this platform names, or None for any other text."""
    prefix = current_app.config["OCDS_PREFIX"] + "-"
    rest = value[len(prefix) :] if value.startswith(prefix) else ""
    if not rest.isdigit() or len(rest) > 12 or rest.startswith("0"):
        return None
    return int(rest)


def iso(moment: datetime) -> str:
    """An OCDS date: ISO 8601 in Beijing time, with its +08:00 offset."""
    return to_local(moment).isoformat(timespec="seconds")


def value(fen: int) -> dict:
    """An OCDS Value from integer fen: exact yuan through Decimal, two decimals."""
    amount = (Decimal(fen) / 100).quantize(Decimal("0.01"))
    return {"amount": float(amount), "currency": current_app.config["PAYMENT_CURRENCY"].upper()}


def party_id(org: Organisation) -> str:
    """A party's id within a release: its USCC where it has one."""
    return f"{IDENTIFIER_SCHEME}-{org.uscc}" if org.uscc else f"org-{org.id}"


def reference(org: Organisation) -> dict:
    """An OrganizationReference to a party."""
    return {"id": party_id(org), "name": org.name}
