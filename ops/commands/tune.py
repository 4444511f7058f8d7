"""`tunectl tune`: not built yet."""

from __future__ import annotations

from ops.commands.common import group, not_available

app = group("Not available yet.")
app.info.invoke_without_command = True
app.info.no_args_is_help = False


@app.callback()
def _placeholder() -> None:
    raise not_available("tune")
