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
