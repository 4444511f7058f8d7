"""`Cloud`: all API servers of a test session, the controllable clock, faults and violations."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tests.cloud.contract import Violation
from tests.cloud.server import ApiServer, FaultPlan

# A fixed epoch keeps timestamps in responses reproducible.
EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
PROJECT = "tunectl-test"

S = TypeVar("S", bound=ApiServer)


class Clock:
    """Time as the servers see it; moves only when the test says so."""

    def __init__(self, cloud: Cloud, step: timedelta = timedelta(minutes=1)) -> None:
        self._cloud = cloud
        self.step = step
        self._now = EPOCH

    def now(self) -> datetime:
        return self._now

    def timestamp(self) -> str:
        """RFC 3339 with a Z, as Google APIs write it."""
        return self._now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def tick(self, times: int = 1) -> None:
        """Advance one step per tick; every server moves its jobs one state per tick."""
        for _ in range(times):
            with self._cloud.lock:
                self._now += self.step
                for server in self._cloud.servers.values():
                    server.on_tick()

    def reset(self) -> None:
        self._now = EPOCH


def discover_server_classes() -> dict[str, type[ApiServer]]:
    """Every `ApiServer` subclass defined in a module of this package, keyed by settings field."""
    import tests.cloud as package

    found: dict[str, type[ApiServer]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name in {"contract", "server", "harness", "fixtures"}:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ApiServer)
                and value.__module__ == module.__name__
                and getattr(value, "settings_field", None)
            ):
                found[value.settings_field] = value
    return found


class Cloud:
    """The test's handle on the fake Google Cloud.

    `cloud.server("vertex_endpoint")` or `cloud.get(VertexServer)` return a server (to seed or
    inspect state), `cloud.clock.tick()` moves time, `cloud.faults.inject(...)` plans failures,
    `cloud.settings()` builds a `Settings` pointing at every server.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = Clock(self)
        self.faults = FaultPlan(self._method_ids)
        self.violations: list[Violation] = []
        self._violations_lock = threading.Lock()
        self.servers: dict[str, ApiServer] = {}
        self.project = PROJECT
        # `python -m tests.cloud` prints violations as they happen; tests read `violations`.
        self.on_violation: Callable[[Violation], None] | None = None

    def start(self, ports: dict[str, int] | None = None) -> Cloud:
        for field_name, cls in discover_server_classes().items():
            server = cls(self)
            server.start((ports or {}).get(field_name, 0))
            self.servers[field_name] = server
        return self

    def stop(self) -> None:
        self.faults.reset()
        for server in self.servers.values():
            server.stop()

    def reset(self) -> None:
        """Fresh state for the next test."""
        self.faults.reset()
        with self.lock:
            self.clock.reset()
            for server in self.servers.values():
                server.reset()
        with self._violations_lock:
            self.violations.clear()

    def server(self, settings_field: str) -> ApiServer:
        return self.servers[settings_field]

    def get(self, cls: type[S]) -> S:
        server = self.servers[cls.settings_field]
        assert isinstance(server, cls)
        return server

    def endpoints(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    def settings(self, **overrides: Any) -> Any:
        from ops.settings import Settings

        values: dict[str, Any] = {"project": self.project, "anonymous": True, **self.endpoints()}
        values.update(overrides)
        return Settings(**values)

    # -- violations -----------------------------------------------------------------------------

    def record(self, *violations: Violation) -> None:
        with self._violations_lock:
            self.violations.extend(violations)
        if self.on_violation is not None:
            for violation in violations:
                self.on_violation(violation)

    def take_violations(self) -> list[Violation]:
        with self._violations_lock:
            taken = list(self.violations)
            self.violations.clear()
        return taken

    @contextlib.contextmanager
    def expect_violations(self) -> Iterator[list[Violation]]:
        """Consume the violations the block causes (tests of the harness itself); none is an error."""
        before = self.take_violations()
        seen: list[Violation] = []
        try:
            yield seen
        finally:
            seen.extend(self.take_violations())
            self.record(*before)
        if not seen:
            raise AssertionError("expected a contract violation, but every request kept the contract")

    def _method_ids(self) -> frozenset[str]:
        ids: set[str] = set()
        for server in self.servers.values():
            ids |= server.contract.method_ids()
            ids |= {route.method_id for route in server.extra_routes}
        return frozenset(ids)
