"""Forms for the password, the login e-mail and the organisation's registered data."""

from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..core.forms import BaseForm
from ..core.i18n import _l
from .forms import ShowsPasswordRule
from .orgdata import FIELDS
from .passwords import MAX_LENGTH

REQUIRED = DataRequired(message=_l("请填写此项"))


class NewPasswordForm(ShowsPasswordRule, BaseForm):
    """A new password typed twice, the rule shown beside it before the first try."""

    password = PasswordField(_l("新密码"), validators=[REQUIRED, Length(max=MAX_LENGTH)])
    password_confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[REQUIRED, EqualTo("password", message=_l("两次输入的密码不一致"))],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("当前密码"), validators=[REQUIRED])


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("登录邮箱"), validators=[REQUIRED, Length(max=120)])


class ChangeEmailForm(BaseForm):
    email = EmailField(
        _l("新的登录邮箱"),
        validators=[REQUIRED, Length(max=120)],
        description=_l("确认邮件将发送到新邮箱，打开其中的链接后才会生效。"),
    )
    password = PasswordField(
        _l("当前密码"), validators=[REQUIRED], description=_l("为确认是您本人操作")
    )


def _text(field):
    label, most = FIELDS[field]
    # No "required" validator: the service reports every problem at once, beside its field.
    return StringField(label, render_kw={"maxlength": most})


class OrgDataForm(BaseForm):
    name = _text("name")
    legal_representative = _text("legal_representative")
    region = _text("region")
    address = _text("address")
    contact_name = _text("contact_name")
    contact_phone = _text("contact_phone")
    contact_email = _text("contact_email")
    commitment = BooleanField(_l("我已阅读并签署上述信用承诺书"))
