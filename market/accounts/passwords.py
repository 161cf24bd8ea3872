"""What a new password must be, checked wherever one is set (registration, an invitation
accepted, a staff account created, a password changed or reset): long enough, of at least two
kinds of characters (letters, digits, symbols), more than a few different characters, not a
well-known password, not the e-mail's own name, and hard enough to guess by zxcvbn's estimate
(common passwords and words, keyboard rows, sequences, repeats, dates, the person's own e-mail,
name and organisation). The messages say what to change; `rule_text()` says it beforehand."""

import threading
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

import zxcvbn
from flask import current_app

from ..core.errors import ServiceError
from ..core.i18n import _, _l

MAX_LENGTH = 128
#: passwords tried first by anyone guessing (the most common ones in leaked lists here)
COMMON = frozenset(
    (
        "password",
        "password1",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "88888888",
        "66666666",
        "00000000",
        "a1234567",
        "a12345678",
        "abc12345",
        "abcd1234",
        "abc123456",
        "aa123456",
        "qwerty123",
        "qwertyui",
        "1qaz2wsx",
        "qazwsx123",
        "zxcvbnm1",
        "iloveyou",
        "woaini1314",
        "woaini520",
        "admin123",
        "admin888",
        "root1234",
        "test1234",
        "1q2w3e4r",
        "5201314a",
    )
)


#: zxcvbn refuses longer input; the first 72 characters of a longer password decide
ZXCVBN_MAX = 72
#: zxcvbn keeps the user inputs in a module-level dictionary while it matches: two threads
#: scoring at once would read each other's
_zxcvbn_lock = threading.Lock()
#: a password the running code set for its own accounts (the demo's), exempt from the estimate
_exempt: ContextVar[str | None] = ContextVar("password_exempt", default=None)


def rule_text(shortest: int | None = None) -> str:
    """The rule in Chinese, shown beside every field where a new password is typed (the
    shortest length is the configured one unless given)."""
    shortest = shortest or current_app.config["PASSWORD_MIN_LENGTH"]
    return _(
        "至少 %(shortest)s 位，包含字母、数字、符号中的至少两类；"
        "不能是常见密码、键盘上连续的按键（如 qwerty）、连续或重复的字符（如 1234、aaaa）、"
        "年份日期，也不能包含邮箱、姓名或单位名称。建议用几个不相关的词加数字或符号组成。",
        shortest=shortest,
    )


@contextmanager
def exempt_from_estimate(password: str):
    """Within the block, `password` skips zxcvbn's estimate (the other rules still apply):
    for accounts the code itself creates with a published password (the demo data's)."""
    token = _exempt.set(password)
    try:
        yield
    finally:
        _exempt.reset(token)


def check_password(password: str, email: str = "", inputs: Iterable[str] = ()) -> None:
    """Raise a ServiceError on the `password` field if `password` is too weak; `inputs` are
    what the person typed elsewhere (name, organisation), which the password must not hold."""
    password = password or ""
    shortest = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < shortest:
        raise ServiceError(_("密码至少 %(n)s 位", n=shortest), "password")
    if len(password) > MAX_LENGTH:
        raise ServiceError(_("密码不能超过 %(n)s 位", n=MAX_LENGTH), "password")
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        raise ServiceError(_("密码过于简单，容易被猜中，请换一个"), "password")
    name = email.split("@")[0].lower()
    # Every other problem at once: the kinds of characters, the e-mail's name, and what makes
    # the password guessable (zxcvbn's estimate).
    problems = []
    kinds = (
        any(c.isalpha() for c in password)
        + any(c.isdigit() for c in password)
        + any(not c.isalnum() for c in password)
    )
    if kinds < 2:
        problems.append(_("密码应包含字母、数字、符号中的至少两类"))
    has_name = len(name) >= 4 and name in lowered
    if has_name:
        problems.append(_("密码不能包含邮箱用户名"))
    weak = None
    if _exempt.get() != password:
        weak = _weakest_part(password, [email, name, *email.split("@")[-1:], *inputs])
    if weak is not None and not (has_name and weak.get("dictionary_name") == "user_inputs"):
        problems.append(
            _("密码太容易被猜中：%(reason)s。%(advice)s", reason=_reason(weak), advice=_ADVICE)
        )
    if problems:
        raise ServiceError(_("；").join(problems), "password")


def _weakest_part(password: str, inputs: list[str]) -> dict | None:
    """None if zxcvbn rates the password hard enough to guess, else its longest weak match
    (an empty one when it names none)."""
    minimum = current_app.config["PASSWORD_MIN_SCORE"]
    inputs = [value.strip().lower() for value in inputs if value and value.strip()]
    with _zxcvbn_lock:
        result = zxcvbn.zxcvbn(password[:ZXCVBN_MAX], user_inputs=inputs)
    if result["score"] >= minimum:
        return None
    matches = result["sequence"]
    return max(matches, key=lambda m: len(m["token"])) if matches else {}


_ADVICE = _l("请再加几个不常见的词、数字或符号，把密码加长")


def _reason(match) -> str:
    """Why zxcvbn finds the password easy to guess, from its longest weak part, in Chinese."""
    pattern = match.get("pattern", "bruteforce")
    token = match.get("token", "")
    if pattern == "dictionary":
        kind = match["dictionary_name"]
        if kind == "user_inputs":
            return _("包含了您的邮箱、姓名或单位名称（%(token)s）", token=token)
        if kind == "passwords":
            return _("“%(token)s”是常见密码或其变形，猜测者会最先尝试", token=token)
        return _("“%(token)s”是常见的单词或姓名", token=token)
    if pattern == "spatial":
        return _("“%(token)s”是键盘上相邻的按键", token=token)
    if pattern == "repeat":
        return _("“%(token)s”是重复的字符或片段", token=token)
    if pattern == "sequence":
        return _("“%(token)s”是连续的字母或数字", token=token)
    if pattern in ("regex", "date"):
        return _("“%(token)s”是年份或日期，容易被猜到（如生日）", token=token)
    return _("长度不够且没有足够的变化")
