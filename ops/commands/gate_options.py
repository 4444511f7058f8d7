"""The go/no-go options that `plan`, `preflight` and `tune launch` share."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class WaivableCheck(StrEnum):
    quota = "quota"
    budget = "budget"
    cost = "cost"
    model = "model"


AllowUnknownOption = Annotated[
    list[WaivableCheck] | None,
    typer.Option(
        "--allow-unknown",
        help="go on although this check could not be made: quota, budget, cost or model (repeatable; "
        "printed and recorded)",
        case_sensitive=False,
    ),
]
MaxCostOption = Annotated[
    str | None,
    typer.Option(
        "--max-cost",
        help='refuse a run estimated above AMOUNT[ CUR], e.g. 200 or "200 USD"; an unknown estimate '
        "is unknown",
    ),
]
