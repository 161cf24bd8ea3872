"""Forms for quoting (or registering), choosing the winner and entering technical scores."""

from wtforms import HiddenField, IntegerField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..core.forms import BaseForm, YuanField
from .forms import ReasonForm

REQUIRED = DataRequired(message="请填写此项")


class BidForm(BaseForm):
    # Optional here: fixed-price methods take no quote; the service asks for it otherwise.
    amount = YuanField("报价（元）")
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


def scores_form(bids, **kwargs) -> BaseForm:
    """One technical-score field (0–100) per bid, named score_<bid id>."""

    class ScoresForm(BaseForm):
        pass

    for bid in bids:
        setattr(
            ScoresForm,
            f"score_{bid.id}",
            IntegerField(
                f"{bid.agency.name} 技术评分",
                default=bid.technical_score,
                validators=[
                    InputRequired(message="请录入技术评分"),
                    NumberRange(min=0, max=100, message="技术评分应为 0–100 的整数"),
                ],
            ),
        )
    return ScoresForm(**kwargs)
