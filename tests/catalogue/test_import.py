"""Importing a department's list from Excel: the preview row by row (added, changed field by
field, unchanged, invalid), checking long files a chunk at a time, applying as one batch, and
the walk from the file to items online and one withdrawn, told by the public change log."""

import io
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from market.catalogue.models import CatalogueBatch, CatalogueImport
from market.catalogue.tasks import apply_due_changes

from .. import factories

DEPARTMENT = "规划自然资源部门"
HEADER = [
    "序号",
    "事项编码",
    "中介服务事项名称",
    "涉及的审批事项",
    "设定依据",
    "审批部门",
    "中介服务实施机构要求",
    "收费类型",
    "收费依据",
    "收费标准",
    "委托主体",
    "备注",
    "类别",
    "所属清单",
]
DEC_1 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DEC_10 = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)


def row(code, name="地下管线探测", department=DEPARTMENT, **overrides):
    values = {
        "事项编码": code,
        "中介服务事项名称": name,
        "涉及的审批事项": "建设工程规划许可",
        "设定依据": "《城乡规划法》",
        "审批部门": department,
        "中介服务实施机构要求": "",
        "收费类型": "市场调节价",
        "收费依据": "市场调节价，由委托双方协商确定",
        "收费标准": "",
        "委托主体": "申请人",
        "备注": "",
        "类别": "测绘",
        "所属清单": "行政许可中介服务事项",
    }
    values.update(overrides)
    return values


def workbook(rows, title="重庆市规划自然资源部门中介服务事项清单") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([title])  # departments' sheets start with a title line
    sheet.append(HEADER)
    for n, values in enumerate(rows, start=1):
        sheet.append([n, *(values.get(h, "") for h in HEADER[1:])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content, name="清单.xlsx"):
    return client.post(
        "/catalogue/manage/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def text(response):
    return response.get_data(as_text=True)


def current_row(code):
    """An item's row as the platform's own Excel export gives it."""
    item = factories.item(code)
    return row(
        code,
        name=item.name,
        **{
            "涉及的审批事项": item.licensing_item,
            "设定依据": item.legal_basis,
            "中介服务实施机构要求": item.implementing_requirement,
            "收费依据": item.fee_basis,
            "委托主体": item.commissioned_by,
            "备注": item.note,
            "类别": item.category,
        },
    )


@pytest.fixture
def keeper(db, auth):
    user = factories.staff("regulator", DEPARTMENT)
    auth.login(user)
    return user


def test_the_preview_tells_each_row_and_nothing_changes_before_applying(client, keeper):
    renamed = current_row("ZJ005") | {"中介服务事项名称": "建设项目规划选址测绘报告编制"}
    rows = [
        row("ZJ901"),
        renamed,
        current_row("ZJ009"),
        row("ZJ902", department="生态环境部门"),
        row("ZJ903", name=""),
        row("ZJ901", name="重复的行"),
    ]
    response = upload(client, workbook(rows))
    assert response.status_code == 302
    preview = text(client.get(response.headers["Location"]))
    assert "新增 1" in preview and "修改 1" in preview
    assert "无变化 1" in preview and "有错误 3" in preview
    assert "建设项目规划选址测绘报告编制" in preview  # the changed field, before and after
    assert factories.item("ZJ005").name in preview
    assert "审批部门应为本部门（规划自然资源部门）" in preview
    assert "请填写中介服务事项名称" in preview
    assert "事项编码 ZJ901 在文件中重复" in preview
    # the line numbers are the sheet's: the title and header lines come first
    job = factories.db.session.scalar(select(CatalogueImport))
    assert [o["line"] for o in job.outcomes] == [3, 4, 5, 6, 7, 8]
    assert factories.item("ZJ901") is None
    assert factories.item("ZJ005").version == 1


def test_from_the_file_to_online_and_a_withdrawal_the_public_log_tells_it(
    client, keeper, auth, frozen_clock
):
    renamed = current_row("ZJ005") | {"中介服务事项名称": "建设项目规划选址测绘报告编制"}
    location = upload(client, workbook([row("ZJ901"), renamed])).headers["Location"]
    job_id = int(location.rsplit("/", 1)[1])
    response = client.post(
        f"/catalogue/manage/import/{job_id}/apply",
        data={"title": "2026 年规划类事项调整", "publishes_on": "2026-12-01"},
    )
    assert response.status_code == 302
    batch = factories.db.session.scalar(select(CatalogueBatch))
    assert batch.state == "scheduled"
    assert factories.item("ZJ901").status == "draft"
    assert factories.item("ZJ005").name != "建设项目规划选址测绘报告编制"

    frozen_clock.set(DEC_1)
    apply_due_changes()
    assert batch.state == "published"
    assert factories.item("ZJ901").status == "published"
    assert factories.item("ZJ005").name == "建设项目规划选址测绘报告编制"

    client.post(
        f"/catalogue/manage/batches/{batch.number}/online", data={"online_on": "2026-12-10"}
    )
    frozen_clock.set(DEC_10)
    apply_due_changes()
    assert batch.state == "online" and factories.item("ZJ901").status == "online"
    # ZJ005 was online already: the batch carried only its change
    assert factories.item("ZJ005").status == "online"

    item = factories.item("ZJ901")
    client.post(
        f"/catalogue/manage/items/{item.id}/withdraw",
        data={"reason": "与 ZJ016 重复，予以取消", "effective_on": "2026-12-10"},
    )
    assert item.status == "withdrawn"

    auth.logout()
    log = text(client.get("/catalogue/ZJ901"))
    for step in ("录入事项", "公布", "上线", "取消事项", "与 ZJ016 重复，予以取消"):
        assert step in log
    assert f"第 {batch.number} 批" in log
    changes = text(client.get("/catalogue/changes?since=2026-12-01"))
    assert "ZJ901" in changes and "ZJ005" in changes
    batch_page = text(client.get(f"/catalogue/batches/{batch.number}"))
    assert "ZJ901" in batch_page and "ZJ005" in batch_page and "修改事项内容" in batch_page


def test_the_platforms_own_export_imports_again_unchanged(client, keeper):
    exported = client.get("/catalogue/export.xlsx?list=licensing")
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    kept = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[4] == DEPARTMENT]
    assert len(kept) == 8  # the department's eight licensing items
    out = Workbook()
    out.active.append(header)
    for values in kept:
        out.active.append(list(values))
    content = io.BytesIO()
    out.save(content)
    preview = text(client.get(upload(client, content.getvalue()).headers["Location"]))
    assert "无变化 8" in preview and "新增 0" in preview and "修改 0" in preview
    assert "文件中没有新增或修改的事项" in preview


def test_a_long_file_is_checked_a_chunk_at_a_time_with_its_progress(client, keeper):
    rows = [row(f"ZJ{n}", name=f"测绘事项{n}") for n in range(1000, 1250)]
    location = upload(client, workbook(rows)).headers["Location"]
    job = factories.db.session.scalar(select(CatalogueImport))
    assert job.checked == 100 and job.state == "checking"
    first = text(client.get(location))  # each look checks one more chunk
    assert "已检查 200 / 250 行" in first and 'http-equiv="refresh"' in first
    assert job.checked == 200
    apply_due_changes()  # the worker finishes what nobody watches
    assert job.state == "checked"
    assert "新增 250" in text(client.get(location))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"code,name\nZJ1,x\n", "清单.csv", "无法读取该文件，请上传 Excel（.xlsx）格式的清单"),
        (b"PK\x03\x04 not a zip", "清单.xlsx", "无法读取该文件"),
    ],
)
def test_a_file_that_is_not_a_workbook_gets_a_message(client, keeper, content, name, message):
    response = upload(client, content, name)
    assert response.status_code == 400 and message in text(response)
    assert factories.db.session.scalar(select(CatalogueImport)) is None


def test_a_sheet_without_the_list_header_gets_a_message(client, keeper):
    book = Workbook()
    book.active.append(["姓名", "电话"])
    book.active.append(["张三", "123"])
    out = io.BytesIO()
    book.save(out)
    response = upload(client, out.getvalue())
    assert response.status_code == 400
    assert "没有找到表头" in text(response)


def test_a_header_missing_required_columns_is_named(client, keeper):
    book = Workbook()
    book.active.append(["事项编码", "中介服务事项名称"])
    book.active.append(["ZJ901", "地下管线探测"])
    out = io.BytesIO()
    book.save(out)
    response = upload(client, out.getvalue())
    assert response.status_code == 400
    assert "表头缺少列：涉及的审批事项、设定依据、审批部门、类别" in text(response)


def test_another_departments_import_is_not_found(client, keeper, auth):
    location = upload(client, workbook([row("ZJ901")])).headers["Location"]
    other = factories.staff("regulator", "气象部门")
    auth.logout()
    auth.login(other)
    assert client.get(location).status_code == 404
