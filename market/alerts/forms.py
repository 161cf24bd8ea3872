"""Forms for subscribing; the services hold the rules and name what is wrong."""

from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from ..core.converters import optional_id
from ..core.forms import BaseForm
from ..core.i18n import _l
from .models import FREQUENCIES

FREQUENCY_CHOICES = [SelectChoice(key, label) for key, label in FREQUENCIES.items()]


class SearchForm(BaseForm):
    words = StringField(
        _l("关键词"),
        validators=[Length(max=100, message=_l("关键词最多 100 个字"))],
        description=_l(
            "用空格分隔，公告标题、项目名称、服务内容、事项或采购人中同时包含这些词即通知您"
        ),
    )
    item_id = SelectField(_l("限定服务事项（可选）"), coerce=optional_id, validate_choice=False)
    frequency = RadioField(_l("发送方式"), choices=FREQUENCY_CHOICES, default="daily")


class FollowItemForm(BaseForm):
    frequency = RadioField(_l("发送方式"), choices=FREQUENCY_CHOICES, default="daily")


class ButtonForm(BaseForm):
    """A one-button form (follow a notice, delete a subscription): its CSRF token alone."""
