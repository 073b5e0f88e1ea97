"""--access-log: one line per request on stderr, in a stable format a self-test can parse (every DELETE the
suite sent), and never a credential."""

from __future__ import annotations

import os
import re
import time

import httpx

from conformance.reference import ServerSettings, start_subprocess
from conformance.reference.server import ACCESS_LOG_FORMAT

SETTINGS = ServerSettings.from_env({})
LINE = re.compile(
    r'(?P<client>[^ ]+:\d+) - "(?P<method>[A-Z]+) (?P<target>[^ ]+) HTTP/(?P<version>[0-9.]+)" '
    r"(?P<status>\d{3})"
)
TOKEN = "very-secret-token"
KEY = "very-secret-key"


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SEGJOBS_")}
    env.update(extra)
    return env


def access_lines(log: str) -> list[re.Match[str]]:
    return [match for line in log.splitlines() if (match := LINE.fullmatch(line))]


def test_every_request_is_one_line_with_method_target_and_status() -> None:
    env = clean_env(SEGJOBS_ACCESS_TOKEN=TOKEN, SEGJOBS_API_KEY=KEY)
    headers = {"Authorization": f"Bearer {TOKEN}", "x-api-key": KEY, "x-gw-ims-org-id": SETTINGS.ims_org}
    with (
        start_subprocess(["--access-log"], env=env) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as client,
    ):
        job = client.post("/segment/jobs", json=[{"segmentId": SETTINGS.segment_ids[0]}]).json()
        assert client.delete(f"/segment/jobs/{job['id']}").status_code == 204
        assert client.delete("/segment/jobs/no-such-job?reason=test").status_code == 404
        segment = SETTINGS.segment_ids[1]
        assert client.get(f"/segment/jobs?property=segments~segmentId=={segment}&limit=5").status_code == 200
        assert client.get("/segment/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        deadline = time.monotonic() + 5
        while len(access_lines(server.log())) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(access_lines(server.log())) == 5  # written while the server runs
    log = server.log()
    lines = access_lines(log)
    port = server.base_url.rsplit(":", 1)[1]
    assert [(m["method"], m["target"], m["status"]) for m in lines] == [
        ("POST", "/segment/jobs", "200"),
        ("DELETE", f"/segment/jobs/{job['id']}", "204"),
        ("DELETE", "/segment/jobs/no-such-job?reason=test", "404"),
        ("GET", f"/segment/jobs?property=segments~segmentId=={segment}&limit=5", "200"),  # as sent
        ("GET", "/segment/jobs", "401"),
    ]
    assert all(m["client"].startswith("127.0.0.1:") and m["version"] == "1.1" for m in lines)
    assert all(not m["client"].endswith(f":{port}") for m in lines)  # the client's port, not the server's
    assert f'"DELETE /segment/jobs/{job["id"]} HTTP/1.1" 204' in log
    assert TOKEN not in log and KEY not in log and "wrong" not in log


def test_the_documented_format_is_the_one_written() -> None:
    example = ACCESS_LOG_FORMAT.format(
        client="127.0.0.1:54321", method="DELETE", target="/segment/jobs/x", http_version="1.1", status=204
    )
    assert example == '127.0.0.1:54321 - "DELETE /segment/jobs/x HTTP/1.1" 204'
    assert LINE.fullmatch(example)


def test_no_access_log_unless_asked() -> None:
    headers = {
        "Authorization": f"Bearer {SETTINGS.access_token}",
        "x-api-key": SETTINGS.api_key,
        "x-gw-ims-org-id": SETTINGS.ims_org,
    }
    with start_subprocess([], env=clean_env()) as server:
        assert httpx.delete(f"{server.base_url}/segment/jobs/x", headers=headers).status_code == 404
    assert access_lines(server.log()) == []
    assert "DELETE" not in server.log()


def test_background_creates_are_not_requests() -> None:
    with start_subprocess(["--access-log", "--background-creates", "0.05"], env=clean_env()) as server:
        time.sleep(0.4)
    assert access_lines(server.log()) == []
    assert "other client   creates a job per sandbox every 0.05 s" in server.log()
