"""The server core: one `ApiServer` per Google API, each on its own 127.0.0.1 port.

A request goes: route match (from the contract) -> request contract check -> fault injection ->
handler -> response contract check -> wire. Contract violations are answered with an error status
*and* recorded on the shared `Cloud`, so the test fails even when the client swallows the error.
"""

from __future__ import annotations

import json
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

from requests.structures import CaseInsensitiveDict

from tests.cloud.contract import Contract, Route, Violation

if TYPE_CHECKING:
    from tests.cloud.harness import Cloud

GRPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An answer the real API gives (404, 409, 400 on semantics): behaviour, not a contract break."""

    def __init__(
        self, status: int, message: str, *, reason: str | None = None, grpc: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.grpc = grpc


@dataclass
class Call:
    """One request, as a handler sees it."""

    route: Route
    path_params: dict[str, str]  # URL-decoded
    query: dict[str, str]  # first value of each parameter
    query_all: dict[str, list[str]]
    body: Any  # parsed JSON, or None
    raw_body: bytes
    headers: Mapping[str, str]
    path: str  # the raw request path, without the query

    @property
    def method_id(self) -> str:
        return self.route.method_id


@dataclass
class Reply:
    """A handler's answer; handlers may also return a plain dict (200 JSON)."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Raw bytes (media downloads) skip JSON encoding and response validation.
    raw: bytes | None = None
    content_type: str = "application/json; charset=UTF-8"


Handler = Callable[[Call], "Reply | dict[str, Any] | None"]


def handles(method_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark an `ApiServer` method as the handler of a discovery method id."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn._handles = method_id  # type: ignore[attr-defined]
        return fn

    return mark


def error_body(
    status: int, message: str, reason: str | None = None, grpc: str | None = None
) -> dict[str, Any]:
    """Google's JSON error shape, readable by google-api-core, google-cloud-core and google-genai."""
    grpc = grpc or GRPC_STATUS.get(status, "UNKNOWN")
    return {
        "error": {
            "code": status,
            "message": message,
            "status": grpc,
            "errors": [{"message": message, "domain": "global", "reason": reason or grpc.lower()}],
        }
    }


class ApiServer:
    """Base class of an API module: subclass it in `tests/cloud/<api>.py`.

    Class attributes: `settings_field` (the `Settings` endpoint it serves, e.g. "vertex_endpoint"),
    `default_port` (used by `python -m tests.cloud`). Implement `make_contract()` (usually a
    `DiscoveryContract`), `reset()` (fresh per-test state) and optionally `on_tick()` (the
    controllable clock advanced). Mark handlers with `@handles("<discovery method id>")`.
    """

    settings_field: ClassVar[str]
    default_port: ClassVar[int] = 0
    # Routes the discovery document lacks but the client library uses (e.g. upload sessions).
    extra_routes: ClassVar[tuple[Route, ...]] = ()

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self._contract: Contract | None = None
        self._handlers: dict[str, Handler] = {}
        for name in dir(type(self)):
            method_id = getattr(getattr(type(self), name), "_handles", None)
            if method_id:
                self._handlers[method_id] = getattr(self, name)
        self._httpd: ThreadingHTTPServer | None = None
        self.reset()

    # -- to implement ---------------------------------------------------------------------------

    def make_contract(self) -> Contract:
        raise NotImplementedError

    def reset(self) -> None:
        """Drop all state: called before every test."""

    def on_tick(self) -> None:
        """The test advanced the clock by one tick."""

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def contract(self) -> Contract:
        # Built on first use: parsing the 3 MB aiplatform document costs ~0.1 s.
        if self._contract is None:
            self._contract = self.make_contract()
        return self._contract

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self, port: int = 0) -> None:
        server = self

        class _Bound(_RequestHandler):
            api = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _Bound)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, name=type(self).__name__, daemon=True).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def parse_body(self, route: Route, content_type: str, raw_body: bytes) -> Any:
        """The JSON body the contract checks; media uploads override this to pick out their metadata."""
        if not raw_body or route.media == "resumable":
            return None
        if "json" in content_type.lower() or not content_type:
            return json.loads(raw_body)
        return None

    def find_route(self, http_method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in (*self.extra_routes, *self.contract.routes()):
            params = route.match(http_method, path)
            if params is not None:
                return route, params
        return None

    def dispatch(self, call: Call) -> Reply:
        handler = self._handlers.get(call.method_id)
        if handler is None:
            raise _Unimplemented(call.method_id)
        with self.cloud.lock:
            result = handler(call)
        if isinstance(result, Reply):
            return result
        return Reply(body=result if result is not None else {})


# Harness bugs answer 501: clients retry 500s (google-cloud-storage for up to 120 s), never 501.
_SERVER_BUG = 501


class _Unimplemented(Exception):
    pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: ClassVar[ApiServer]

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: pytest shows violations; per-request logs would only be noise."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        api, cloud = self.api, self.api.cloud
        raw_body = self._read_body()
        split = urllib.parse.urlsplit(self.path)
        query_all = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        api_name = type(api).__name__
        found = api.find_route(self.command, split.path)
        if found is None:
            violation = Violation(
                api_name, "?", f"{self.command} {split.path}", "no method of this API has this path"
            )
            cloud.record(violation)
            return self._send_json(404, error_body(404, str(violation)))
        route, raw_params = found
        params = {k: urllib.parse.unquote(v) for k, v in raw_params.items()}
        try:
            body = api.parse_body(route, self.headers.get("Content-Type", ""), raw_body)
        except ValueError as exc:
            violation = Violation(api_name, route.method_id, "body", f"cannot be parsed: {exc}")
            cloud.record(violation)
            return self._send_json(400, error_body(400, str(violation)))
        call = Call(
            route=route,
            path_params=params,
            query={k: v[0] for k, v in query_all.items()},
            query_all=query_all,
            body=body,
            raw_body=raw_body,
            headers=CaseInsensitiveDict(self.headers.items()),  # HTTP header names are case-insensitive
            path=split.path,
        )
        violations = api.contract.check_request(route, raw_params, query_all, body)
        if violations:
            cloud.record(*violations)
            message = "contract violation: " + "; ".join(str(v) for v in violations)
            return self._send_json(400, error_body(400, message, "contractViolation"))
        canonical = getattr(api.contract, "canonical_request", None)
        if canonical is not None:
            call.body = canonical(route, body)
        fault = cloud.faults.take(route.method_id)
        if fault is not None and fault.kind != "lost-answer":
            return self._inject(fault)
        try:
            reply = api.dispatch(call)
        except ApiError as exc:
            return self._send_json(exc.status, error_body(exc.status, exc.message, exc.reason, exc.grpc))
        except _Unimplemented:
            violation = Violation(
                api_name, route.method_id, "server", "the test server does not implement it"
            )
            cloud.record(violation)
            return self._send_json(501, error_body(501, str(violation)))
        except Exception:
            violation = Violation(
                api_name, route.method_id, "server", "handler crashed:\n" + traceback.format_exc()
            )
            cloud.record(violation)
            return self._send_json(_SERVER_BUG, error_body(_SERVER_BUG, str(violation)))
        if reply.raw is None and 200 <= reply.status < 300 and route.media != "resumable":
            problems = api.contract.check_response(route, reply.body)
            if problems:
                cloud.record(*problems)
                message = "test server broke the contract: " + "; ".join(str(v) for v in problems)
                return self._send_json(_SERVER_BUG, error_body(_SERVER_BUG, message))
        if fault is not None:  # "lost-answer": the request took effect, its answer never arrives
            self.close_connection = True
            return None
        if reply.raw is not None:
            return self._send(reply.status, reply.raw, reply.content_type, reply.headers)
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        return self._send(reply.status, payload, reply.content_type, reply.headers)

    def _inject(self, fault: Fault) -> None:
        if fault.kind == "hang":
            # Hold the request until the client gives up; `Cloud.reset` releases it early.
            fault.released.wait(fault.hang_seconds)
            self.close_connection = True
            return None
        if fault.kind == "malformed":
            return self._send(200, b'{"name": "truncated', "application/json; charset=UTF-8", {})
        return self._send_json(fault.status, error_body(fault.status, f"injected fault: HTTP {fault.status}"))

    def _send_json(self, status: int, body: Mapping[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=UTF-8", {})

    def _send(self, status: int, payload: bytes, content_type: str, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


@dataclass
class Fault:
    """One injected failure: `kind` is "status" (429/500/503...), "hang", "malformed" or "lost-answer"."""

    method_id: str
    kind: str
    on_call: int
    times: int
    status: int = 503
    hang_seconds: float = 5.0
    released: threading.Event = field(default_factory=threading.Event)


class FaultPlan:
    """Per-test fault injection, keyed by discovery method id and 1-based call number."""

    def __init__(self, known_methods: Callable[[], frozenset[str]]) -> None:
        self._known = known_methods
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.calls: dict[str, int] = {}

    def inject(
        self,
        method_id: str,
        kind: str | int,
        *,
        on_call: int = 1,
        times: int = 1,
        hang_seconds: float = 5.0,
    ) -> Fault:
        """Fail calls `on_call` .. `on_call + times - 1` of `method_id`.

        `kind`: an HTTP status (429, 500, 503, ...), "hang" (no answer until `hang_seconds` pass or
        the test ends: give the client a shorter timeout), "malformed" (200 with broken JSON) or
        "lost-answer" (the handler runs, so a create creates, then the connection closes unanswered).
        """
        if method_id not in self._known():
            raise ValueError(f"unknown method id {method_id!r}: use the discovery document's method id")
        if isinstance(kind, int):
            fault = Fault(method_id, "status", on_call, times, status=kind)
        elif kind in {"hang", "malformed", "lost-answer"}:
            fault = Fault(method_id, kind, on_call, times, hang_seconds=hang_seconds)
        else:
            raise ValueError(
                f"unknown fault kind {kind!r}: an HTTP status, 'hang', 'malformed' or 'lost-answer'"
            )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method_id: str) -> Fault | None:
        with self._lock:
            number = self.calls.get(method_id, 0) + 1
            self.calls[method_id] = number
            for fault in self._faults:
                if fault.method_id == method_id and fault.on_call <= number < fault.on_call + fault.times:
                    return fault
        return None

    def reset(self) -> None:
        with self._lock:
            for fault in self._faults:
                fault.released.set()
            self._faults.clear()
            self.calls.clear()
