"""The system's failed follow-up work in words a supervisor reads (core.failures records it)."""

from flask import url_for

from ..core.i18n import _, _l
from ..core.models import ListenerFailure
from ..procurement.services import state_labels

#: what the recorded event means, for the events that are not a notice's arrival
EVENTS = {
    "runner:due": _l("到期自动处理（该公告仍待处理，稍后自动重试）"),
    "notice-transitioned": _l("公告状态变化后的信用与风险处理"),
    "notice:revised": _l("公告修改后通知报价机构重新确认"),
    "contract-evaluated": _l("评价公开后的信用处理"),
    "contract-completed": _l("验收后记录机构业绩"),
    "contract-awarded": _l("确定中选后的后续处理"),
    "qualification-rejected": _l("资质核验不通过后的信用处理"),
    "conduct-record-changed": _l("不良行为记录变化后的信用重算与通知"),
    "standing-changed": _l("信用变化后的搜索排序更新"),
    "organisation-registered": _l("入驻后的机构资料初始化"),
    "payment-overdue": _l("逾期付款的信用处理"),
}
SUBJECTS = {"notice": _l("公告"), "conduct_record": _l("不良行为记录"), "objection": _l("异议")}
#: the page of a subject: (endpoint, its id argument)
LINKS = {
    "notice": ("procurement.detail", "notice_id"),
    "conduct_record": ("credit.record", "record_id"),
}


def describe(failure: ListenerFailure) -> str:
    """What was being done, in Chinese: 「公告 12：进入「已中选」后的通知」."""
    event = failure.event
    if event.startswith("notice:") and event.removeprefix("notice:") in state_labels():
        what = _(
            "进入「%(state)s」后的后续处理（通知等）",
            state=state_labels()[event.removeprefix("notice:")],
        )
    elif event.startswith("objection:"):
        what = _("异议的通知")
    elif event.startswith("batch:"):
        what = _("批量到期处理后的汇总工作（如系统自动报告不良行为、风险预警）")
    else:
        what = str(EVENTS.get(event, event))
    subject = SUBJECTS.get(failure.subject_type, failure.subject_type)
    if failure.subject_id:
        return _("%(subject)s %(id)s：%(what)s", subject=subject, id=failure.subject_id, what=what)
    return what


def subject_link(failure: ListenerFailure) -> str | None:
    """The page of what the failure was about, where there is one."""
    if failure.subject_id is None:
        return None
    endpoint = LINKS.get(failure.subject_type)
    return url_for(endpoint[0], **{endpoint[1]: failure.subject_id}) if endpoint else None
