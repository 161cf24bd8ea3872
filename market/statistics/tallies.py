"""What the counting queries give: per month, per item, spans of working days, competition;
the derived figures (median, shares, HHI) are properties of these."""

from dataclasses import dataclass, field


@dataclass
class Spans:
    """Working days from one event to another, as how many took each number of days."""

    counts: dict[int, int] = field(default_factory=dict)

    def add(self, days: int, n: int) -> None:
        self.counts[days] = self.counts.get(days, 0) + n

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        return sum(d * c for d, c in self.counts.items()) / self.n if self.n else None

    @property
    def median(self) -> float | None:
        """The middle value (the mean of the two middle ones for an even count)."""
        n = self.n
        if not n:
            return None
        wanted = (n - 1) // 2, n // 2
        found, seen = [], 0
        for days in sorted(self.counts):
            seen += self.counts[days]
            while len(found) < 2 and wanted[len(found)] < seen:
                found.append(days)
        return (found[0] + found[1]) / 2


@dataclass
class Competition:
    """Closed notices by their number of responses."""

    by_responses: dict[int, int] = field(default_factory=dict)

    def add(self, responses: int, n: int) -> None:
        self.by_responses[responses] = self.by_responses.get(responses, 0) + n

    @property
    def notices(self) -> int:
        return sum(self.by_responses.values())

    @property
    def responses(self) -> int:
        return sum(r * n for r, n in self.by_responses.items())

    @property
    def mean(self) -> float | None:
        return self.responses / self.notices if self.notices else None

    @property
    def answered(self) -> int:
        """Closed notices with at least one response."""
        return sum(n for r, n in self.by_responses.items() if r > 0)

    @property
    def single(self) -> int:
        return self.by_responses.get(1, 0)

    @property
    def single_share(self) -> float | None:
        return self.single / self.answered if self.answered else None


@dataclass
class Month:
    """One month's figures."""

    agencies: int = 0
    agencies_outside: int = 0
    purchasers: int = 0
    notices: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    invitations: int = 0
    awards: int = 0
    award_fen: int = 0
    ceiling_fen: int = 0
    to_award: Spans = field(default_factory=Spans)
    to_acceptance: Spans = field(default_factory=Spans)
    competition: Competition = field(default_factory=Competition)
    disclosed: int = 0
    disclosed_on_time: int = 0
    repaired: int = 0


@dataclass
class ItemShare:
    """The awards of one item in the period, by agency (org id → (awards, fen))."""

    item_id: int
    code: str = ""
    name: str = ""
    department: str = ""
    agencies: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def awards(self) -> int:
        return sum(n for n, _ in self.agencies.values())

    @property
    def value_fen(self) -> int:
        return sum(fen for _, fen in self.agencies.values())

    @property
    def hhi(self) -> int | None:
        """Σ of each agency's squared share of the awarded value in percent (0–10,000)."""
        total = self.value_fen
        if not total:
            return None
        return round(sum((100 * fen / total) ** 2 for _, fen in self.agencies.values()))


@dataclass
class Figures:
    """Everything counted for one set of filters."""

    months: dict[str, Month]
    lottery_reasons: list[tuple[str, int]]
    items: list[ItemShare]
    grades: dict[str, int]
    violations: list[tuple[str, str, int]]  # (code, behaviour, records)

    def total(self, name: str) -> int:
        return sum(getattr(m, name) for m in self.months.values())

    def spans(self, name: str) -> Spans:
        spans = Spans()
        for month in self.months.values():
            for days, n in getattr(month, name).counts.items():
                spans.add(days, n)
        return spans

    @property
    def competition(self) -> Competition:
        found = Competition()
        for month in self.months.values():
            for responses, n in month.competition.by_responses.items():
                found.add(responses, n)
        return found

    @property
    def by_method(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for month in self.months.values():
            for method, n in month.by_method.items():
                totals[method] = totals.get(method, 0) + n
        return totals
