"""The list as a spreadsheet, as departments keep it: the columns under their Chinese
headers, read from an uploaded Excel file and written back in CSV, JSON and Excel. What is
exported imports again unchanged."""

import io
import json
import re
import zipfile
from datetime import date, datetime, time

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ..core.csvfile import cell, csv_bytes
from ..core.errors import ServiceError, format_size
from ..core.i18n import DEFAULT_LANGUAGE, _, in_language
from .fields import FEE_TYPE_LABELS, LISTS, display, in_chinese, limits_text
from .states import ITEM

#: column → the headers departments give it (the first is the one exported)
HEADERS = {
    "code": ("事项编码", "编码", "事项编号"),  # i18n: data
    "name": ("中介服务事项名称", "中介服务事项", "事项名称"),  # i18n: data
    "licensing_item": ("涉及的审批事项", "审批事项", "涉及审批事项"),  # i18n: data
    "legal_basis": ("设定依据", "依据"),  # i18n: data
    "approving_department": ("审批部门",),  # i18n: data
    "implementing_requirement": (
        "中介服务实施机构要求",  # i18n: data
        "中介服务实施机构",  # i18n: data
        "实施机构要求",  # i18n: data
    ),
    "fee_type": ("收费类型",),  # i18n: data
    "fee_basis": ("收费依据",),  # i18n: data
    "fee_limits": ("收费标准", "政府指导价标准"),  # i18n: data
    "commissioned_by": ("委托主体",),  # i18n: data
    "note": ("备注",),  # i18n: data
    "category": ("类别",),  # i18n: data
    "list_kind": ("所属清单", "清单", "清单类型"),  # i18n: data
}
#: columns a file must have
REQUIRED = ("code", "name", "licensing_item", "legal_basis", "approving_department", "category")
#: read-only columns an export adds (ignored on import)
EXTRA = ("状态", "版本")  # i18n: data
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
#: how many of the first rows may come before the header row (a title, a date line)
HEADER_SEARCH_ROWS = 10


def read_workbook(stream, size: int) -> list[dict]:
    """The rows of the first sheet as {column: text}, each with its line number ("line");
    raises ServiceError for anything that is not such a list."""
    if size > MAX_BYTES:
        raise ServiceError(_("文件不能超过 %(size)s", size=format_size(MAX_BYTES)), "file")
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ServiceError(_("文件不能超过 %(size)s", size=format_size(MAX_BYTES)), "file")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ServiceError(_("无法读取该文件，请上传 Excel（.xlsx）格式的清单"), "file") from exc
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        columns, header_line = _find_header(lines)
        rows = []
        for line, values in enumerate(lines, start=header_line + 1):
            row = {key: _text(values[i] if i < len(values) else None) for key, i in columns.items()}
            if not any(row.values()):
                continue
            if len(rows) == MAX_ROWS:
                raise ServiceError(
                    _("一次最多导入 %(max)s 行，请分成几个文件", max=MAX_ROWS), "file"
                )
            rows.append({"line": line, **row})
    finally:
        book.close()
    if not rows:
        raise ServiceError(_("表头下面没有事项行"), "file")
    return rows


def _find_header(lines) -> tuple[dict[str, int], int]:
    known = {name: key for key, names in HEADERS.items() for name in names}
    for number, values in enumerate(lines, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        columns = {}
        for i, value in enumerate(values or ()):
            key = known.get(_text(value).replace(" ", ""))
            if key and key not in columns:
                columns[key] = i
        if "code" in columns:
            missing = [HEADERS[k][0] for k in REQUIRED if k not in columns]
            if missing:
                raise ServiceError(
                    _("表头缺少列：%(columns)s", columns=_("、").join(missing)), "file"
                )
            return columns, number
    raise ServiceError(
        _(
            "前 %(n)s 行中没有找到表头（应有%(columns)s等列）",
            n=HEADER_SEARCH_ROWS,
            columns="“事项编码”“中介服务事项名称”",  # i18n: data (the headers looked for)
        ),
        "file",
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- exports ------------------------------------------------------------------------------


def export_headers() -> list[str]:
    return [names[0] for names in HEADERS.values()] + list(EXTRA)


def export_row(snapshot: dict, version=None) -> list:
    """One item's row as exported: the values as typed on import."""
    values = []
    for key in HEADERS:
        if key == "fee_limits":
            values.append(limits_text(snapshot))
        elif key == "fee_type":
            values.append(str(FEE_TYPE_LABELS[snapshot["fee_type"]]))
        elif key == "list_kind":
            values.append(str(LISTS[snapshot["list_kind"]]))
        else:
            values.append(snapshot.get(key) or "")
    return values + [display("status", snapshot["status"]), version or ""]


def as_csv(entries) -> bytes:
    """entries: (snapshot, version) pairs."""
    with in_language(DEFAULT_LANGUAGE):
        return csv_bytes(export_headers(), [export_row(s, v) for s, v in entries])


def as_json(entries, meta: dict) -> bytes:
    items = []
    for snapshot, version in entries:
        item = {k: v for k, v in snapshot.items()}
        item["version"] = version
        item["status_label"] = in_chinese(ITEM.label(snapshot["status"]))
        item["list_label"] = in_chinese(LISTS[snapshot["list_kind"]])
        items.append(item)
    meta = {key: in_chinese(value) for key, value in meta.items()}
    return json.dumps(
        {**meta, "count": len(items), "items": items}, ensure_ascii=False, indent=1
    ).encode("utf-8")


def as_xlsx(entries, sheet_title: str, day: date) -> bytes:
    """The list as an Excel file, the same bytes for the same list and day (the library
    stamps the time of writing inside the file and on each part of its zip)."""
    book = Workbook(write_only=True)
    book.properties.creator = "网上中介超市"  # i18n: data
    sheet = book.create_sheet(in_chinese(sheet_title)[:31])
    with in_language(DEFAULT_LANGUAGE):
        sheet.append(export_headers())
        for snapshot, version in entries:
            # the formula guard as in CSV: a cell starting with "=" stays text
            row = export_row(snapshot, version)
            sheet.append([cell(v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return stamped(out.getvalue(), datetime.combine(day, time()))


def stamped(data: bytes, moment: datetime) -> bytes:
    """The workbook with `moment` as its creation and modification time, inside and out."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, content
                )
            target.writestr(
                zipfile.ZipInfo(info.filename, moment.timetuple()[:6]),
                content,
                zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()
