"""A lifecycle declared once: its states (label, badge colour, how a public history names
arriving in each, the deadline each waits for), the moves between them and who may make
each, the handler that applies a state's deadline and the hooks that run on arriving.

A domain declares its lifecycle in one module and everything else reads it: the transition
function (`Lifecycle.change`), the due-time runner (`due_handler`), labels and badges, and
the database CHECK constraint (`Lifecycle.check`), which is rendered from the declared
states whenever DDL is compiled, so a state added later is part of what the models declare
(and a migration that forgets it fails the schema test).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Boolean, CheckConstraint
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from .errors import NotAllowed, ServiceError
from .i18n import _, _l


@dataclass(frozen=True)
class State:
    """One state: what it is called, how it looks and what it waits for."""

    key: str
    label: str
    #: Bootstrap colour of the state's badge
    badge: str = "light"
    #: how a public history names arriving in this state ("" if it never shows there)
    arrival: str = ""
    #: the attribute holding this state's deadline, applied by the due-time runner
    due: str | None = None


@dataclass(frozen=True)
class Move:
    """An allowed move and the parties who may make it (None: the service checks who)."""

    source: str
    target: str
    by: frozenset[str] | None = None
    #: how a public history names this move when it says more than arriving (a return)
    label: str = ""
    #: the audit action recording it
    action: str = "transition"

    def __post_init__(self):
        if self.by is not None and not isinstance(self.by, frozenset):
            object.__setattr__(self, "by", frozenset(self.by))


class Lifecycle:
    """States in their declared order, the moves between them and their handlers."""

    def __init__(
        self,
        name: str,
        states: Iterable[State],
        moves: Iterable[Move],
        *,
        column: str = "state",
        subject: str = "",
        refusal: str = _l("您无权执行此操作"),
    ):
        self.name = name
        #: the model attribute holding the state
        self.column = column
        #: how messages name one row ("公告", "该记录")
        self.subject = subject
        self.refusal = refusal
        self._states: dict[str, State] = {}
        self._moves: dict[tuple[str, str], Move] = {}
        self._due: dict[str, Callable] = {}
        self._arrival: dict[str, list[Callable]] = {}
        for state in states:
            self.add_state(state)
        for move in moves:
            self.add_move(move)

    # --- the declaration -----------------------------------------------------------------

    def add_state(self, state: State) -> State:
        if state.key in self._states:
            raise ValueError(f"{self.name}: state {state.key!r} is declared twice")
        self._states[state.key] = state
        return state

    def add_move(self, move: Move) -> Move:
        for key in (move.source, move.target):
            if key not in self._states:
                raise ValueError(f"{self.name}: move {move.source}→{move.target}: no {key!r}")
        self._moves[(move.source, move.target)] = move
        return move

    def remove_state(self, key: str) -> None:
        """Take a state out again with its moves and handlers (tests and extensions)."""
        self._states.pop(key, None)
        self._due.pop(key, None)
        self._arrival.pop(key, None)
        for pair in [p for p in self._moves if key in p]:
            del self._moves[pair]

    def when_due(self, key: str):
        """Register the function applying `key`'s deadline: handler(row, at), `at` being the
        deadline itself (the runner may apply it late)."""

        def register(handler):
            state = self[key]
            if state.due is None:
                raise ValueError(f"{self.name}: {key!r} declares no deadline")
            if key in self._due and self._due[key] is not handler:
                raise ValueError(f"{self.name}: {key!r} has a deadline handler already")
            self._due[key] = handler
            return handler

        return register

    def on_arrival(self, key: str):
        """Register a hook run after a row arrives in `key`:
        hook(row, from_state=…, actor=…, at=…, data=…)."""

        def register(hook):
            self[key]  # a known state
            hooks = self._arrival.setdefault(key, [])
            if hook not in hooks:
                hooks.append(hook)
            return hook

        return register

    def check_complete(self) -> None:
        """Every state with a deadline has its handler (called once the app is assembled)."""
        missing = [s.key for s in self if s.due is not None and s.key not in self._due]
        if missing:
            raise RuntimeError(f"{self.name}: no deadline handler for {', '.join(missing)}")

    # --- reading it ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[State]:
        return iter(list(self._states.values()))

    def __getitem__(self, key: str) -> State:
        try:
            return self._states[key]
        except KeyError:
            raise KeyError(f"{self.name}: unknown state {key!r}") from None

    def __contains__(self, key) -> bool:
        return key in self._states

    def keys(self) -> list[str]:
        return list(self._states)

    def labels(self) -> dict[str, str]:
        """key → label, in the declared order."""
        return {s.key: s.label for s in self}

    def label(self, key: str) -> str:
        """The state's label, in the language of the moment."""
        return str(self[key].label)

    def where(self, **flags) -> set[str]:
        """The keys of the states whose attributes have these values (e.g. sealed=True)."""
        return {s.key for s in self if all(getattr(s, k) == v for k, v in flags.items())}

    def moves(self) -> list[Move]:
        return list(self._moves.values())

    def move(self, source: str, target: str) -> Move | None:
        return self._moves.get((source, target))

    def allows(self, source: str, target: str, party: str | None) -> bool:
        """Whether `party` may move a row from `source` to `target`."""
        move = self.move(source, target)
        return move is not None and (move.by is None or party in move.by)

    def due_handler(self, key: str) -> Callable | None:
        return self._due.get(key)

    def due_of(self, row):
        """The deadline the row's current state waits for, or None."""
        state = self._states.get(getattr(row, self.column))
        return getattr(row, state.due) if state is not None and state.due else None

    def arrival_hooks(self, key: str) -> list[Callable]:
        return list(self._arrival.get(key, ()))

    # --- changing a row ---------------------------------------------------------------------

    def change(self, row, target: str, party: str | None = None) -> Move:
        """Check the move of `row` to `target` (by `party`, when the move names its parties)
        and make it; returns the move. Refusals name both states."""
        source = getattr(row, self.column)
        move = self.move(source, target)
        if move is None:
            raise ServiceError(
                _(
                    "%(subject)s当前为「%(source)s」，不能变为「%(target)s」",
                    subject=self.subject,
                    source=self.label(source),
                    target=self.label(target) if target in self else target,
                )
            )
        if move.by is not None and party not in move.by:
            raise NotAllowed(self.refusal)
        setattr(row, self.column, target)
        return move

    # --- the database ------------------------------------------------------------------------

    def check(self, name: str | None = None) -> CheckConstraint:
        """The CHECK constraint allowing exactly the declared states in `column`."""
        return CheckConstraint(AllowedValues(self.column, self.keys), name=name or self.column)


class AllowedValues(ColumnElement):
    """`column IN ('a', 'b', …)` over values read when DDL is compiled, not when the model is
    defined: a state or method registered later is part of the declared constraint."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, column: str, values: Callable[[], Iterable[str]]):
        self.column = column
        self.values = values


@compiles(AllowedValues)
def _render_allowed_values(element, compiler, **kw):
    for value in element.values():
        if "'" in value:
            raise ValueError(f"a state or method key may not contain a quote: {value!r}")
    listed = ", ".join(f"'{value}'" for value in element.values())
    return f"{element.column} IN ({listed})"
