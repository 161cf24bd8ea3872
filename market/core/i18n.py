"""Languages: Simplified Chinese (the source text, and the default) and English.

Every text a person reads is written in Chinese in the code and the templates and goes through
gettext; English comes from market/translations/en/LC_MESSAGES/messages.po (compiled to .mo,
both kept in the repository; `make translations` extracts, merges and compiles, and
tests/core/test_i18n.py fails on a message without its English). The language of a request is
the signed-in user's choice (users.locale), else the visitor's (kept in the session), else
Chinese. Mail and inbox messages are written in their recipient's language (`in_language`).

In Python code `_` is `gettext` (for text made while a request or a task runs) and `_l` is
`lazy_gettext` (for text made at import time: labels in tables, form fields): a lazy text is
turned into a string in the language of the moment it is shown. Data (organisation names,
catalogue items, criteria, what people typed) are never translated.
"""

from contextlib import contextmanager

from flask import has_request_context, request, session
from flask_babel import Babel, LazyString, force_locale, get_locale, refresh
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext as _n

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "_",
    "_l",
    "_n",
    "babel",
    "current_language",
    "in_language",
    "language_choice",
    "plain",
    "register_i18n",
]

#: the languages offered, each in its own words (the switch shows them so)
LANGUAGES = {"zh": "中文", "en": "English"}  # i18n: data (each language's own name)
DEFAULT_LANGUAGE = "zh"
#: where a visitor's choice is kept before (or without) signing in
SESSION_KEY = "lang"
#: addresses that answer in a published format, the same for everyone: the JSON API and OCDS
PUBLISHED_PREFIXES = ("/api/",)

babel = Babel()


def language_choice(value) -> str | None:
    """`value` when it is an offered language, else None."""
    return value if value in LANGUAGES else None


def _selected_locale() -> str:
    # Flask-Babel asks once per request (and once per forced block); the signed-in user's
    # choice wins, then the visitor's, then the default. A forced language (in_language) is
    # Flask-Babel's own and never reaches here.
    if not has_request_context() or request.path.startswith(PUBLISHED_PREFIXES):
        return DEFAULT_LANGUAGE
    from flask_login import current_user

    chosen = current_user.locale if current_user.is_authenticated else None
    return language_choice(chosen) or language_choice(session.get(SESSION_KEY)) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of what is being written now: "zh" or "en"."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


@contextmanager
def in_language(language):
    """Write in `language` (a recipient's choice; Chinese when unset) inside the block."""
    with force_locale(language_choice(language) or DEFAULT_LANGUAGE):
        yield


def plain(value):
    """A lazy text as the string it reads in the language of the moment (for JSON, a
    spreadsheet cell); anything else as it is."""
    return str(value) if isinstance(value, LazyString) else value


def _html_lang() -> str:
    return "en" if current_language() == "en" else "zh-CN"


def register_i18n(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    babel.init_app(app, locale_selector=_selected_locale)
    # Flask-Babel keeps the locale it chose on the application context, which outlives a
    # request where one was pushed before it (the CLI, tests): each request chooses afresh.
    app.before_request(refresh)
    # {% trans %} blocks are extracted and looked up with their white space collapsed
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_global(current_language, "current_language")
    app.add_template_global(_html_lang, "html_lang")
    app.add_template_global(LANGUAGES, "LANGUAGES")
    app.add_template_global(_l, "_l")
