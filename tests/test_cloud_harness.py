"""The harness itself: violations fail the test that caused them, gaps are loud, the CLI prints exports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cloud import __main__ as cloud_main
from tests.cloud.harness import Cloud


def test_violation_fails_the_test_even_when_the_client_swallows_the_error(
    pytester: pytest.Pytester, cloud_session: Cloud
) -> None:
    # In-process pytester unloads modules first imported by the inner run, and native extensions
    # (duckdb, protobuf) abort when loaded twice: `cloud_session` imports every server module here,
    # and the inner test sticks to the standard library.
    pytester.makeconftest('pytest_plugins = ["tests.cloud.fixtures"]')
    pytester.makepyfile(
        """
        import urllib.error, urllib.request

        def test_swallows(cloud, cloud_settings):
            try:
                urllib.request.urlopen(cloud_settings.billing_endpoint + "/v1/services?pageSize=many")
            except urllib.error.HTTPError:
                pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*cloudbilling.services.list: query.pageSize: 'many' is not an integer*"])


def test_unknown_path_is_a_404_and_a_violation(
    cloud: Cloud, catalog_client: Any, cloud_settings: Any
) -> None:
    with cloud.expect_violations() as seen:
        answer = catalog_client._transport._session.get(f"{cloud_settings.billing_endpoint}/v1/skus")
    assert answer.status_code == 404
    assert seen[0].rule == "no method of this API has this path"


def test_documented_but_unserved_method_is_a_501_and_a_violation(cloud: Cloud, genai_client: Any) -> None:
    from google.genai import errors

    with cloud.expect_violations() as seen, pytest.raises(errors.APIError) as caught:
        genai_client.tunings.get(name="projects/tunectl-test/locations/us-central1/tuningJobs/1/operations/2")
    assert caught.value.code == 501
    assert seen[0].method == "aiplatform.projects.locations.tuningJobs.operations.get"


def test_expect_violations_fails_when_everything_kept_the_contract(cloud: Cloud) -> None:
    with pytest.raises(AssertionError, match="expected a contract violation"), cloud.expect_violations():
        pass


def test_state_is_fresh_for_every_test_part_one(cloud: Cloud, storage_server: Any) -> None:
    storage_server.create_bucket("left-behind")


def test_state_is_fresh_for_every_test_part_two(cloud: Cloud, storage_server: Any) -> None:
    assert storage_server.buckets == {}


def test_cloud_env_points_the_cli_at_the_servers(cloud_env: dict[str, str], cloud: Cloud) -> None:
    from ops.settings import resolve_settings

    settings = resolve_settings(config_file="/nonexistent/tunectl.toml")
    assert settings.anonymous and settings.project == "tunectl-test"
    assert settings.vertex_endpoint == cloud.endpoints()["vertex_endpoint"]


def test_module_main_prints_the_exports(capsys: pytest.CaptureFixture[str]) -> None:
    assert cloud_main.main(["--print-env"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "export TUNECTL_VERTEX_ENDPOINT=http://127.0.0.1:8791" in lines
    assert "export TUNECTL_STORAGE_ENDPOINT=http://127.0.0.1:8792" in lines
    assert "export TUNECTL_ANONYMOUS=1" in lines
