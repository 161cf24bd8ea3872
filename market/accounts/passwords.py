"""What a new password must be, checked wherever one is set (registration, an invitation
accepted, a staff account created): long enough, of at least two kinds of characters (letters,
digits, symbols), more than a few different characters, not a well-known password and not the
e-mail's own name. The messages say what to change."""

from flask import current_app

from ..core.errors import ServiceError

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


def check_password(password: str, email: str = "") -> None:
    """Raise a ServiceError on the `password` field if `password` is too weak."""
    password = password or ""
    shortest = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < shortest:
        raise ServiceError(f"密码至少 {shortest} 位", "password")
    if len(password) > MAX_LENGTH:
        raise ServiceError(f"密码不能超过 {MAX_LENGTH} 位", "password")
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        raise ServiceError("密码过于简单，容易被猜中，请换一个", "password")
    kinds = (
        any(c.isalpha() for c in password)
        + any(c.isdigit() for c in password)
        + any(not c.isalnum() for c in password)
    )
    if kinds < 2:
        raise ServiceError("密码应包含字母、数字、符号中的至少两类", "password")
    name = email.split("@")[0].lower()
    if len(name) >= 4 and name in lowered:
        raise ServiceError("密码不能包含邮箱用户名", "password")
