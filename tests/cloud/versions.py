"""One server, two API versions: Vertex AI serves v1 and v1beta1 on the same host.

`VersionedContract` joins the discovery documents of both. Routes of the primary version (v1) keep
their method ids (`aiplatform.projects.locations.tuningJobs.create`); the others are prefixed with
their version (`v1beta1:aiplatform.projects.locations.tuningJobs.create`), so a handler says which
version it serves: `@handles(beta("aiplatform.projects.locations.tuningJobs.create"))`. Each request
and response is checked against its own version's document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from tests.cloud.contract import DiscoveryContract, Route, Violation

BETA = "v1beta1"


def beta(method_id: str) -> str:
    """The method id of the v1beta1 route of `method_id`."""
    return f"{BETA}:{method_id}"


class VersionedContract:
    def __init__(self, name: str, primary: str, others: Sequence[str]) -> None:
        self.api = f"{name}.{primary}+{'+'.join(others)}"
        self.primary = DiscoveryContract(name, primary)
        self.others = {version: DiscoveryContract(name, version) for version in others}
        self._routes: list[Route] = list(self.primary.routes())
        for version, contract in self.others.items():
            self._routes.extend(replace(r, method_id=f"{version}:{r.method_id}") for r in contract.routes())

    def routes(self) -> Sequence[Route]:
        return self._routes

    def method_ids(self) -> frozenset[str]:
        ids = set(self.primary.method_ids())
        for version, contract in self.others.items():
            ids |= {f"{version}:{m}" for m in contract.method_ids()}
        return frozenset(ids)

    def _split(self, route: Route) -> tuple[DiscoveryContract, Route]:
        version, sep, method_id = route.method_id.partition(":")
        if sep and version in self.others:
            return self.others[version], replace(route, method_id=method_id)
        return self.primary, route

    def version_of(self, route: Route) -> str:
        contract, _ = self._split(route)
        return contract.api.split(".", 1)[1]

    def schemas(self, route: Route) -> Mapping[str, Any]:
        return self._split(route)[0].schemas

    def check_request(
        self, route: Route, path_params: Mapping[str, str], query: Mapping[str, list[str]], body: Any
    ) -> list[Violation]:
        contract, inner = self._split(route)
        return contract.check_request(inner, path_params, query, body)

    def canonical_request(self, route: Route, body: Any) -> Any:
        contract, inner = self._split(route)
        return contract.canonical_request(inner, body)

    def check_response(self, route: Route, body: Any) -> list[Violation]:
        contract, inner = self._split(route)
        return contract.check_response(inner, body)
