"""Settings: the SEGJOBS_* variables with their local defaults, and validation."""

from __future__ import annotations

import dataclasses

import pytest

from conformance.reference import ServerSettings
from conformance.reference.settings import ENVIRONMENT, mask


def test_defaults_match_the_shared_local_defaults() -> None:
    settings = ServerSettings.from_env({})
    assert settings == ServerSettings()
    assert settings.access_token == "segjobs-local-token"
    assert settings.api_key == "segjobs-local-key"
    assert settings.ims_org == "0000000000000000000000AA@AdobeOrg"
    assert [s.name for s in settings.sandboxes] == ["prod", "dev"]
    assert settings.default_sandbox.type == "production" and settings.default_sandbox.default is True
    assert settings.sandboxes[1].type == "development" and settings.sandboxes[1].default is False
    assert settings.segment_ids == (
        "4afe34ae-8c98-4513-8a1d-67ccaa54bc05",
        "30230300-ccf1-48ad-8012-c5563a007069",
        "ca763983-5572-4ea4-809c-b7dff7e0d79b",
    )
    assert settings.failing_segment_id == "9a1fa11e-d000-4bad-8000-00000000fa11"
    assert settings.job_seconds == 1.0
    assert (settings.bulk_unknown, settings.cancel_direct, settings.extra_fields) == ("omit", False, False)
    assert (settings.max_limit, settings.default_order, settings.faults) == (100, "desc", frozenset())
    latitude = {
        "lenient_query": False,
        "refuse_filter_paths": False,
        "refuse_sort_attributes": False,
        "cancel_delay_seconds": 0.0,
        "delete_cancelled_seconds": None,
        "listing_lag_seconds": 0.0,
        "throttle_every": None,
        "unavailable_every": None,
        "connection_close": False,
        "idle_close_seconds": None,
        "keep_alive_seconds": 5.0,
        "gzip": False,
        "chunked": False,
        "path_prefix": "",
        "absolute_links": False,
        "latency_ms": 0.0,
    }
    assert {name: getattr(settings, name) for name in latitude} == latitude


def test_environment_overrides_and_empty_means_default() -> None:
    settings = ServerSettings.from_env(
        {
            "SEGJOBS_ACCESS_TOKEN": "tok",
            "SEGJOBS_API_KEY": "",
            "SEGJOBS_IMS_ORG": "ORG@AdobeOrg",
            "SEGJOBS_SANDBOX_NAME": "main",
            "SEGJOBS_SEGMENT_IDS": " a , b,,c ",
            "UNRELATED": "x",
        }
    )
    assert settings.access_token == "tok"
    assert settings.api_key == ENVIRONMENT["SEGJOBS_API_KEY"]
    assert [s.name for s in settings.sandboxes] == ["main", "dev"]
    assert settings.segment_ids == ("a", "b", "c")
    assert settings.knows_segment("b") and settings.knows_segment(settings.failing_segment_id)
    assert not settings.knows_segment("d")


def test_sandbox_ids_are_stable_and_distinct() -> None:
    first, second = ServerSettings.from_env({}), ServerSettings.from_env({})
    assert first.sandboxes == second.sandboxes
    assert first.sandboxes[0].sandbox_id != first.sandboxes[1].sandbox_id
    other_org = ServerSettings.from_env({"SEGJOBS_IMS_ORG": "X@AdobeOrg"})
    assert other_org.sandboxes[0].sandbox_id != first.sandboxes[0].sandbox_id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"job_seconds": 0}, "job_seconds"),
        ({"max_limit": 0}, "max_limit"),
        ({"bulk_unknown": "maybe"}, "bulk_unknown"),
        ({"default_order": "random"}, "default_order"),
        ({"faults": frozenset({"nope"})}, "unknown faults"),
        ({"segment_ids": ()}, "segment definition"),
        ({"failing_segment_id": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}, "failing segment id"),
        ({"access_token": ""}, "access_token"),
        ({"sandboxes": ()}, "sandbox"),
        ({"bulk_unknown": "errors"}, "bulk_unknown"),
        ({"cancel_delay_seconds": -0.1}, "cancel_delay_seconds"),
        ({"cancel_delay_seconds": float("inf")}, "cancel_delay_seconds"),
        ({"delete_cancelled_seconds": -1}, "delete_cancelled_seconds"),
        ({"listing_lag_seconds": float("nan")}, "listing_lag_seconds"),
        ({"throttle_every": 1}, "throttle_every"),
        ({"throttle_every": 2.5}, "throttle_every"),
        ({"unavailable_every": 0}, "unavailable_every"),
        ({"idle_close_seconds": 0}, "idle_close_seconds"),
        ({"path_prefix": "data/core"}, "path_prefix"),
        ({"path_prefix": "/data/core/"}, "path_prefix"),
        ({"path_prefix": "/data core"}, "path_prefix"),
        ({"path_prefix": "/"}, "path_prefix"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"latency_ms": float("inf")}, "latency_ms"),
        ({"latency_ms": float("nan")}, "latency_ms"),
        ({"latency_ms": "100"}, "latency_ms"),
    ],
)
def test_invalid_settings_are_refused_with_the_reason(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(ServerSettings(), **changes)  # type: ignore[arg-type]


def test_same_sandbox_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="sandbox names must differ"):
        ServerSettings.from_env({"SEGJOBS_SANDBOX_NAME": "dev"})


def test_describe_masks_credentials() -> None:
    settings = ServerSettings.from_env({"SEGJOBS_ACCESS_TOKEN": "s3cret", "SEGJOBS_API_KEY": "k3y"})
    text = "\n".join(settings.describe())
    assert "s3cret" not in text and "k3y" not in text
    assert mask("segjobs-local-token") == "****** (local default)"
    assert "FAULTS" not in text
    faulty = dataclasses.replace(settings, faults=frozenset({"bulk-200"}))
    assert "bulk-200" in "\n".join(faulty.describe())


def test_describe_says_which_variants_are_on() -> None:
    default = "\n".join(ServerSettings().describe())
    for line in (
        "query values   invalid values refused",
        "cancel applied at once",
        "cancelled jobs kept",
        "listings       show jobs as they are",
        "load           every request served",
        "connections    keep-alive, closed after 5 s idle",
        "bodies         identity, with Content-Length",
        "served under   / (links are paths)",
        "latency        none: answers at once",
    ):
        assert line in default
    varied = ServerSettings(
        lenient_query=True,
        refuse_filter_paths=True,
        refuse_sort_attributes=True,
        cancel_delay_seconds=0.6,
        delete_cancelled_seconds=0.5,
        listing_lag_seconds=1,
        throttle_every=6,
        unavailable_every=20,
        idle_close_seconds=1,
        gzip=True,
        chunked=True,
        path_prefix="/data/core/ups",
        absolute_links=True,
        latency_ms=300,
    )
    text = "\n".join(varied.describe())
    for line in (
        "query values   lenient (invalid values ignored or clamped)",
        "sort on        creationTime, updateTime (others refused with 400)",
        "filter on      segments~segmentId, status (others refused with 400)",
        "cancel applied 0.6 s after the 204",
        "cancelled jobs removed 0.5 s after reaching CANCELLED",
        "listings       show jobs as they were 1 s ago",
        "request 6, 12, ... answered 429 (Retry-After: 1); request 20, 40, ... answered 503",
        "connections    keep-alive, closed after 1 s idle",
        "bodies         gzip when accepted, chunked",
        "served under   /data/core/ups (links are absolute URLs of the request's origin)",
        "latency        every answer 300 ms after its request (+/- 10 %, seed 0)",
    ):
        assert line in text
    assert "FAULTS" not in text  # variants are conformant
    closing = "\n".join(ServerSettings(connection_close=True).describe())
    assert "connections    closed after every answer (Connection: close)" in closing
