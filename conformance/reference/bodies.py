"""The bodies of the two POSTs, read and validated: bad input is a 4xx problem (:mod:`.problems`), never a 5xx
(unless a fault says otherwise). ``fault`` tells whether a fault switch is on (:mod:`.faults`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from conformance.reference.problems import ApiError
from conformance.reference.settings import ServerSettings

Fault = Callable[[str], bool]


async def json_body(request: Request, settings: ServerSettings, fault: Fault) -> Any:
    """The JSON body of a POST: ``Content-Type: application/json``, at most ``max_body_bytes``."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json" and not fault("content-type-ignored"):
        raise ApiError(400, "The request body must be JSON, sent with Content-Type: application/json.")
    limit = settings.max_body_bytes
    too_large = ApiError(413, f"The request body is larger than {limit} bytes.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    try:
        return json.loads(bytes(body))
    except (ValueError, RecursionError):
        if fault("malformed-body-500"):
            raise ApiError(500, "Internal error while reading the request.") from None
        raise ApiError(400, "The request body is not valid JSON.") from None


def segment_ids(body: Any, settings: ServerSettings, fault: Fault) -> list[str]:
    """The segment definition ids of a create body: a non-empty array of ``{"segmentId": string}``."""
    if not isinstance(body, list):
        raise ApiError(400, 'The body must be a JSON array of {"segmentId": "..."} objects.')
    if not body and not fault("empty-array-accepted"):
        raise ApiError(400, "The body must name at least one segment definition.")
    segment_ids = []
    for index, element in enumerate(body):
        if not isinstance(element, dict) or not isinstance(element.get("segmentId"), str):
            raise ApiError(400, f'Element {index} of the body is not an object with a string "segmentId".')
        segment_id = element["segmentId"]
        if not settings.knows_segment(segment_id) and not fault("unknown-segment-accepted"):
            raise ApiError(400, f"Segment definition '{segment_id}' does not exist.")
        segment_ids.append(segment_id)
    return segment_ids


def bulk_ids(body: Any) -> list[str]:
    """The job ids of a bulk-get body: ``{"ids": [{"id": string}, ...]}``."""
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
        raise ApiError(400, 'The body must be an object {"ids": [{"id": "..."}, ...]}.')
    job_ids = []
    for index, element in enumerate(body["ids"]):
        if not isinstance(element, dict) or not isinstance(element.get("id"), str):
            raise ApiError(400, f'Element {index} of "ids" is not an object with a string "id".')
        job_ids.append(element["id"])
    return job_ids
