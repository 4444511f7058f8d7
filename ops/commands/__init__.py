"""One module per command group. Keep module-level imports light (typer, stdlib, ops.errors,
ops.output, ops.settings): Google, Pulumi and DuckDB are imported inside the command that needs them
so that `tunectl --help` stays instant (tests/test_cli_startup.py enforces it)."""
