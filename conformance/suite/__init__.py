"""The conformance suite: property tests and one scenario module per workflow.

Run it with ``segjobs-conformance run`` or ``pytest -p conformance.plugin --pyargs conformance.suite``.
Every test names the requirement IDs it verifies with ``@pytest.mark.requirement(...)``.
"""
