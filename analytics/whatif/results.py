"""What a what-if answers: estimates with the model that made them, curves and reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.catalogue import CATALOGUE


@dataclass(frozen=True)
class Estimate:
    """One predicted number, with the model that made it, or why there is none."""

    name: str
    label: str
    unit: str  # a catalogue unit: probability | money
    value: float | None
    model_version: str | None
    unavailable: str | None = None

    @property
    def available(self) -> bool:
        return self.value is not None and self.unavailable is None

    def describe(self) -> str:
        """The value in words, or "unavailable: reason"."""
        if not self.available:
            return f"unavailable: {self.unavailable or 'no model'}"
        return CATALOGUE.unit(self.unit).text(self.value)


@dataclass(frozen=True)
class Prediction:
    """Every estimate for one profile (customer or session outputs)."""

    estimates: dict[str, Estimate]
    churn_tier: str | None = None

    def value(self, name: str) -> float | None:
        """The value of estimate ``name`` (``None`` when unavailable or not predicted)."""
        found = self.estimates.get(name)
        return found.value if found is not None and found.available else None


@dataclass(frozen=True)
class Curve:
    """Predictions across one lever's range, every other feature held."""

    feature: str
    xs: list[float]
    outputs: dict[str, list[float | None]]
    current: float
    #: Output -> the warning for a curve whose overall direction runs against the lever's
    #: plain meaning (more visits lowering predicted revenue); absent where it does not.
    warnings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reasons:
    """The strongest contributions to one model's prediction, in words."""

    task: str
    outcome: str
    texts: list[str]
