"""What tests compare pages with: the parts of a page that change with every request whatever
the data, taken out."""

import re

# A CSRF token as the forms carry it: payload.timestamp.signature (itsdangerous), signed with
# the real time: two requests a second apart carry different ones.
CSRF_TOKEN = re.compile(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}")


def without_csrf_tokens(html: str) -> str:
    """The page with its forms' CSRF tokens blanked."""
    return CSRF_TOKEN.sub("<csrf>", html)
