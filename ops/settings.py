"""Settings: flags, then environment variables, then a config file, then defaults.

Resolved once per invocation into a frozen `Settings`, with the source of every value kept so that
`tunectl config show` can say where each one came from.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ops.errors import TunectlError


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


class Settings(BaseModel):
    """Everything a command may need to reach the project; nothing secret lives here."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project: str | None = None
    region: str = "us-central1"
    stack_outputs: Path | None = None
    ledger: Path = _data_home() / "tunectl" / "ledger.sqlite"
    billing_table: str | None = None
    billing_account: str | None = None
    policy_config: Path | None = None
    # Quota id overrides by tracked-quota key (config file table `[quota_ids]`), for quotas whose id
    # Google has not documented and whose display name does not resolve (ops/quotas/resolve.py).
    quota_ids: dict[str, str] = {}
    # API endpoint overrides: used by the local test servers (`python -m tests.cloud`) and by
    # private/regional endpoints. Empty means Google's default endpoint.
    vertex_endpoint: str | None = None
    storage_endpoint: str | None = None
    bigquery_endpoint: str | None = None
    quotas_endpoint: str | None = None
    billing_endpoint: str | None = None
    budgets_endpoint: str | None = None
    scheduler_endpoint: str | None = None
    model_garden_endpoint: str | None = None  # Vertex AI publisher models (v1beta1), `models refresh`
    # Anonymous credentials only make sense against the local test servers.
    anonymous: bool = False
    sources: Mapping[str, str] = {}

    def require_project(self) -> str:
        if not self.project:
            raise TunectlError(
                "missing-project",
                "no Google Cloud project is set",
                hint="pass --project, set GOOGLE_CLOUD_PROJECT or TUNECTL_PROJECT, "
                'or add `project = "..."` to the tunectl config file',
            )
        return self.project


SETTING_NAMES: tuple[str, ...] = tuple(name for name in Settings.model_fields if name != "sources")

# Environment variables: TUNECTL_<NAME> for every setting; the project also honours Google's own.
_ENV_ALIASES = {"project": ("TUNECTL_PROJECT", "GOOGLE_CLOUD_PROJECT")}


def config_file_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("TUNECTL_CONFIG"):
        return Path(os.environ["TUNECTL_CONFIG"])
    return _config_home() / "tunectl" / "config.toml"


def _read_config_file(path: Path) -> dict[str, Any]:
    """The file's settings; a missing file is none (the root refuses a missing `--config` file)."""
    if not path.exists():
        return {}
    if path.is_dir():
        raise TunectlError(
            "config-file-invalid",
            "the config file is a directory",
            where=str(path),
            hint="point --config or TUNECTL_CONFIG at a TOML file",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TunectlError(
            "config-file-unreadable",
            f"cannot read the config file: {exc.strerror or exc}",
            where=str(path),
            hint="check its permissions",
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TunectlError(
            "config-file-invalid",
            f"the config file is not valid TOML: {exc}",
            where=str(path),
            hint="fix the syntax, or point TUNECTL_CONFIG at another file",
        ) from exc
    unknown = sorted(set(data) - set(SETTING_NAMES))
    if unknown:
        raise TunectlError(
            "config-file-unknown-key",
            f"unknown setting(s): {', '.join(unknown)}",
            where=str(path),
            hint=f"known settings: {', '.join(SETTING_NAMES)}",
        )
    return data


def resolve_settings(
    flags: Mapping[str, object | None] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Merge the sources, highest precedence first: flags, environment, config file, defaults."""
    environ = os.environ if environ is None else environ
    path = config_file_path(config_file)
    from_file = _read_config_file(path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in SETTING_NAMES:
        flag = (flags or {}).get(name)
        env_names = _ENV_ALIASES.get(name, (f"TUNECTL_{name.upper()}",))
        env_hit = next((n for n in env_names if environ.get(n)), None)
        if flag is not None:
            values[name], sources[name] = flag, "flag"
        elif env_hit:
            values[name], sources[name] = environ[env_hit], f"env {env_hit}"
        elif name in from_file:
            values[name], sources[name] = from_file[name], f"config {path}"
        else:
            sources[name] = "default"
    from ops.tuning.timeouts import parse_request_timeout

    parse_request_timeout(environ.get("TUNECTL_REQUEST_TIMEOUT"))  # a usage error before any request
    if isinstance(values.get("anonymous"), str):
        values["anonymous"] = _switch(str(values["anonymous"]), where=sources["anonymous"])
    try:
        return Settings(**values, sources=sources)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        # pydantic's words, without its Python: "Input is not a valid path for <class 'pathlib.Path'>"
        why = re.sub(r" for <class '[\w.]+'>", "", str(first["msg"])).replace("Input ", "it ", 1)
        raise TunectlError(
            "setting-invalid",
            f"setting {name!r} is {first.get('input')!r}: {why}",
            where=sources.get(name, "default"),
            hint="fix the value where it is set",
        ) from exc


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _switch(raw: str, *, where: str) -> bool:
    """An on/off setting: anything but the usual spellings is an error, never a silent `false`."""
    value = raw.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise TunectlError(
        "setting-invalid",
        f"setting 'anonymous' must be true or false, not {raw!r}",
        where=where,
        hint="use one of: true, false, 1, 0, yes, no, on, off",
    )
