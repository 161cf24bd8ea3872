"""The fields an item publishes, declared once: their labels, limits and how text typed in a
form or a spreadsheet becomes column values. The form, the Excel import, the CSV loader, the
change log and the exports all read this table."""

import re
import unicodedata
from dataclasses import dataclass

from ..core.errors import ServiceError
from ..core.i18n import DEFAULT_LANGUAGE, _, _l, in_language
from ..core.money import (
    MoneyError,
    fen_to_yuan,
    format_bp,
    format_fen,
    percent_to_bp,
    yuan_to_fen,
)
from .states import ITEM

LISTS = {"licensing": _l("行政许可中介服务事项"), "other": _l("其他行政管理中介服务事项")}
FEE_TYPE_LABELS = {"market": _l("市场调节价"), "government": _l("政府指导价")}
CODE_PATTERN = re.compile(r"^[A-Z]{1,6}[0-9]{1,10}$")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    max_length: int
    required: bool = True


#: the text fields, in the order the list publishes them
TEXT_FIELDS = (
    Field("code", _l("事项编码"), 20),
    Field("name", _l("中介服务事项名称"), 200),
    Field("licensing_item", _l("涉及的审批事项"), 200),
    Field("legal_basis", _l("设定依据"), 2000),
    Field("approving_department", _l("审批部门"), 100),
    Field("implementing_requirement", _l("中介服务实施机构要求"), 200, required=False),
    Field("fee_basis", _l("收费依据"), 200, required=False),
    Field("commissioned_by", _l("委托主体"), 50, required=False),
    Field("note", _l("备注"), 200, required=False),
    Field("category", _l("类别"), 50),
)
FEE_COLUMNS = ("fee_min_fen", "fee_max_fen", "fee_rate_min_bp", "fee_rate_max_bp")

#: every column a revision may change, with how the change log names it
LABELS = {
    **{f.key: f.label for f in TEXT_FIELDS},
    "list_kind": _l("所属清单"),
    "fee_type": _l("收费类型"),
    "fee_limits": _l("政府指导价标准"),
    "status": _l("状态"),
}
#: the columns an item's snapshot keeps (its published fields and its state)
SNAPSHOT_COLUMNS = (
    *(f.key for f in TEXT_FIELDS),
    "list_kind",
    "fee_type",
    *FEE_COLUMNS,
    "status",
)


def clean_text(value) -> str:
    """Text as stored: NFC, no control or bidirectional-override characters, outer spaces off."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    kept = (
        " " if ch in "\t\r\n" else ch
        for ch in text
        if ch in "\t\r\n" or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return "".join(kept).strip()


def values_from_text(text: dict, department: str | None = None) -> dict:
    """Column values from the fields as typed (a form or a spreadsheet row); raises
    ServiceError naming the field. `department`, when given, is the only one allowed."""
    values = {}
    for field in TEXT_FIELDS:
        value = clean_text(text.get(field.key))
        if field.required and not value:
            raise ServiceError(_("请填写%(label)s", label=field.label), field.key)
        if len(value) > field.max_length:
            raise ServiceError(
                _(
                    "%(label)s不能超过 %(max)s 个字",
                    label=field.label,
                    max=field.max_length,
                ),
                field.key,
            )
        values[field.key] = value
    values["code"] = values["code"].upper()
    if not CODE_PATTERN.match(values["code"]):
        raise ServiceError(_("事项编码应为大写字母加数字，例如 ZJ012"), "code")
    if department is not None and values["approving_department"] != department:
        raise ServiceError(
            _(
                "审批部门应为本部门（%(department)s），其他部门的事项由其监管人员维护",
                department=department,
            ),
            "approving_department",
        )
    values["list_kind"] = _choice(text.get("list_kind"), LISTS, "list_kind", LABELS["list_kind"])
    values["fee_type"] = _choice(
        text.get("fee_type"), FEE_TYPE_LABELS, "fee_type", LABELS["fee_type"]
    )
    values.update(fee_limits(values["fee_type"], clean_text(text.get("fee_limits"))))
    return values


def in_chinese(label) -> str:
    """A label in Chinese, whatever the language of the moment: the departments' files and
    the published exports name the lists and fee types so."""
    with in_language(DEFAULT_LANGUAGE):
        return str(label)


def _choice(value, choices: dict, key: str, label) -> str:
    value = clean_text(value)
    for choice, choice_label in choices.items():
        # a file names a choice in Chinese; a form may send the label of its page's language
        if value in (choice, in_chinese(choice_label), str(choice_label)):
            return choice
    raise ServiceError(
        _(
            "%(label)s应为：%(choices)s",
            label=label,
            choices=_("、").join(str(v) for v in choices.values()),
        ),
        key,
    )


def fee_limits(fee_type: str, limits: str) -> dict:
    """A government-priced item's standard ("1000-30000" yuan or "0.1%-0.5%") as columns; a
    market-priced item has none."""
    empty = dict.fromkeys(FEE_COLUMNS)
    if fee_type == "market":
        return empty
    # full-width dashes and tildes typed in Chinese text read as the range's dash
    dashed = limits.replace("－", "-").replace("～", "-")  # i18n: data
    low, sep, high = dashed.replace("~", "-").partition("-")
    if not sep:
        raise ServiceError(
            _("政府指导价事项须填写收费上下限，例如 1000-30000 或 0.1%-0.5%"), "fee_limits"
        )
    try:
        if "%" in limits:
            bounds = dict(fee_rate_min_bp=percent_to_bp(low), fee_rate_max_bp=percent_to_bp(high))
        else:
            bounds = dict(fee_min_fen=yuan_to_fen(low), fee_max_fen=yuan_to_fen(high))
    except MoneyError as exc:
        raise ServiceError(_("收费上下限格式不正确：%(error)s", error=exc), "fee_limits") from exc
    low_value, high_value = bounds.values()
    if not 0 < low_value <= high_value:
        raise ServiceError(_("收费下限应大于 0 且不高于上限"), "fee_limits")
    return {**empty, **bounds}


def limits_text(values: dict) -> str:
    """The standard as typed back ("1000-30000", "0.1%-0.5%"), "" for a market price."""
    if values.get("fee_rate_max_bp") is not None:
        return f"{format_bp(values['fee_rate_min_bp'])}-{format_bp(values['fee_rate_max_bp'])}"
    if values.get("fee_max_fen") is not None:
        low, high = (fen_to_yuan(values[c]).normalize() for c in ("fee_min_fen", "fee_max_fen"))
        return f"{low:f}-{high:f}"
    return ""


def snapshot(item) -> dict:
    """The item's published fields and state, as a revision keeps them."""
    return {column: getattr(item, column) for column in SNAPSHOT_COLUMNS}


def differences(item, values: dict) -> dict:
    """The columns whose value `values` changes (the fee standard counts as one change)."""
    return {k: v for k, v in values.items() if getattr(item, k) != v}


def display_changes(changes: dict, before: dict | None = None) -> list[tuple[str, str, str]]:
    """(label, old, new) rows for the change log: the fee columns read as one standard."""
    before = before or {}
    rows = []
    if any(c in changes for c in FEE_COLUMNS):
        rows.append(
            (
                str(LABELS["fee_limits"]),
                limits_display(before) if before else "",
                limits_display(changes),
            )
        )
    for key, new in changes.items():
        if key in FEE_COLUMNS:
            continue
        rows.append((str(LABELS.get(key, key)), display(key, before.get(key)), display(key, new)))
    return rows


def display(key: str, value) -> str:
    """A column's value as the public reads it."""
    if value is None:
        return ""
    if key == "list_kind":
        return str(LISTS.get(value, value))
    if key == "fee_type":
        return str(FEE_TYPE_LABELS.get(value, value))
    if key == "status":
        return str(ITEM.label(value)) if value in ITEM else value
    return str(value)


def limits_display(values: dict) -> str:
    if values.get("fee_rate_max_bp") is not None:
        return _(
            "费率 %(low)s–%(high)s",
            low=format_bp(values["fee_rate_min_bp"]),
            high=format_bp(values["fee_rate_max_bp"]),
        )
    if values.get("fee_max_fen") is not None:
        return f"{format_fen(values['fee_min_fen'])}–{format_fen(values['fee_max_fen'])}"
    return _("无")
