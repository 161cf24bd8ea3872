"""The catalogue's lifecycles, declared once (docs/catalogue.md): an item's (梳理中 → 已公布 →
已上线, 已取消), a batch's (待公布 → 已公布 → 待上线 → 已上线) and a revision's (待生效 →
已生效). Revisions are the only way an item changes: a batch's publication, its going online
and a withdrawal are revisions of the items' state, applied on their effective date by
`revisions.apply_due` (the worker, or at once when the date is today)."""

from dataclasses import dataclass

from ..core.i18n import _l
from ..core.lifecycle import Lifecycle, Move, State


@dataclass(frozen=True)
class ItemState(State):
    #: the public list shows it (and agencies may offer it)
    public: bool = False
    #: notices may be published for it
    procurable: bool = False
    #: a regulator may still choose it for a new batch
    unpublished: bool = False


ITEM = Lifecycle(
    "service_item",
    [
        ItemState("draft", _l("梳理中"), "secondary", _l("事项录入"), unpublished=True),
        ItemState("published", _l("已公布"), "info", _l("随批次公布"), public=True),
        ItemState(
            "online", _l("已上线"), "success", _l("随批次上线"), public=True, procurable=True
        ),
        ItemState("withdrawn", _l("已取消"), "dark", _l("事项取消")),
    ],
    [
        Move("draft", "published"),
        Move("published", "online"),
        # a batch published and taken online on the same day
        Move("draft", "online"),
        Move("published", "withdrawn"),
        Move("online", "withdrawn"),
        Move("draft", "withdrawn"),
    ],
    column="status",
    subject=_l("该事项"),
)


BATCH = Lifecycle(
    "catalogue_batch",
    [
        State("scheduled", _l("待公布"), "secondary", _l("批次待公布"), due="publishes_on"),
        State("published", _l("已公布"), "info", _l("批次公布")),
        State("going_online", _l("待上线"), "warning", _l("批次计划上线"), due="online_on"),
        State("online", _l("已上线"), "success", _l("批次上线")),
    ],
    [
        Move("scheduled", "published"),
        Move("published", "going_online"),
        Move("published", "online"),
        Move("going_online", "online"),
    ],
    subject=_l("该批次"),
)


REVISION_KINDS = {
    "created": _l("录入事项"),
    "edited": _l("修改事项内容"),
    "published": _l("公布"),
    "online": _l("上线"),
    "withdrawn": _l("取消事项"),
    "imported": _l("导入清单"),
}

REVISION = Lifecycle(
    "item_revision",
    [
        State("pending", _l("待生效"), "warning", due="effective_on"),
        State("applied", _l("已生效"), "success"),
    ],
    [Move("pending", "applied")],
    subject=_l("该调整"),
)
