"""The follow button the notice page shows an agency's user (procurement's panel registry):
the notice's deadline is theirs to keep."""

from . import services
from .forms import ButtonForm


def follow_panel(notice, user, forms, access):
    org = getattr(user, "organisation", None) if user is not None else None
    if org is None or org.kind != "agency" or notice.state != "published":
        return {"follow": None}
    subscription = services.following(user, notice)
    return {"follow": {"subscription": subscription, "form": ButtonForm()}}
