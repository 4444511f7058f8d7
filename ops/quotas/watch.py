"""`tunectl quota watch`: poll one preference until Google decides, or until the timeout.

The clock (`now`, `sleep`) is injected so that tests drive it with the test servers' clock instead
of waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.quotas import api
from ops.quotas.status import PreferenceStatus, PreferenceView, view_preference

if TYPE_CHECKING:
    from google.cloud.cloudquotas_v1 import CloudQuotasClient

    from ops.settings import Settings

DEFAULT_INTERVAL = 30.0  # seconds; quota decisions take minutes to days, so polling faster buys nothing


@dataclass(frozen=True)
class WatchResult:
    preference: PreferenceView
    polls: int
    waited_seconds: float
    timed_out: bool

    @property
    def granted(self) -> bool:
        return self.preference.status is PreferenceStatus.granted


def watch_preference(
    client: CloudQuotasClient,
    name: str,
    *,
    key: str,
    region: str,
    timeout: float,
    interval: float = DEFAULT_INTERVAL,
    now: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[PreferenceView, float], None] = lambda _view, _elapsed: None,
) -> WatchResult:
    """Stop when the preference is no longer pending (granted, partly or not granted) or at the timeout."""
    started = now()
    polls = 0
    while True:
        view = view_preference(api.get_preference(client, name), key, region)
        polls += 1
        elapsed = now() - started
        on_poll(view, elapsed)
        if view.status is not PreferenceStatus.pending:
            return WatchResult(view, polls, elapsed, timed_out=False)
        if elapsed >= timeout:
            return WatchResult(view, polls, elapsed, timed_out=True)
        sleep(min(interval, max(timeout - elapsed, 0.0)))


def find_watched_preference(
    client: CloudQuotasClient, project: str, name: str, region: str | None, settings: Settings
) -> tuple[str, str, str]:
    """(preference resource name, quota key, region) of the preference for quota `name`."""
    from ops.errors import TunectlError
    from ops.quotas.catalog import SERVICE, find_quota
    from ops.quotas.resolve import resolve_quota
    from ops.quotas.status import find_preference

    quota = find_quota(name)
    target_region = region or (settings.region if quota.accelerator == "none" else quota.default_region)
    resolution = resolve_quota(quota, api.list_quota_infos(client, project), settings.quota_ids)
    if resolution.quota_id is None:
        raise TunectlError(
            "quota-id-unresolved", f"cannot resolve {quota.display_name!r}: {resolution.detail}"
        )
    preference = find_preference(
        api.list_preferences(client, project), SERVICE, resolution.quota_id, target_region
    )
    if preference is None:
        raise TunectlError(
            "quota-preference-missing",
            f"no quota preference exists for {quota.key} ({resolution.quota_id}) in {target_region}",
            hint=f"request one first: tunectl quota request {quota.key} --value N --region {target_region}",
        )
    return preference.name, quota.key, target_region


def watch_with_progress(
    client: CloudQuotasClient,
    project: str,
    name: str,
    *,
    region: str | None,
    settings: Settings,
    timeout: float,
    interval: float = DEFAULT_INTERVAL,
    now: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> WatchResult:
    """`watch_preference` with a live status line on stderr (rendered only on a terminal)."""
    from ops.output import stderr_console

    resource, key, target_region = find_watched_preference(client, project, name, region, settings)
    console = stderr_console()
    with console.status(f"watching {resource}", spinner="dots") as status:

        def on_poll(view: PreferenceView, elapsed: float) -> None:
            status.update(
                f"{view.preference_id}: {view.status.value} (preferred {view.preferred_value}, granted "
                f"{'-' if view.granted_value is None else view.granted_value}), {elapsed:.0f}/{timeout:.0f} s"
            )

        return watch_preference(
            client,
            resource,
            key=key,
            region=target_region,
            timeout=timeout,
            interval=interval,
            now=now,
            sleep=sleep,
            on_poll=on_poll,
        )
