"""Reading the mails the `mailbox` fixture (conftest.py) collects."""

import re
from urllib.parse import urlsplit


def mails_to(box, address):
    return [m for m in box if m["To"] == address]


def link_path(message, prefix):
    """The path of the first link in `message` whose path starts with `prefix`."""
    link = re.search(rf"https?://[^/\s]+{re.escape(prefix)}\S+", message.get_content()).group(0)
    return urlsplit(link).path
