"""Who keeps which part of the catalogue: the regulators of an item's approving department
(审批部门) create, change, publish, take online and withdraw it; everyone reads what has been
public."""

from dataclasses import dataclass

from .states import ITEM


def department_of(user) -> str:
    """The department a signed-in regulator keeps the catalogue for ("" for anyone else)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.supervises:
        return ""
    return (user.organisation.department or "").strip()


def keeps(user, item) -> bool:
    """Whether `user` keeps `item` (a regulator of its approving department)."""
    department = department_of(user)
    return bool(department) and department == item.approving_department


def may_read(user, item) -> bool:
    """The public reads an item once it has been on the list; its department, always."""
    return item.ever_public or keeps(user, item)


@dataclass(frozen=True)
class ItemSteps:
    """What a user may do with one item (templates ask these, never the state)."""

    may_edit: bool
    may_withdraw: bool
    may_publish: bool


def steps(user, item, pending_status=None) -> ItemSteps:
    """The steps `user` may take on `item`, given the state a waiting revision will give it."""
    if not keeps(user, item):
        return ItemSteps(False, False, False)
    open_ = item.status != "withdrawn" and pending_status != "withdrawn"
    return ItemSteps(
        may_edit=open_,
        may_withdraw=open_ and ITEM.allows(item.status, "withdrawn", None),
        may_publish=item.status == "draft" and pending_status is None,
    )
