"""Signals between domains. Senders never import their listeners."""

from blinker import Namespace

_signals = Namespace()

#: sender: the Organisation just registered (any kind)
organisation_registered = _signals.signal("organisation-registered")
#: sender: the Notice; kwargs from_state, to_state, actor
notice_transitioned = _signals.signal("notice-transitioned")
#: sender: the Contract created when a notice is awarded
contract_awarded = _signals.signal("contract-awarded")
#: sender: the Evaluation; kwargs agency_org_id, scores (dict of dimension → 1..5)
contract_evaluated = _signals.signal("contract-evaluated")
