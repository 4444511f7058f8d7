"""`--max-cost AMOUNT[ CUR]`: a ceiling on a run's estimated cost, shared by plan, preflight and launch.

Above the ceiling is a no-go; an estimate we do not have is unknown (waivable with
`--allow-unknown cost`); a ceiling in another currency than the estimate is unknown too, with that
reason: tunectl never compares money across currencies without a conversion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ops.errors import TunectlError

_MAX_COST = re.compile(r"^\s*(?P<amount>[0-9]+(?:\.[0-9]+)?)\s*(?P<currency>[A-Za-z]{3})?\s*$")


@dataclass(frozen=True)
class MaxCost:
    amount: Decimal
    currency: str | None  # None: the estimate's own currency (the price table's)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}" if self.currency else str(self.amount)


def parse_max_cost(text: str | None) -> MaxCost | None:
    if text is None:
        return None
    match = _MAX_COST.match(text)
    try:
        amount = Decimal(match.group("amount")) if match else None
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        amount = None
    if match is None or amount is None or amount <= 0:
        raise TunectlError(
            "max-cost-invalid",
            f"--max-cost takes a positive amount and an optional ISO 4217 currency, not {text!r}",
            where="--max-cost",
            hint='e.g. --max-cost 200 or --max-cost "200 USD"',
        )
    currency = match.group("currency")
    return MaxCost(amount, currency.upper() if currency else None)


@dataclass(frozen=True)
class CostVerdict:
    status: str  # ok | no | unknown
    reason: str


def judge_cost(ceiling: MaxCost, amount: Decimal | None, currency: str | None) -> CostVerdict:
    if amount is None or currency is None:
        return CostVerdict("unknown", f"no cost estimate to compare with --max-cost {ceiling}")
    if ceiling.currency and ceiling.currency != currency:
        return CostVerdict(
            "unknown",
            f"--max-cost is in {ceiling.currency} but the estimate is in {currency}, and no conversion "
            "is available",
        )
    if amount > ceiling.amount:
        return CostVerdict(
            "no", f"estimated {amount} {currency} is above --max-cost {ceiling.amount} {currency}"
        )
    return CostVerdict(
        "ok", f"estimated {amount} {currency} is within --max-cost {ceiling.amount} {currency}"
    )
