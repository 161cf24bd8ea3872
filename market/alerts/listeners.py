"""What alerts does when procurement announces a step (core.signals): a notice published is
matched against the saved searches and followed items."""

from ..core.signals import notice_transitioned
from . import services


def on_notice_transitioned(notice, to_state=None, **_):
    if to_state == "published":
        services.on_notice_published(notice)


def connect() -> None:
    notice_transitioned.connect(on_notice_transitioned)
