"""Demo storefronts: each agency's fee standards, library, declared qualifications and
practitioners.

Called by demo.load_demo() with the clock moved back, through the real services, so the
commitments, audit events and verification history are what users would have produced.
"""

from datetime import timedelta

from stdnum.cn import ric

from ..agencies.documents import Upload, store_document
from ..agencies.practitioners import PractitionerData, add_practitioner
from ..agencies.qualifications import (
    QualificationData,
    declare_qualification,
    reject_qualification,
    verify_qualification,
)
from ..agencies.services import offered_item_ids
from ..catalogue.models import ServiceItem
from ..core.clock import local_today
from ..extensions import db

#: the certificate a practitioner of each trade holds (by catalogue category)
CERTIFICATES = {
    "环境影响评价": ("环境影响评价工程师职业资格证书", "HP"),
    "水土保持": ("水土保持方案编制专业技术人员证书", "SB"),
    "测绘": ("注册测绘师资格证书", "CH"),
    "防雷检测": ("防雷检测专业技术人员资格证", "FL"),
    "安全评价": ("注册安全工程师职业资格证书", "AQ"),
    "投资咨询": ("注册咨询工程师（投资）职业资格证书", "ZX"),
    "造价咨询": ("一级造价工程师注册证书", "ZJ"),
    "地质灾害评估": ("注册岩土工程师执业资格证书", "YT"),
}
#: credentials agencies of a trade commonly hold where the law requires none (by category)
VOLUNTARY = {
    "环境影响评价": ("环境影响评价信用平台编制单位备案", ("不分级",), "生态环境部"),
    "投资咨询": ("工程咨询单位资信评价", ("甲级", "乙级", "乙级"), "中国工程咨询协会"),
    "水土保持": ("水土保持方案编制单位水平评价", ("不分级",), "中国水土保持学会"),
    "造价咨询": ("工程造价咨询企业信用评价", ("不分级",), "中国建设工程造价管理协会"),
}
ISSUERS = {
    "气象部门": "重庆市气象局",
    "规划自然资源部门": "重庆市规划和自然资源局",
    "市场监管部门": "重庆市市场监督管理局",
    "住房城乡建设部门": "重庆市住房和城乡建设委员会",
    "应急管理部门": "重庆市应急管理局",
    "卫生健康部门": "重庆市卫生健康委员会",
    "生态环境部门": "重庆市生态环境局",
}


def demo_pdf(title: str) -> bytes:
    """A small, valid one-page PDF showing `title` (ASCII), with a correct xref table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def fee_standard(rng, item) -> dict:
    """A fee standard an agency of this trade would publish for the item."""
    if item.is_government_priced and item.fee_is_rate:
        low, high = item.fee_rate_min_bp, item.fee_rate_max_bp
        rate = rng.randint(low, high)
        return dict(fee_kind="rate", fee_rate_bp=rate, fee_note="按评估总价计取")
    if item.is_government_priced:
        low = rng.randint(item.fee_min_fen, item.fee_max_fen // 2) // 100_00 * 100_00
        low = max(low, item.fee_min_fen)
        return dict(fee_kind="range", fee_min_fen=low, fee_max_fen=item.fee_max_fen)
    style = rng.random()
    if style < 0.15:
        return dict(fee_kind="negotiable", fee_note="按项目规模协商确定，报价含专家评审费")
    if style < 0.3:
        return dict(fee_kind="fixed", fee_min_fen=rng.randint(3, 30) * 1000_00)
    low = rng.randint(2, 30) * 10_000_00
    return dict(fee_kind="range", fee_min_fen=low, fee_max_fen=low * rng.choice([2, 3]))


def _id_number(rng) -> str:
    body = (
        rng.choice(["500112", "500105", "500103", "500107", "510104"])
        + f"{rng.randint(1965, 1996)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        + f"{rng.randint(0, 999):03d}"
    )
    return body + ric.calc_check_digit(body + "0")


def furnish(b, user, category: str, expiring: bool = False) -> None:
    """Give one agency a licence scan, qualifications for its items and 2–5 practitioners
    (`expiring`: its first qualification runs out within 30 days of today)."""
    org = user.organisation
    # The licence scan stays in the library for bids to cite.
    store_document(
        user,
        Upload("licence", "营业执照副本", "licence.pdf", demo_pdf(f"Business licence {org.uscc}")),
    )
    certificate, prefix = CERTIFICATES.get(category, ("注册咨询工程师（投资）职业资格证书", "ZX"))
    for _ in range(b.rng.randint(2, 5)):
        person = b.fake.name()
        number = f"{prefix}{b.rng.randint(10**7, 10**8 - 1)}"
        scan = store_document(
            user,
            Upload("certificate", f"{person} {certificate}", "cert.pdf", demo_pdf(number)),
        )
        add_practitioner(
            user,
            PractitionerData(
                name=person,
                certificate=certificate,
                certificate_number=number,
                id_number=_id_number(b.rng),
                document_id=scan.id,
                commitment_signed=True,
            ),
        )
    today = local_today()
    for n, item_id in enumerate(sorted(offered_item_ids(org.id))):
        item = db.session.get(ServiceItem, item_id)
        kind, grades = item.implementing_requirement, ("甲级", "乙级", "乙级", "丙级", "不分级")
        issuer = ISSUERS.get(item.approving_department, "重庆市人民政府有关部门")
        if not kind:
            # No statutory requirement: agencies still show the credentials their trade holds.
            kind, grades, issuer = VOLUNTARY.get(item.category, ("", (), ""))
        if not kind:
            continue
        number = f"{b.rng.choice('甲乙丙')}{b.rng.randint(10**9, 10**10 - 1)}"
        scan = store_document(
            user, Upload("qualification", f"{kind}证书", "q.pdf", demo_pdf(number))
        )
        # Declared about 90 days ago: a few have run out by today, a few run out within 30 days.
        days = 110 if expiring and n == 0 else b.rng.choice([60, 110, 110, 400, 400, 700, 1000])
        declare_qualification(
            user,
            QualificationData(
                item_id=item.id,
                type=kind,
                grade=b.rng.choice(grades),
                number=number,
                issuer=issuer,
                valid_until=today + timedelta(days=days),
                document_id=scan.id,
                commitment_signed=True,
            ),
        )


def verify_some(b, regulator, qualifications) -> None:
    """The regulator works through part of its queue: most verified, one rejected."""
    for n, qualification in enumerate(qualifications):
        if n % 3 == 2:
            continue  # left pending, so the regulator's workspace has a queue
        if n == 4:
            reject_qualification(regulator, qualification.id, "证书编号在发证机关系统中查询不到")
        else:
            verify_qualification(regulator, qualification.id, "已与发证机关系统核对")
