"""Forms for quoting and choosing the winner."""

from wtforms import (
    HiddenField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm, YuanField
from .forms import ReasonForm

REQUIRED = DataRequired(message="请填写此项")


class BidForm(BaseForm):
    amount = YuanField("报价（元）", validators=[REQUIRED])
    plan = TextAreaField("服务方案简述", validators=[Length(max=5000)])
    # Choices are the bidder's own; the service explains why any other id is refused.
    qualification_ids = SelectMultipleField(
        "引用资质", coerce=int, validate_choice=False, invalid_value_message="所选资质无效"
    )
    document_ids = SelectMultipleField(
        "附加材料", coerce=int, validate_choice=False, invalid_value_message="所选材料无效"
    )


class SelectBidForm(ReasonForm):
    bid_id = HiddenField(validators=[REQUIRED])
