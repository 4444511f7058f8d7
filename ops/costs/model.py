"""Typed inputs and outputs of the reconciliation. Money is `Decimal`; every amount carries its currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

VERTEX_AI_SERVICE_ID = "C7E2-9256-1C43"
VERTEX_AI_SERVICE_DESCRIPTION = "Vertex AI"

# Precedence order: a row carrying several run keys is counted once, under the first one it has.
DEFAULT_RUN_KEYS: tuple[str, ...] = (
    "tunectl-run-id",
    "vertex-ai-pipelines-run-billing-id",
    "vertex-ai-pipeline-run-billing-id",  # the article's spelling
)
# Pipelines writes the plural key; the singular spelling names the same billing id.
KEY_ALIASES = {"vertex-ai-pipeline-run-billing-id": "vertex-ai-pipelines-run-billing-id"}

# Rows whose usage ended this close to the newest export_time may still change (no latency guarantee).
PROVISIONAL_HOURS = 72
DEFAULT_VARIANCE_THRESHOLD_PCT = 20.0
# Gemini tuning SKUs say "Tuning" in their description; overridable because SKU names change.
DEFAULT_TUNING_SKU_PATTERN = "tuning"


@dataclass(frozen=True)
class Window:
    """Rows whose usage_start_time is in [start, end), and/or whose invoice.month equals invoice_month."""

    start: datetime | None = None
    end: datetime | None = None
    invoice_month: str | None = None  # YYYYMM

    def describe(self) -> dict[str, str | None]:
        return {
            "by": "invoice_month" if self.invoice_month and not self.start else "usage_start_time",
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "invoice_month": self.invoice_month,
        }


@dataclass(frozen=True)
class InferenceCandidate:
    """A known Gemini tuning job whose rows may lack labels: matched by project + time window."""

    run_id: str
    project: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ReconcileSpec:
    window: Window = Window()
    run_keys: tuple[str, ...] = DEFAULT_RUN_KEYS
    tuning_sku_pattern: str = DEFAULT_TUNING_SKU_PATTERN
    inferred: tuple[InferenceCandidate, ...] = ()
    # Label keys whose values the report groups by (team, schedule, base model); empty for reconcile.
    dimension_keys: tuple[str, ...] = ()
    by_month: bool = False
    by_day: bool = False  # reports: spend per run and UTC day


@dataclass(frozen=True)
class KnownRun:
    """What the ledger (or a runs file) knows about a run: how its rows are labelled, and its estimate."""

    run_id: str
    run_keys: tuple[str, ...]  # "KEY=VALUE" strings its billed rows may carry
    engine: str | None = None
    base_model: str | None = None
    schedule: str | None = None
    project: str | None = None
    started: datetime | None = None
    ended: datetime | None = None
    estimate: Decimal | None = None
    estimate_currency: str | None = None
    price_table: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Money:
    currency: str
    gross: Decimal = Decimal(0)
    credits: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.gross + self.credits

    def add(self, gross: Decimal, credits: Decimal) -> None:
        self.gross += gross
        self.credits += credits

    def as_dict(self) -> dict[str, str]:
        return {
            "currency": self.currency,
            "gross": money_str(self.gross),
            "credits": money_str(self.credits),
            "net": money_str(self.net),
        }


# ISO 4217 minor units where they are not 2 (read 2026-12-02 from the standard's list as republished
# at https://reference.opcfoundation.org/Core/Part3/v105/docs/8.61 for JPY, and SIX's ISO 4217
# table, https://www.six-group.com/en/products-services/financial-information/data-standards.html).
# Unknown currencies get 2.
ZERO_DECIMAL = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND")
MINOR_UNITS = {
    **dict.fromkeys(
        (*ZERO_DECIMAL, "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def money_display(value: Decimal, currency: str | None = None) -> str:
    """Rounded (half up) to the currency's minor unit, with thousands separators, for the reports
    people read (text, HTML, Markdown): 1,234.57 USD, 1,235 JPY. CSV and JSON carry `money_str`'s
    exact value."""
    places = MINOR_UNITS.get((currency or "").upper(), 2)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{abs(rounded) if rounded == 0 else rounded:,}"  # never "-0.00"


def money_str(value: Decimal) -> str:
    """An exact decimal string with at least cents and no trailing zeros beyond them: 82.80, 0.000125."""
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        normalized = normalized.quantize(Decimal("0.01"))
    return format(normalized, "f")
