"""The base form (CSRF from Flask-WTF, WTForms' built-in messages in Chinese) and shared fields."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from .money import MoneyError, yuan_to_fen


class BaseForm(FlaskForm):
    class Meta:
        locales = ["zh"]


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
            raise ValidationError("金额必须大于 0")


#: the years a date typed into any form may fall in: outside them it is a typing slip (and
#: year 1 or 9999 cannot even be shown in Beijing time)
FIRST_YEAR, LAST_YEAR = 2000, 2099


def within_calendar(form, field) -> None:
    """A date or time from FIRST_YEAR to LAST_YEAR."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(f"日期应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间")
