from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..core.forms import BaseForm
from ..core.i18n import _l
from .passwords import rule_text

REQUIRED = DataRequired(message=_l("请填写此项"))

#: places offered as the region (names of places: data, the same in every language)
REGIONS = [
    "重庆市两江新区",  # i18n: data
    "重庆市渝北区",  # i18n: data
    "重庆市江北区",  # i18n: data
    "重庆市渝中区",  # i18n: data
    "重庆市九龙坡区",  # i18n: data
    "重庆市南岸区",  # i18n: data
    "重庆市沙坪坝区",  # i18n: data
    "重庆市北碚区",  # i18n: data
    "重庆市巴南区",  # i18n: data
    "重庆市大渡口区",  # i18n: data
    "四川省成都市",  # i18n: data
    "陕西省西安市",  # i18n: data
    "湖北省武汉市",  # i18n: data
    "贵州省贵阳市",  # i18n: data
    "北京市",  # i18n: data
    "上海市",  # i18n: data
]


class ShowsPasswordRule:
    """A form where a new password is typed: the rule is shown beside its `password` field
    before the first try (read at each form, as the shortest length is configured)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.description = rule_text()


class LoginForm(BaseForm):
    email = EmailField(_l("邮箱"), validators=[REQUIRED])
    password = PasswordField(_l("密码"), validators=[REQUIRED])
    remember = BooleanField(_l("记住我"))


class RegistrationForm(ShowsPasswordRule, BaseForm):
    org_name = StringField(_l("单位名称"), validators=[REQUIRED, Length(max=200)])
    uscc = StringField(
        _l("统一社会信用代码"),
        validators=[REQUIRED, Length(max=30)],
        description=_l("18位，依据 GB 32100-2015 校验"),
    )
    legal_representative = StringField(_l("法定代表人"), validators=[REQUIRED, Length(max=50)])
    region = StringField(
        _l("所在地区"),
        validators=[REQUIRED, Length(max=50)],
        description=_l("不限注册地：外地机构同样可以入驻"),
    )
    address = StringField(_l("注册地址"), validators=[REQUIRED, Length(max=200)])
    contact_name = StringField(_l("联系人姓名"), validators=[REQUIRED, Length(max=50)])
    contact_phone = StringField(_l("联系电话"), validators=[REQUIRED, Length(max=30)])
    email = EmailField(
        _l("登录邮箱"),
        validators=[REQUIRED, Email(message=_l("邮箱格式不正确")), Length(max=120)],
    )
    password = PasswordField(_l("密码"), validators=[REQUIRED, Length(max=128)])
    password_confirm = PasswordField(
        _l("确认密码"),
        validators=[REQUIRED, EqualTo("password", message=_l("两次输入的密码不一致"))],
    )
    commitment = BooleanField(
        _l("本单位承诺所填报信息真实、准确、完整，如有虚假愿承担相应责任（信用承诺书）")
    )
