"""The HTTP around the operations of :mod:`.app`: one resource per path, which dispatches on the method (405
with ``Allow`` for the others), the exception handlers that turn every error into an answer (a problem body
of :mod:`.problems`, or the gateway's own shape), and the 204 that carries a body (fault ``cancel-204-body``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ExceptionHandler, Receive, Scope, Send

from conformance.reference import auth, faults
from conformance.reference.problems import ApiError, problem_response

Handler = Callable[[Request], Awaitable[Response]]

_METHOD_ORDER = ("GET", "HEAD", "POST", "DELETE")


class GatewayRejected(Exception):
    """The gateway refused the request; answered with the gateway's own body shape."""

    def __init__(self, rejection: auth.Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


class Resource:
    """One path of the API: dispatches on the method; 405 with ``Allow`` for the others.

    ``HEAD`` is answered wherever ``GET`` is (the server drops the body). Without ``allow`` (fault
    ``no-allow-on-405``) the 405 carries no ``Allow``.
    """

    def __init__(self, handlers: Mapping[str, Handler], *, allow: bool = True) -> None:
        self._handlers = dict(handlers)
        self._send_allow = allow
        if "GET" in self._handlers:
            self._handlers["HEAD"] = self._handlers["GET"]
        self._allow = ", ".join(method for method in _METHOD_ORDER if method in self._handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        handler = self._handlers.get(request.method)
        if handler is None:
            raise ApiError(
                405,
                f"{request.method} is not supported on {request.url.path}; use {self._allow}",
                headers={"Allow": self._allow} if self._send_allow else None,
            )
        response = await handler(request)
        await response(scope, receive, send)


class NoContentWithBody(Response):
    """A 204 that carries a JSON body (fault ``cancel-204-body``), with the headers that frame it; or, with
    ``announce_only``, only the Content-Length of that body and no byte of it (fault ``cancel-204-length``).

    The body travels in :data:`~conformance.reference.faults.RAW_BODY_HEADER`, which the server's HTTP
    layer replaces by the bytes themselves (an HTTP library will not send a body with a 204 otherwise).
    """

    def __init__(self, content: bytes, *, announce_only: bool = False) -> None:
        super().__init__(status_code=204)
        self.content = content
        self.announce_only = announce_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = (b"content-length", str(len(self.content)).encode())
        headers = (
            [length]
            if self.announce_only
            else [
                (b"content-type", b"application/json"),
                length,
                (faults.RAW_BODY_HEADER.encode(), self.content.hex().encode()),
            ]
        )
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


# -- exception handlers -------------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem_response(exc.status, exc.detail, exc.headers)


async def _gateway_rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayRejected)
    return JSONResponse(exc.rejection.body(), status_code=exc.rejection.status)


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Errors raised by the router itself: 404 for a path the API does not have."""
    assert isinstance(exc, HTTPException)
    detail = f"No resource at {request.url.path}." if exc.status_code == 404 else exc.detail
    return problem_response(exc.status_code, detail, exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug: still a problem body, never a bare traceback."""
    return problem_response(500, f"Unexpected error ({type(exc).__name__}); the server logged the details.")


#: The exception handlers of the app, by the exception class they answer.
EXCEPTION_HANDLERS: Mapping[Any, ExceptionHandler] = {
    ApiError: _api_error,
    GatewayRejected: _gateway_rejected,
    HTTPException: _http_exception,
    Exception: _unexpected_error,
}
