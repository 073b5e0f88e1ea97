"""Error answers that are not the gateway's: RFC 9457-style problem bodies.

``{"type": "http://ns.adobe.com/aep/errors/...", "status": 400, "title": "BadRequestError", "detail": "..."}``
with ``Content-Type: application/json``. Handlers raise :class:`ApiError`; the app turns it into the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/json"

_KINDS: Mapping[int, tuple[str, str]] = {
    400: ("BadRequestError", "bad-request"),
    403: ("ForbiddenError", "forbidden"),
    404: ("NotFoundError", "not-found"),
    405: ("MethodNotAllowedError", "method-not-allowed"),
    413: ("ContentTooLargeError", "content-too-large"),
    429: ("TooManyRequestsError", "too-many-requests"),
    500: ("InternalServerError", "internal-error"),
    503: ("ServiceUnavailableError", "service-unavailable"),
}


class ApiError(Exception):
    """A request the API refuses (4xx) or failed to serve (5xx), with the reason for the client."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


def problem_body(status: int, detail: str) -> dict[str, object]:
    title, slug = _KINDS.get(status, ("Error", "error"))
    return {
        "type": f"http://ns.adobe.com/aep/errors/segment-jobs/{slug}",
        "status": status,
        "title": title,
        "detail": detail,
    }


def problem_response(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )
