"""Importing a department's list from Excel: the file's rows are read at upload, checked a
chunk at a time against the catalogue (the preview page shows the progress and every row's
outcome: added, changed field by field, unchanged or invalid), then applied as one batch."""

from sqlalchemy import select

from ..core.errors import ServiceError
from ..core.i18n import DEFAULT_LANGUAGE, _, _l, in_language
from ..extensions import db
from .batches import add_publication, new_batch
from .fields import differences, values_from_text
from .models import CatalogueImport, ServiceItem
from .revisions import create_item, pending_status, propose, settle_batches
from .sheets import read_workbook

#: rows checked per step: a request checks one chunk, the worker the rest
CHUNK = 100
ACTIONS = {"add": _l("新增"), "change": _l("修改"), "same": _l("无变化"), "invalid": _l("有错误")}


def start(department: str, stream, size: int, filename: str, author) -> CatalogueImport:
    """Read an uploaded workbook into an import of the department and check its first chunk."""
    rows = read_workbook(stream, size)
    job = CatalogueImport(
        department=department,
        filename=(filename or "清单.xlsx")[-200:],  # i18n: data (the name kept)
        rows=rows,
        outcomes=[],
        uploaded_by_id=author.id,
    )
    db.session.add(job)
    db.session.flush()
    check_chunk(job)
    return job


def check_chunk(job: CatalogueImport, size: int = CHUNK) -> int:
    """Check the next `size` rows of the import; returns how many remain."""
    if job.state != "checking":
        return 0
    outcomes = list(job.outcomes)
    seen = {o["code"] for o in outcomes if o.get("code")}
    chunk = job.rows[len(outcomes) : len(outcomes) + size]
    codes = {(row.get("code") or "").strip().upper() for row in chunk}
    existing = {
        item.code: item
        for item in db.session.scalars(select(ServiceItem).where(ServiceItem.code.in_(codes)))
    }
    for row in chunk:
        outcome = check_row(row, job.department, existing, seen)
        if outcome.get("code"):
            seen.add(outcome["code"])
        outcomes.append(outcome)
    job.outcomes = outcomes
    remaining = job.total - len(outcomes)
    if remaining == 0:
        job.state = "checked"
    db.session.flush()
    return remaining


def check_row(row: dict, department: str, existing: dict, seen: set) -> dict:
    """One row's outcome: add, change (with the changes), same or invalid (with why)."""
    # The outcome is kept with the import: its reasons are written in the platform's
    # language whoever (or whichever worker) checks the row; the changes are kept as
    # columns and named when shown.
    with in_language(DEFAULT_LANGUAGE):
        return _outcome(row, department, existing, seen)


def _outcome(row: dict, department: str, existing: dict, seen: set) -> dict:
    code = (row.get("code") or "").strip().upper()
    outcome = {"line": row["line"], "code": code, "name": row.get("name", "")}
    try:
        values = values_from_text(row, department)
    except ServiceError as err:
        return {**outcome, "action": "invalid", "errors": [err.message]}
    if code in seen:
        return {
            **outcome,
            "action": "invalid",
            "errors": [_("事项编码 %(code)s 在文件中重复", code=code)],
        }
    item = existing.get(code)
    if item is None:
        return {**outcome, "action": "add", "values": values}
    if item.approving_department != department:
        return {
            **outcome,
            "action": "invalid",
            "errors": [
                _("%(code)s 属于%(department)s", code=code, department=item.approving_department)
            ],
        }
    if item.status == "withdrawn":
        return {
            **outcome,
            "action": "invalid",
            "errors": [_("%(code)s 已取消，不能再调整", code=code)],
        }
    changes = differences(item, values)
    if not changes:
        return {**outcome, "action": "same"}
    before = {k: getattr(item, k) for k in changes}
    return {
        **outcome,
        "action": "change",
        "values": values,
        "changed": changes,
        "before": before,
    }


def counts(job: CatalogueImport) -> dict[str, int]:
    """How many checked rows have each outcome."""
    tally = dict.fromkeys(ACTIONS, 0)
    for outcome in job.outcomes:
        tally[outcome["action"]] += 1
    return tally


def apply(job: CatalogueImport, title: str, publishes_on, author):
    """Apply the checked import as one batch published on `publishes_on`: new items are
    recorded and published with it, changed items get their changes from that date (drafts
    are published too). Invalid and unchanged rows are left out."""
    if job.state != "checked":
        raise ServiceError(_("该导入尚未检查完毕或已应用"))
    wanted = [o for o in job.outcomes if o["action"] in ("add", "change")]
    if not wanted:
        raise ServiceError(_("没有可导入的新增或修改行"))
    items = {
        item.code: item
        for item in db.session.scalars(
            select(ServiceItem).where(ServiceItem.code.in_([o["code"] for o in wanted]))
        )
    }
    for outcome in wanted:
        # The catalogue may have moved since the check: refuse before writing anything.
        item = items.get(outcome["code"])
        if (outcome["action"] == "add") != (item is None) or (
            item is not None
            and (item.approving_department != job.department or item.status == "withdrawn")
        ):
            raise ServiceError(_("%(code)s 在检查后已变化，请重新上传文件", code=outcome["code"]))
    batch = new_batch(job.department, title, publishes_on, author)
    reason = f"第 {batch.number} 批导入：{batch.title}"  # i18n: data (a kept reason)
    for outcome in wanted:
        values = outcome["values"]
        item = items.get(outcome["code"])
        if item is None:
            item = create_item(values, reason, author)
        else:
            changes = differences(item, values)
            if changes:
                propose(item, "edited", changes, reason, batch.publishes_on, author, batch)
        if item.status == "draft" and pending_status(item) is None:
            add_publication(batch, item, author)
    job.batch = batch
    job.state = "applied"
    settle_batches()
    return batch


def pending_imports() -> list[CatalogueImport]:
    """Imports still being checked (the worker finishes them when nobody watches)."""
    return list(
        db.session.scalars(select(CatalogueImport).where(CatalogueImport.state == "checking"))
    )
