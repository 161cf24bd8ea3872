from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..core.forms import BaseForm
from ..core.i18n import _l
from .forms import ShowsPasswordRule
from .models import ORG_ROLES

REQUIRED = DataRequired(message=_l("请填写此项"))
ROLE_CHOICES = [SelectChoice(value, label) for value, label in ORG_ROLES.items()]


class InviteForm(BaseForm):
    email = EmailField(_l("邮箱"), validators=[REQUIRED, Length(max=120)])
    role = SelectField(_l("角色"), choices=ROLE_CHOICES, default="member")


class RoleForm(BaseForm):
    role = SelectField(_l("角色"), choices=ROLE_CHOICES)


class AcceptInvitationForm(ShowsPasswordRule, BaseForm):
    name = StringField(_l("姓名"), validators=[REQUIRED, Length(max=50)])
    phone = StringField(
        _l("联系电话"), validators=[REQUIRED, Length(max=30)], description=_l("手机号或座机")
    )
    password = PasswordField(_l("密码"), validators=[REQUIRED, Length(max=128)])
    password_confirm = PasswordField(
        _l("确认密码"),
        validators=[REQUIRED, EqualTo("password", message=_l("两次输入的密码不一致"))],
    )
