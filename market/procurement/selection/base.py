"""The common interface of the selection methods and their registry.

A method is a pure function of its candidates, the seed and its settings, so that a stored
selection can be re-run by anyone: `select(candidates, seed, settings) -> Outcome`.
Candidates are dicts in bid-id order: bid_id, agency_org_id, agency, amount_fen,
credit_score, commitment (and technical_score for scored evaluation). Settings are what
the notice and the configuration fixed before the run (weights, the K range, minimums),
stored with the selection.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass
class Outcome:
    """The result of one run: the winning bid id, or a failure (流标) with its reason."""

    winner_bid_id: int | None
    #: values the run fixed (K, scores, the draw), stored and published with the selection
    parameters: dict = field(default_factory=dict)
    failure: str = ""
    #: one public sentence on why the winner won (shown as the selection reason)
    summary: str = ""


@dataclass(frozen=True)
class SelectionMethod:
    key: str
    #: name and version of the rule, stored with every selection it makes
    algorithm: str
    #: runs by itself when bidding closes; otherwise the purchaser acts (direct, scored)
    automatic: bool
    select: Callable[[list, str, dict], Outcome]
    settings: Callable[[object, Mapping], dict] = lambda notice, config: {}
    #: earlier versions of the rule by algorithm string, kept so that selections stored
    #: under them still re-run (verify.py) after the rule changed
    previous: Mapping[str, Callable[[list, str, dict], Outcome]] = field(default_factory=dict)

    def rule_for(self, algorithm: str) -> Callable[[list, str, dict], Outcome] | None:
        """The select function of the given algorithm version (None if unknown)."""
        if algorithm == self.algorithm:
            return self.select
        return self.previous.get(algorithm)


_REGISTRY: dict[str, SelectionMethod] = {}


def register(method: SelectionMethod) -> SelectionMethod:
    _REGISTRY[method.key] = method
    return method


def method_for(key: str) -> SelectionMethod:
    """The registered method for a notice's `method` key."""
    return _REGISTRY[key]


def registered() -> dict[str, SelectionMethod]:
    return dict(_REGISTRY)


def two_places(value) -> Decimal:
    """Scores are kept to two decimals, rounded half up, as they are published."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def no_candidates() -> Outcome:
    return Outcome(None, {}, "没有可参与选取的有效响应")
