"""The agency's payout account with the gateway (Stripe Connect, Express): created on first
use, onboarding by link, its flags kept up to date; once ready, held funds waiting for it go
out."""

from sqlalchemy import select

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..extensions import db
from . import gateway
from .access import online, payout_account
from .held import release_waiting
from .models import PayoutAccount


def ensure_payout_account(user) -> PayoutAccount:
    """The agency's connected account, created with the gateway on first use."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency":
        raise NotAllowed(_("只有中介机构可以开通收款账户"))
    if not online():
        raise ServiceError(_("本平台未开通在线支付，收款以银行转账为准"))
    account = payout_account(org.id)
    if account is None:
        try:
            account_id = gateway.create_account(org_id=org.id, email=user.email)
        except gateway.GatewayError as err:
            raise ServiceError(str(err.message)) from err
        account = PayoutAccount(org_id=org.id, account_id=account_id)
        db.session.add(account)
        db.session.flush()
        record_event("organisation", org.id, "payout_account_created", actor=user, public=False)
    return account


def onboarding_url(account: PayoutAccount, refresh_url: str, return_url: str) -> str:
    try:
        return gateway.onboarding_link(
            account.account_id, refresh_url=refresh_url, return_url=return_url
        )
    except gateway.GatewayError as err:
        raise ServiceError(str(err.message)) from err


def account_updated(account_id: str, flags: dict) -> bool:
    """The gateway says a connected account changed: store its flags; once it is ready, the
    agency's waiting held funds go out. False if the account is not ours."""
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.account_id == account_id))
    if account is None:
        return False
    was_ready = account.ready
    for name in ("charges_enabled", "payouts_enabled", "details_submitted"):
        if name in flags:
            setattr(account, name, bool(flags[name]))
    account.updated_dt = utcnow()
    if account.ready and not was_ready:
        release_waiting(account.org_id)
    return True


def refresh_account(account: PayoutAccount) -> None:
    """Read the account's flags from the gateway (the agency came back from onboarding)."""
    try:
        flags = gateway.account_status(account.account_id)
    except gateway.GatewayError as err:
        raise ServiceError(str(err.message)) from err
    account_updated(account.account_id, flags)
