"""Signals between domains. Senders never import their listeners, and a listener's failure
never reaches its sender: it is recorded for supervisors and left undone (core.listeners)."""

from blinker import NamedSignal

from .listeners import call_listener


class GuardedSignal(NamedSignal):
    """A signal whose receivers each run guarded (see core.listeners.call_listener)."""

    def send(self, sender=None, /, **kwargs):
        if self.is_muted:
            return []
        return [
            (receiver, call_listener(receiver, sender, event=self.name, **kwargs))
            for receiver in self.receivers_for(sender)
        ]


def _signal(name: str) -> GuardedSignal:
    return GuardedSignal(name)


#: sender: the Organisation just registered (any kind)
organisation_registered = _signal("organisation-registered")
#: sender: the Notice; kwargs from_state, to_state, actor, at, data (the audit event's data:
#: e.g. unsigned_org_ids when an award lapses, abandoned when a selection is given up)
notice_transitioned = _signal("notice-transitioned")
#: sender: the Contract created when a notice is awarded
contract_awarded = _signal("contract-awarded")
#: sender: the Contract whose deliverable the purchaser accepted; kwargs item_id,
#: purchaser_name, agency_org_id, amount_fen, accepted_dt
contract_completed = _signal("contract-completed")
#: sender: the Evaluation; kwargs contract_id, agency_org_id, scores (dimension → 1..5)
contract_evaluated = _signal("contract-evaluated")
#: sender: the Qualification a regulator found false; kwargs actor, reason
#: (credit records it as a possible false-declaration violation)
qualification_rejected = _signal("qualification-rejected")
#: sender: the ConductRecord whose state changed; kwargs from_state, to_state
conduct_record_changed = _signal("conduct-record-changed")
#: sender: the ConductRecord a regulator confirmed (or an appeal upheld); kwargs
#: subject_org_id
violation_confirmed = _signal("violation-confirmed")
#: sender: the org id of the agency whose score, grade or measures credit just changed
#: (search re-ranks it)
standing_changed = _signal("standing-changed")
#: sender: the Contract one of whose milestones is still unpaid after the reminder's grace
#: (payments); kwargs purchaser_org_id, due_dt, milestone_id, milestone_label, amount_fen
payment_overdue = _signal("payment-overdue")
#: sender: the ServiceItem a revision just changed; kwargs kind (edited, withdrawn, …),
#: version, reason (agencies tell those offering it)
catalogue_item_revised = _signal("catalogue-item-revised")
