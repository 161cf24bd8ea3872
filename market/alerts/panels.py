"""The follow button the notice page shows a signed-in user (procurement's panel registry)."""

from . import services
from .forms import ButtonForm


def follow_panel(notice, user, forms, access):
    if user is None or notice.state != "published" or notice.published_dt is None:
        return {"follow": None}
    subscription = services.following(user, notice)
    return {"follow": {"subscription": subscription, "form": ButtonForm()}}
