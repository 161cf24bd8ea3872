"""The contract a procurement's parties sign, generated from the item's model contract
(catalogue.model_contracts: its department's latest version, or the platform's general
text) with the notice's and the winning quote's terms filled in, printed to PDF and kept in
the library; each party's signature is the signer, the time and the SHA-256 of that PDF."""

import os
import re

from flask import current_app

from ..agencies.documents import Upload, store_document
from ..catalogue.model_contracts import GENERAL_TITLE, PLACEHOLDER, current_model, general_text
from ..core.clock import utcnow
from ..core.errors import ServiceError
from ..core.i18n import DEFAULT_LANGUAGE, _, in_language
from ..core.money import format_fen
from ..core.pdf import PdfUnavailable, render_pdf
from ..extensions import db
from .contract_models import Contract, ContractSignature
from .states import party_of

STYLESHEET = os.path.join(os.path.dirname(__file__), "contract.css")


def placeholder_values(contract: Contract) -> dict[str, str]:
    """What each placeholder of a model contract reads for this contract: the placeholders
    and the model's text are Chinese (the catalogue's data), and so are the values filled in."""
    notice = contract.notice
    with in_language(DEFAULT_LANGUAGE):
        payment = "；".join(m.describe() for m in notice.milestones_announced)  # i18n: data
    return {
        "采购人": contract.purchaser.name,  # i18n: data
        "中介机构": contract.agency.name,  # i18n: data
        "项目名称": notice.project_name or notice.title,  # i18n: data
        "公告编号": str(notice.id),  # i18n: data
        "合同编号": contract.number,  # i18n: data
        "服务事项": f"{notice.item.code} {notice.item.name}",  # i18n: data
        "服务内容": notice.scope,  # i18n: data
        "服务期限": str(notice.service_days),  # i18n: data
        "合同金额": format_fen(contract.amount_fen),  # i18n: data
        "付款安排": payment,  # i18n: data
        "验收期限": str(current_app.config["ACCEPTANCE_WORKING_DAYS"]),  # i18n: data
    }


def filled(contract: Contract) -> tuple[str, str, int | None, str]:
    """(title, text, model version or None, whose text) of the contract as generated now."""
    model = current_model(contract.notice.item)
    if model is not None:
        title, body, version = model.title, model.body, model.version
        source = _(
            "%(department)s合同示范文本第 %(version)s 版",
            department=contract.notice.item.approving_department,
            version=version,
        )
    else:
        title, body, version = GENERAL_TITLE, general_text(), None
        source = _("平台通用合同文本")
    values = placeholder_values(contract)
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)
    return title, text, version, source


#: an article's heading in the (Chinese) model contract: 第一条 …, 第十二条 …
ARTICLE = re.compile(r"第.{1,4}条")  # i18n: data


def contract_pdf(contract: Contract) -> tuple[bytes, int | None]:
    """The contract as a PDF, and the model version it was generated from."""
    title, text, version, source = filled(contract)
    pdf = render_pdf(
        "procurement/contract_pdf.html",
        STYLESHEET,
        contract=contract,
        notice=contract.notice,
        title=title,
        paragraphs=[(p, bool(ARTICLE.match(p))) for p in text.split("\n")],
        source=source,
        generated_dt=utcnow(),
    )
    return pdf, version


def previewable(notice, user) -> Contract | None:
    """The contract a party of the award may preview (None for anyone else, or before the
    award)."""
    contract = notice.contract
    if contract is None or party_of(notice, user) not in ("purchaser", "agency"):
        return None
    return contract


def generate_document(user, contract: Contract) -> None:
    """Print the contract and keep it in the signer's library as the text both sign."""
    try:
        pdf, version = contract_pdf(contract)
    except PdfUnavailable as err:
        raise ServiceError(
            _("暂时无法生成合同文本（PDF），请上传双方协商一致的合同文本后签署，或稍后再试"),
            "file",
        ) from err
    name = f"{contract.number}.pdf"
    contract.document = store_document(
        user,
        Upload("contract", f"合同 {contract.number}", name, pdf),  # i18n: data (a stored title)
    )
    contract.model_version = version


def record_signature(user, contract: Contract, party: str, at) -> ContractSignature:
    """The party's signature: who, when, and the SHA-256 of the exact PDF signed."""
    signature = ContractSignature(
        contract_id=contract.id,
        party=party,
        org_id=user.organisation.id,
        user_id=user.id,
        signed_dt=at,
        pdf_sha256=contract.document.sha256,
    )
    db.session.add(signature)
    contract.signatures.append(signature)
    return signature
