"""The form for quoting (or registering); the purchaser's selection step has its form in its
method's module (selection/)."""

from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length

from ..core.converters import as_id
from ..core.forms import BaseForm, YuanField
from ..core.i18n import _l


class BidForm(BaseForm):
    # Optional here: fixed-price methods take no quote; the service asks for it otherwise.
    amount = YuanField(_l("报价（元）"))
    plan = TextAreaField(_l("服务方案简述"), validators=[Length(max=5000)])
    # Choices are the bidder's own; the service explains why any other id is refused.
    qualification_ids = SelectMultipleField(
        _l("引用资质"),
        coerce=as_id,
        validate_choice=False,
        invalid_value_message=_l("所选资质无效"),
    )
    document_ids = SelectMultipleField(
        _l("附加材料"),
        coerce=as_id,
        validate_choice=False,
        invalid_value_message=_l("所选材料无效"),
    )
