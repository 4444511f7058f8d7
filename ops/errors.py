"""One error type and one exit-status enum for every tunectl command.

Commands raise `TunectlError`; `ops.cli.main` renders it as a diagnostic on stderr and exits with its
status. Only unexpected exceptions show a traceback, and only with `--debug`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum


class ExitStatus(IntEnum):
    """Documented in ops/README.md; scripts depend on these numbers."""

    OK = 0
    CHECK_FAILED = 1  # invalid dataset, policy violation, not enough quota, budget exceeded, job failed
    USAGE = 2  # bad flags, bad configuration, bad input file
    CLOUD_API = 3  # a Google API answered with an error (after bounded retries)
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # the reader of stdout went away (`| head`): 128 + SIGPIPE, as the shell expects


class TunectlError(Exception):
    """An expected failure, rendered as `error[code]: message`, where, and a hint.

    `code` is a stable kebab-case reference (tests and docs rely on it); `where` names the file, line
    or config key at fault; `hint` says how to fix it.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        status: ExitStatus = ExitStatus.USAGE,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.where = where
        self.hint = hint
        self.status = status

    def __reduce__(self) -> tuple[type[TunectlError], tuple[str, str], dict[str, object]]:
        # Pickled by the validator's forked scanners (ops/datasets/forked.py), which send it back.
        return type(self), (self.code, self.message), dict(self.__dict__)

    def render(self) -> str:
        lines = [f"error[{self.code}]: {self.message}"]
        if self.where:
            lines.append(f"  --> {self.where}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "where": self.where,
            "hint": self.hint,
            "status": int(self.status),
        }


# The optional extras of pyproject.toml and the top-level modules each one installs.
EXTRAS: dict[str, tuple[str, ...]] = {
    "infra": ("pulumi", "pulumi_gcp"),
    "rlhf": (
        "kfp",
        "google_cloud_pipeline_components",
        "google.cloud.aiplatform",
        "google.cloud.aiplatform_v1",
    ),
    "eval": ("sacrebleu", "rouge_score"),
}


def extra_missing(extra: str, feature: str, missing: str) -> TunectlError:
    """`error[extra-missing]`: `feature` needs `extra`, of which `missing` is not installed."""
    return TunectlError(
        "extra-missing",
        f"{feature} needs the `{extra}` extra ({missing} is not installed)",
        hint=f"pip install 'tunectl[{extra}]' (in a checkout, python3 dev env installs every extra)",
    )


@contextmanager
def needs_extra(extra: str, feature: str) -> Iterator[None]:
    """Turn the ImportError of a module that `extra` installs into `error[extra-missing]`; any
    other ImportError is a real bug and passes through."""
    try:
        yield
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        modules = EXTRAS[extra]
        if not any(
            missing == m or m.startswith(f"{missing}.") or missing.startswith(f"{m}.") for m in modules
        ):
            raise
        raise extra_missing(extra, feature, missing) from None
