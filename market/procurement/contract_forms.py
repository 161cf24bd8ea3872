"""Forms for signing, delivering, accepting and evaluating."""

from wtforms import (
    RadioField,
    SelectChoice,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from ..agencies.models import RATING_DIMENSIONS
from ..core.forms import BaseForm

REQUIRED = DataRequired(message="请填写此项")


class DeliverForm(BaseForm):
    note = TextAreaField(
        "交付说明",
        validators=[REQUIRED, Length(max=2000)],
        description="交付成果名称、份数、交付方式等",
    )


SCORE_CHOICES = [SelectChoice(n, str(n)) for n in range(5, 0, -1)]


class EvaluationForm(BaseForm):
    comment = TextAreaField("评价意见", validators=[Length(max=2000)])


for _key, _label in RATING_DIMENSIONS.items():
    setattr(
        EvaluationForm,
        _key,
        RadioField(
            _label,
            choices=SCORE_CHOICES,
            coerce=int,
            validators=[DataRequired(message=f"请为“{_label}”打分")],
        ),
    )
