"""Signals between domains. Senders never import their listeners."""

from blinker import Namespace

_signals = Namespace()

#: sender: the Organisation just registered (any kind)
organisation_registered = _signals.signal("organisation-registered")
#: sender: the Notice; kwargs from_state, to_state, actor, at, data (the audit event's data:
#: e.g. unsigned_org_ids when an award lapses, abandoned when a selection is given up)
notice_transitioned = _signals.signal("notice-transitioned")
#: sender: the Contract created when a notice is awarded
contract_awarded = _signals.signal("contract-awarded")
#: sender: the Contract whose deliverable the purchaser accepted; kwargs item_id,
#: purchaser_name, agency_org_id, amount_fen, accepted_dt
contract_completed = _signals.signal("contract-completed")
#: sender: the Evaluation; kwargs contract_id, agency_org_id, scores (dimension → 1..5)
contract_evaluated = _signals.signal("contract-evaluated")
#: sender: the Qualification a regulator found false; kwargs actor, reason
#: (credit records it as a possible false-declaration violation)
qualification_rejected = _signals.signal("qualification-rejected")
#: sender: the Notice whose edit invalidated bids; kwargs agency_org_ids (to reconfirm)
bids_invalidated = _signals.signal("bids-invalidated")
#: sender: the Objection just filed (or answered, or decided); kwargs action
objection_changed = _signals.signal("objection-changed")
#: sender: the ConductRecord whose state changed; kwargs from_state, to_state
conduct_record_changed = _signals.signal("conduct-record-changed")
#: sender: the ConductRecord a regulator confirmed (or an appeal upheld); kwargs
#: subject_org_id
violation_confirmed = _signals.signal("violation-confirmed")
#: sender: the org id of the agency whose score, grade or measures credit just changed
#: (search re-ranks it)
standing_changed = _signals.signal("standing-changed")
#: sender: the Contract whose payment is overdue (payments); kwargs purchaser_org_id, due_dt
payment_overdue = _signals.signal("payment-overdue")
