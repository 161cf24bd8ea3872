"""The contract both parties sign, generated from the item's model contract with the notice's
and the winning quote's terms, and each signature's signer, time and the PDF's SHA-256."""

import hashlib
import io
from datetime import timedelta

from pypdf import PdfReader

from market.catalogue import model_contracts
from market.catalogue.services import get_item_by_code
from market.procurement import services as procurement
from market.procurement.runner import apply_due

BODY = (
    "委托方：【采购人】\n受托方：【中介机构】\n项目：【项目名称】（公告编号【公告编号】）\n"
    "合同金额：【合同金额】\n付款：【付款安排】\n服务期限：【服务期限】天"
)
PLAN = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "")


def _awarded(make, frozen_clock):
    notice, buyer, winner, _ = make.publicity_notice()
    frozen_clock.set(notice.publicity_end_dt + timedelta(minutes=1))
    apply_due(notice)
    return notice, buyer, winner


def test_both_sign_the_contract_generated_from_the_model(client, auth, make, frozen_clock):
    keeper = make.staff("regulator", "生态环境部门")
    model_contracts.save_model(keeper, get_item_by_code("ZJ012"), "环评技术服务合同", BODY)
    notice, buyer, winner = _awarded(make, frozen_clock)

    auth.login(buyer)
    preview = client.get(f"/notices/{notice.id}/contract/preview.pdf")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    text = _text(preview.get_data())
    assert "环评技术服务合同" in text
    assert buyer.organisation.name in text and winner.organisation.name in text
    assert "¥80,000.00" in text and f"公告编号{notice.id}" in text
    assert "服务期限：30天" in text
    assert "生态环境部门合同示范文本第1版" in text

    assert client.post(f"/notices/{notice.id}/sign", data={}).status_code == 302
    contract = notice.contract
    assert contract.model_version == 1
    signed = client.get(f"/documents/{contract.document.id}")
    digest = hashlib.sha256(signed.get_data()).hexdigest()
    signed.close()
    assert digest == contract.document.sha256
    auth.logout()

    auth.login(winner)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert digest in page and "您签署的是同一文件" in page
    assert client.post(f"/notices/{notice.id}/sign", data={}).status_code == 302
    assert notice.state == "contracted"
    signatures = {s.party: s for s in contract.signatures}
    assert signatures["purchaser"].pdf_sha256 == signatures["agency"].pdf_sha256 == digest
    assert signatures["purchaser"].user_id == buyer.id
    assert signatures["agency"].user_id == winner.id
    public = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert public.count(digest) >= 2  # both signatures name the file they signed


def test_without_a_model_the_general_text_is_used(make, frozen_clock):
    notice, buyer, _ = _awarded(make, frozen_clock)
    procurement.sign_contract(buyer, notice)
    contract = notice.contract
    assert contract.model_version is None
    assert contract.document.title == f"合同 {contract.number}"
    assert contract.signatures[0].pdf_sha256 == contract.document.sha256


def test_an_uploaded_text_is_still_signed_as_uploaded(make, frozen_clock):
    notice, buyer, winner = _awarded(make, frozen_clock)
    procurement.sign_contract(buyer, notice, make.contract_pdf())
    procurement.sign_contract(winner, notice)
    contract = notice.contract
    assert contract.document.sha256 == hashlib.sha256(make.PDF_BYTES).hexdigest()
    assert {s.pdf_sha256 for s in contract.signatures} == {contract.document.sha256}


def test_no_preview_for_others(client, auth, make, frozen_clock):
    notice, _, _ = _awarded(make, frozen_clock)
    auth.login(make.agency())
    assert client.get(f"/notices/{notice.id}/contract/preview.pdf").status_code == 404
