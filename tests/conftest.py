"""Shared pytest wiring: the local Google Cloud test servers and their fixtures (tests/cloud/README.md)."""

pytest_plugins = ["tests.cloud.fixtures", "pytester"]
