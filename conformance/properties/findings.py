"""Findings of the property tests: collected while Hypothesis runs, raised together once it is done, as one
:class:`~conformance._checks.ConformanceFailure` with the seed that reproduces them."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance._checks import ConformanceFailure
from conformance._client import Exchange


@dataclass(frozen=True)
class Finding:
    """One violation: the requirements it proves violated, what was expected, what came, the exchange."""

    requirements: tuple[str, ...]
    expected: str
    actual: str
    exchange: Exchange | None = None


@dataclass
class Findings:
    """The findings of one test (the first few of each kind); raised together, once generation is over."""

    seed: int
    items: list[Finding] = field(default_factory=list)
    limit: int = 5

    def add(self, finding: Finding) -> None:
        key = (finding.requirements, finding.expected)
        if any((f.requirements, f.expected) == key for f in self.items):
            return
        if len(self.items) < self.limit:
            self.items.append(finding)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        requirements = list(dict.fromkeys(r for f in self.items for r in f.requirements))
        expected = "; ".join(dict.fromkeys(f.expected for f in self.items))
        lines = [first.actual]
        for other in self.items[1:]:
            lines.append(f"also [{', '.join(other.requirements)}] {other.actual}")
            if other.exchange is not None and other.exchange is not first.exchange:
                lines.append("    request: " + other.exchange.request_line.split("\n", 1)[0])
                lines.append("    curl:    " + other.exchange.curl)
        lines.append(f"generated with seed {self.seed} (rerun with --segjobs-seed {self.seed})")
        raise ConformanceFailure(requirements, expected, "\n            ".join(lines), first.exchange)
