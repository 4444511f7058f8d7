"""Cloud Billing Budget API v1 (`billingbudgets.googleapis.com`): budgets list (with `scope`) and get,
checked against the `billingbudgets.v1` discovery document.

Budgets belong to a billing account, and their project filters name projects by number, as Google
returns them: `list(scope="projects/<id>")` is how a client finds the budgets that track a project
without knowing its number. A project-less filter tracks every project of the account. The API
reports no spend (Google only sends it in budget notifications), so neither does this server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.cloud.contract import DiscoveryContract
from tests.cloud.harness import PROJECT
from tests.cloud.listing import paginate
from tests.cloud.server import ApiError, ApiServer, Call, handles

BILLING_ACCOUNT = "012345-6789AB-CDEF01"
# The number Google would give the test project; budgets store projects by number.
PROJECT_NUMBERS = {PROJECT: "123456789012"}
_M = "billingbudgets.billingAccounts.budgets"


class BudgetsServer(ApiServer):
    settings_field = "budgets_endpoint"
    default_port = 8796

    def make_contract(self) -> DiscoveryContract:
        return DiscoveryContract("billingbudgets", "v1")

    def reset(self) -> None:
        self.budgets: dict[str, dict[str, Any]] = {}
        self.page_size = 2

    # -- test controls --------------------------------------------------------------------------

    def add_budget(
        self,
        display_name: str,
        units: int,
        *,
        currency: str = "USD",
        nanos: int = 0,
        projects: Sequence[str] = (PROJECT,),
        period: str | None = "MONTH",
        custom_period: tuple[str, str | None] | None = None,
        last_period_amount: bool = False,
        account: str = BILLING_ACCOUNT,
    ) -> dict[str, Any]:
        """A budget as the console would create it; `projects` are ids, stored as numbers."""
        budget_id = f"{len(self.budgets) + 1:08x}-0000-4000-8000-{len(self.budgets) + 1:012x}"
        name = f"billingAccounts/{account}/budgets/{budget_id}"
        budget_filter: dict[str, Any] = {"creditTypesTreatment": "INCLUDE_ALL_CREDITS"}
        if projects:
            budget_filter["projects"] = [f"projects/{PROJECT_NUMBERS.get(p, p)}" for p in projects]
        if custom_period:
            start, end = custom_period
            budget_filter["customPeriod"] = {
                "startDate": _date(start),
                **({"endDate": _date(end)} if end else {}),
            }
        elif period:
            budget_filter["calendarPeriod"] = period
        amount: dict[str, Any] = (
            {"lastPeriodAmount": {}}
            if last_period_amount
            else {
                "specifiedAmount": {
                    "currencyCode": currency,
                    "units": str(units),
                    **({"nanos": nanos} if nanos else {}),
                }
            }
        )
        budget = {
            "name": name,
            "displayName": display_name,
            "budgetFilter": budget_filter,
            "amount": amount,
            "thresholdRules": [
                {"thresholdPercent": 0.5, "spendBasis": "CURRENT_SPEND"},
                {"thresholdPercent": 0.9, "spendBasis": "CURRENT_SPEND"},
            ],
            "etag": f"{len(self.budgets) + 1:x}f00d",
        }
        self.budgets[name] = budget
        return budget

    # -- handlers -------------------------------------------------------------------------------

    @handles(f"{_M}.list")
    def list_budgets(self, call: Call) -> dict[str, Any]:
        prefix = f"billingAccounts/{call.path_params['billingAccountsId']}/budgets/"
        found = [b for name, b in self.budgets.items() if name.startswith(prefix)]
        scope = call.query.get("scope")
        if scope:
            if not scope.startswith("projects/"):
                raise ApiError(
                    400, f"scope {scope!r}: only project scope (projects/<id or number>) is supported"
                )
            project = scope.removeprefix("projects/")
            wanted = {f"projects/{project}", f"projects/{PROJECT_NUMBERS.get(project, project)}"}
            found = [
                b
                for b in found
                if not b["budgetFilter"].get("projects") or wanted & set(b["budgetFilter"]["projects"])
            ]
        page, token = paginate(found, call.query.get("pageSize"), call.query.get("pageToken"), self.page_size)
        return {"budgets": page, **({"nextPageToken": token} if token else {})}

    @handles(f"{_M}.get")
    def get_budget(self, call: Call) -> dict[str, Any]:
        name = (
            f"billingAccounts/{call.path_params['billingAccountsId']}/budgets/{call.path_params['budgetsId']}"
        )
        if name not in self.budgets:
            raise ApiError(404, f"Budget {name} not found")
        return self.budgets[name]


def _date(text: str) -> dict[str, int]:
    year, month, day = (int(part) for part in text.split("-"))
    return {"year": year, "month": month, "day": day}
