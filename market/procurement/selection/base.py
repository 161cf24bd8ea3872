"""The selection methods' common interface and their registry.

A method is declared once, in its own module, as a `SelectionMethod`: its label, whether
agencies register at a fixed price, the fewest responses it needs, whether the purchaser
acts after bidding closes (and what that step asks for), the notice fields it owns and their
rules, what each candidate carries, the template partial with its pieces of the notice and
draw pages, and the rule itself.

The rule is a pure function of its candidates, the seed and its settings, so that a stored
selection can be re-run by anyone: `select(candidates, seed, settings) -> Outcome`.
Candidates are dicts in bid-id order: bid_id, agency_org_id, agency, amount_fen,
credit_score, commitment, plus the method's own (`candidate_fields`). Settings are what the
notice and the configuration fixed before the run (weights, the K range, minimums), stored
with the selection.

`METHODS`, the notice form's choices and the database's CHECK constraint on notices.method
all come from the registry: adding a method is one module here (imported by __init__.py),
its tests and a migration.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

Rule = Callable[[list, str, dict], "Outcome"]


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
class PurchaserStep:
    """What the purchaser does after bidding closes, for a method that waits for it."""

    #: the form class for this round's eligible bids: form(bids) -> a FlaskForm class
    form: Callable[[list], type]
    #: read(form) -> the values it carries, as plain data for the service
    read: Callable[[object], dict]
    #: apply(notice, bids, values) -> (settings for the run, its public reason): checks the
    #: values (ServiceError) and records them where the rule reads them
    apply: Callable[[object, list, dict], tuple[dict, str]]
    #: what the purchaser's workspace lists: (title, what to do)
    todo: tuple[str, str]
    #: what the notice page says while the step waits
    waiting: str
    #: the flash message once it is done and a result exists
    done: str
    #: where on the notice page the step is (an element id)
    anchor: str = "bids"


@dataclass(frozen=True)
class SelectionMethod:
    key: str
    label: str
    #: name and version of the rule, stored with every selection it makes
    algorithm: str
    select: Rule
    #: where it is listed among the methods (the notice form, the CHECK constraint)
    order: int = 100
    #: one line on the notice form: how the method works and what it asks of the purchaser
    #: (text, or a function of the configuration)
    description: str | Callable[[Mapping], str] = ""
    #: agencies register at the purchaser's fixed price (the ceiling) instead of quoting
    fixed_price: bool = False
    #: the purchaser acts after bidding closes; without a step the method runs at once
    step: PurchaserStep | None = None
    #: the method may be used for a direct invitation of one agency (直接邀请)
    invitation: bool = False
    #: the fewest eligible responses the method itself needs: minimum(config) -> int
    minimum: Callable[[Mapping], int] | None = None
    settings: Callable[[object, Mapping], dict] = lambda notice, config: {}
    #: the notice columns the method owns, with their value on notices of other methods
    notice_defaults: Mapping[str, object] = field(default_factory=dict)
    #: check(data, config): the method's rules on a notice's data (ServiceError)
    check: Callable[[object, Mapping], None] = lambda data, config: None
    #: candidate_fields(bid) -> values the rule reads besides the common ones
    candidate_fields: Callable[[object], dict] = lambda bid: {}
    #: its pieces of the notice and draw pages (macros; see methods/_default.html)
    partial: str = "procurement/methods/_default.html"
    #: earlier versions of the rule by algorithm string, kept so that selections stored
    #: under them still re-run (verify.py) after the rule changed
    previous: Mapping[str, Rule] = field(default_factory=dict)

    @property
    def automatic(self) -> bool:
        """Runs by itself when bidding closes (no purchaser step)."""
        return self.step is None

    def describe(self, config: Mapping) -> str:
        return self.description(config) if callable(self.description) else self.description

    def rule_for(self, algorithm: str) -> Rule | None:
        """The select function of the given algorithm version (None if unknown)."""
        if algorithm == self.algorithm:
            return self.select
        return self.previous.get(algorithm)


_REGISTRY: dict[str, SelectionMethod] = {}


def register(method: SelectionMethod) -> SelectionMethod:
    if len(method.key) > 10:
        raise ValueError(f"method key {method.key!r}: at most 10 characters (notices.method)")
    _REGISTRY[method.key] = method
    return method


def unregister(key: str) -> None:
    """Take a method out of the registry again (tests)."""
    _REGISTRY.pop(key, None)


def method_for(key: str) -> SelectionMethod:
    """The registered method for a notice's `method` key."""
    return _REGISTRY[key]


def registered() -> dict[str, SelectionMethod]:
    """Every method by key, in their listed order."""
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))


def method_keys() -> list[str]:
    return list(registered())


def method_labels() -> dict[str, str]:
    return {key: method.label for key, method in registered().items()}


def notice_defaults() -> dict[str, object]:
    """Every method-owned notice column with its value where another method is used."""
    defaults = {}
    for method in _REGISTRY.values():
        defaults.update(method.notice_defaults)
    return defaults


def two_places(value) -> Decimal:
    """Scores are kept to two decimals, rounded half up, as they are published."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def no_candidates() -> Outcome:
    return Outcome(None, {}, "没有可参与选取的有效响应")  # i18n: data
