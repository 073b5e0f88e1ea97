"""How many requests a run will send, estimated before it sends any: rules as data.

A test costs :data:`DEFAULT` (one request) unless :data:`GROUPS` or :data:`COSTS` say otherwise. A
:class:`Cost` adds a fixed number of requests, one per generated example of the profile (property tests),
one per stateful step (``stateful_examples`` runs of ``stateful_steps`` steps) and one per job the test may
create in the profile. The run adds the reachability probe and one create per fleet role.

It is an estimate for a conformant target whose jobs finish within about a second and whose sandbox holds
few jobs: waiting on slower jobs adds one GET per waited job every poll interval, a page walk of a crowded
sandbox more pages, a 429 its re-sends; a failing target often sends fewer (a test stops at its first
failure). ``COSTS`` was measured on the embedded reference server (``stats.requests`` of real runs); a
self-test keeps every key naming a test of the suite and the estimate close to real runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conformance._plan import TestInfo
from conformance._profiles import Profile
from conformance._watch import SETTLE_READS


@dataclass(frozen=True)
class Cost:
    """The requests of one test: ``fixed`` plus so many per example, stateful step and own job."""

    fixed: int = 1
    per_example: int = 0
    per_step: int = 0
    per_job: int = 0
    #: the stateful test runs as so many runs (test_stateful.RUNS), each with its share of the steps
    runs: int = 1

    def of(self, test: TestInfo, profile: Profile) -> int:
        return (
            self.fixed
            + self.per_example * profile.property_examples
            + self.per_step * profile.stateful_examples * profile.stateful_steps // self.runs
            + self.per_job * test.jobs_in(profile)
        )


DEFAULT = Cost()
#: a test of the group costs this unless COSTS names it
GROUPS: Mapping[str, Cost] = {
    "properties": Cost(fixed=0, per_example=1),
    "stateful": Cost(fixed=0, per_step=1, runs=3),
}
#: (test function, start of the parameter id or "") -> cost; tests that judge what others fetched cost 0
COSTS: Mapping[tuple[str, str], Cost] = {
    # auth: a refused create is looked for in two listings
    ("test_a_request_without_valid_credentials_is_refused", "create-"): Cost(3),
    ("test_a_refused_cancel_changes_nothing", ""): Cost(3),
    ("test_a_job_is_not_listed_from_another_sandbox", ""): Cost(3),
    ("test_a_job_is_not_readable_from_another_sandbox", ""): Cost(2),
    ("test_a_job_is_not_bulk_read_from_another_sandbox", ""): Cost(2),
    ("test_a_job_cannot_be_cancelled_from_another_sandbox", ""): Cost(4),
    ("test_gateway_refusals_carry_a_json_error_body", ""): Cost(24),
    ("test_cross_sandbox_refusals_carry_a_json_error_body", ""): Cost(2),
    # bad input: each bad create is sent once, then looked for in two listings; the error-body test reuses it
    ("test_malformed_json_is_refused", ""): Cost(3),
    ("test_a_create_body_not_sent_as_json_is_refused", ""): Cost(3),
    ("test_an_empty_array_is_refused", ""): Cost(3),
    ("test_an_element_without_a_segment_id_is_refused", ""): Cost(3),
    ("test_a_non_string_segment_id_is_refused", ""): Cost(3),
    ("test_a_body_that_is_not_an_array_is_refused", ""): Cost(3),
    ("test_an_unknown_segment_definition_is_refused", ""): Cost(3),
    ("test_refused_creates_carry_a_json_error_body", ""): Cost(0),
    # bulk-get
    ("test_each_result_is_the_job_get_returns", ""): Cost(3),
    ("test_bulk_get_refusals_carry_a_json_error_body", ""): Cost(5),
    # cancel: the early cancel goes over a raw socket (not a request of the client)
    ("test_cancelling_a_running_job_answers_204", ""): Cost(0),
    ("test_the_204_carries_no_content_on_the_wire", ""): Cost(0),
    ("test_the_204_sends_no_content_length_but_zero", ""): Cost(0),
    ("test_the_connection_carries_the_next_request_after_the_204", ""): Cost(0),
    ("test_cancelling_again_is_harmless", ""): Cost(3),
    ("test_cancelling_a_finished_job_does_not_change_it", ""): Cost(5),
    ("test_a_cancelled_job_stays_readable", ""): Cost(2),
    # the late checks: a GET of the finished job, a listing for the refused create's definition (standard:
    # and a GET of the second sandbox's job)
    ("test_refused_requests_show_no_effect_later", ""): Cost(2),
    # create and get: the fleet's creates are the run's
    ("test_create_answers_200_with_the_new_job", ""): Cost(0),
    ("test_a_created_job_is_new", ""): Cost(0),
    ("test_a_created_job_echoes_its_segment_ids", ""): Cost(0),
    ("test_created_jobs_get_distinct_ids", ""): Cost(0),
    ("test_a_created_job_is_readable_and_listed", ""): Cost(5),
    ("test_get_answers_the_job_asked_for", ""): Cost(2),
    ("test_a_near_miss_of_an_id_does_not_get_the_job", ""): Cost(6),
    # lifecycle: most judge what the run observed
    ("test_jobs_reach_a_finished_state", ""): Cost(0),
    ("test_a_finished_job_keeps_its_status", ""): Cost(4),
    ("test_a_finished_job_content_no_longer_changes", ""): Cost(4),
    ("test_a_succeeded_job_carries_a_batch_id", ""): Cost(0),
    ("test_a_succeeded_job_carries_complete_metrics", ""): Cost(0),
    ("test_a_succeeded_job_reports_its_audience_size", ""): Cost(0),
    ("test_observed_statuses_follow_the_legal_transitions", ""): Cost(0),
    ("test_creation_time_never_changes", ""): Cost(0),
    ("test_update_time_never_goes_backwards", ""): Cost(0),
    ("test_listings_and_bulk_get_agree_with_get_once_a_job_has_settled", ""): Cost(4),
    # listing
    ("test_status_and_property_filters_combine", ""): Cost(3),
    ("test_limit_bounds_the_page", ""): Cost(2),
    ("test_page_size_counts_the_children", ""): Cost(3),
    ("test_paging_visits_every_job_once", ""): Cost(5),
    ("test_a_page_links_the_next_one", ""): Cost(2),
    ("test_the_next_link_keeps_the_filters", ""): Cost(5),
    ("test_a_start_beyond_the_last_job_answers_no_children", ""): Cost(2),
    ("test_property_filters_on_an_object_key", ""): Cost(3),
    ("test_property_filters_within_an_array", ""): Cost(3),
    # near misses: six of our job's value, and another job's value
    ("test_a_near_miss_of_a_filter_value_selects_none_of_our_jobs", ""): Cost(7),
    ("test_a_status_with_a_near_miss_filter_selects_none_of_our_jobs", ""): Cost(6),
    ("test_a_status_lists_each_job_of_ours_that_ended_in_it", ""): Cost(2),
    ("test_listing_refusals_carry_a_json_error_body", ""): Cost(6),
    # http
    ("test_every_429_seen_carried_retry_after", ""): Cost(0),
    # properties: the valid creates stop at the job allowance; the cancel test may create the job it pins
    ("test_create_with_valid_bodies", ""): Cost(fixed=0, per_job=1),
    ("test_cancel_with_valid_ids", ""): Cost(fixed=1, per_example=1),
    ("test_credentials_are_enforced", ""): Cost(3),
}
#: requests of the run outside any test: the reachability probe before the first test; and for each fleet job,
#: its create and the watcher's reads after its end (``_watch``)
RUN_REQUESTS = 1


def param_of(test: TestInfo) -> str:
    """The parameter id of a parametrized test (``create-without-token``), or ``""``."""
    return test.name[len(test.base_name) + 1 : -1] if test.name != test.base_name else ""


def cost_of(test: TestInfo) -> Cost:
    """The rule for the test: its own entry (the longest parameter prefix wins), its group's, the default."""
    param = param_of(test)
    found = [(prefix, cost) for (name, prefix), cost in COSTS.items() if name == test.base_name]
    matching = [(prefix, cost) for prefix, cost in found if param.startswith(prefix)]
    if matching:
        return max(matching, key=lambda entry: len(entry[0]))[1]
    return GROUPS.get(test.group, DEFAULT)


def requests_by_group(tests: Iterable[TestInfo], profile: Profile, fleet_roles: int) -> dict[str, int]:
    """The estimated requests of the tests (all in scope), by group; ``run`` holds the run's own."""
    by_group: dict[str, int] = {"run": RUN_REQUESTS + fleet_roles * (1 + SETTLE_READS)}
    for test in tests:
        by_group[test.group] = by_group.get(test.group, 0) + cost_of(test).of(test, profile)
    return by_group
