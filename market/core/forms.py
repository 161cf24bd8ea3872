"""The base form (CSRF from Flask-WTF, WTForms' built-in messages in the page's language) and
shared fields."""

import re

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import ValidationError

from .i18n import _, _l, current_language
from .money import MoneyError, yuan_to_fen

#: characters no one types into a form: control characters other than tab and line breaks,
#: and the invisible direction overrides that make a name read as something else (U+202E)
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HIDDEN_MESSAGE = _l("不能包含控制字符或不可见的文字方向符号")


def has_hidden_characters(text: str) -> bool:
    """Whether `text` holds a control character or an invisible direction override."""
    return bool(_HIDDEN.search(text))


def without_hidden_characters(text: str) -> str:
    """`text` with those characters removed (a file name from the browser, say)."""
    return _HIDDEN.sub("", text)


class BaseForm(FlaskForm):
    class Meta:
        locales = ["zh"]

        def get_translations(self, form):
            """WTForms' own messages in the language of the page (read at each form)."""
            self.locales = [current_language()]
            return super().get_translations(form)

        def wrap_formdata(self, form, formdata):
            """What a browser posts: the form's fields and files. Flask-WTF would also read
            a JSON body (no page sends one; a number there, or values that are not text,
            fail inside WTForms or the services). Werkzeug files a multipart part sent with
            no field name under None, which no field has and a FieldList, reading the names
            of its entries, cannot take."""
            # Flask-WTF's default (read the request) is a marker with no getlist, unlike any
            # form data given.
            if not hasattr(formdata, "getlist") and request.is_json:
                return None
            data = super().wrap_formdata(form, formdata)
            if data is not None and None in data:
                return MultiDict([(k, v) for k, v in data.items(multi=True) if k is not None])
            return data

    def validate(self, extra_validators=None):
        """Every field's own checks, and on any text typed: no control characters or
        direction overrides (a NUL or U+202E in a title would reach pages, files and
        headers)."""
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and has_hidden_characters(field.data):
                field.errors = [*field.errors, str(HIDDEN_MESSAGE)]
                valid = False
        return valid


class YuanField(StringField):
    """A yuan amount typed by a person; `.fen` holds it as integer fen once validated."""

    fen: int | None = None

    def pre_validate(self, form):
        self.fen = None
        if not (self.data or "").strip():
            return
        try:
            self.fen = yuan_to_fen(self.data)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc
        if self.fen <= 0:
            raise ValidationError(_("金额必须大于 0"))


#: the years a date typed into any form may fall in: outside them it is a typing slip (and
#: year 1 or 9999 cannot even be shown in Beijing time)
FIRST_YEAR, LAST_YEAR = 2000, 2099


def within_calendar(form, field) -> None:
    """A date or time from FIRST_YEAR to LAST_YEAR."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(
            _("日期应在 %(first)s 年至 %(last)s 年之间", first=FIRST_YEAR, last=LAST_YEAR)
        )
