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
from .fields import FEE_TYPE_LABELS, LISTS, display, limits_text
from .states import ITEM

#: column → the headers departments give it (the first is the one exported)
HEADERS = {
    "code": ("事项编码", "编码", "事项编号"),
    "name": ("中介服务事项名称", "中介服务事项", "事项名称"),
    "licensing_item": ("涉及的审批事项", "审批事项", "涉及审批事项"),
    "legal_basis": ("设定依据", "依据"),
    "approving_department": ("审批部门",),
    "implementing_requirement": ("中介服务实施机构要求", "中介服务实施机构", "实施机构要求"),
    "fee_type": ("收费类型",),
    "fee_basis": ("收费依据",),
    "fee_limits": ("收费标准", "政府指导价标准"),
    "commissioned_by": ("委托主体",),
    "note": ("备注",),
    "category": ("类别",),
    "list_kind": ("所属清单", "清单", "清单类型"),
}
#: columns a file must have
REQUIRED = ("code", "name", "licensing_item", "legal_basis", "approving_department", "category")
#: read-only columns an export adds (ignored on import)
EXTRA = ("状态", "版本")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
#: how many of the first rows may come before the header row (a title, a date line)
HEADER_SEARCH_ROWS = 10


def read_workbook(stream, size: int) -> list[dict]:
    """The rows of the first sheet as {column: text}, each with its line number ("line");
    raises ServiceError for anything that is not such a list."""
    if size > MAX_BYTES:
        raise ServiceError(f"文件不能超过 {format_size(MAX_BYTES)}", "file")
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ServiceError(f"文件不能超过 {format_size(MAX_BYTES)}", "file")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ServiceError("无法读取该文件，请上传 Excel（.xlsx）格式的清单", "file") from exc
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
                raise ServiceError(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件", "file")
            rows.append({"line": line, **row})
    finally:
        book.close()
    if not rows:
        raise ServiceError("表头下面没有事项行", "file")
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
                raise ServiceError(f"表头缺少列：{'、'.join(missing)}", "file")
            return columns, number
    raise ServiceError(
        f"前 {HEADER_SEARCH_ROWS} 行中没有找到表头（应有“事项编码”“中介服务事项名称”等列）", "file"
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
            values.append(FEE_TYPE_LABELS[snapshot["fee_type"]])
        elif key == "list_kind":
            values.append(LISTS[snapshot["list_kind"]])
        else:
            values.append(snapshot.get(key) or "")
    return values + [display("status", snapshot["status"]), version or ""]


def as_csv(entries) -> bytes:
    """entries: (snapshot, version) pairs."""
    return csv_bytes(export_headers(), (export_row(s, v) for s, v in entries))


def as_json(entries, meta: dict) -> bytes:
    items = []
    for snapshot, version in entries:
        item = {k: v for k, v in snapshot.items()}
        item["version"] = version
        item["status_label"] = ITEM.label(snapshot["status"])
        item["list_label"] = LISTS[snapshot["list_kind"]]
        items.append(item)
    return json.dumps(
        {**meta, "count": len(items), "items": items}, ensure_ascii=False, indent=1
    ).encode("utf-8")


def as_xlsx(entries, sheet_title: str, day: date) -> bytes:
    """The list as an Excel file, the same bytes for the same list and day (the library
    stamps the time of writing inside the file and on each part of its zip)."""
    book = Workbook(write_only=True)
    book.properties.creator = "网上中介超市"
    sheet = book.create_sheet(sheet_title[:31])
    sheet.append(export_headers())
    for snapshot, version in entries:
        # the formula guard as in CSV: a cell starting with "=" stays text
        sheet.append([cell(v) if isinstance(v, str) else v for v in export_row(snapshot, version)])
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
