"""Who may talk to the service, and how much they may send: three small ASGI middlewares.

- ``HostCheck``: the Host header must name this server (a DNS-rebinding page reaches a
  loopback port under its own name, so it is refused with 400).
- ``TokenCheck``: with a token set, every route (API, dashboard, static files, docs) wants
  ``Authorization: Bearer <token>``, compared in constant time. A browser opens the
  dashboard once as ``/?token=<token>``: the answer sets an HttpOnly, SameSite=Strict cookie
  holding the token and redirects to the address without it; the page's own requests then
  carry the cookie. Anything else is answered 401.
- ``BodyLimit``: a request body larger than the limit is refused with 413, from its
  Content-Length before anything is read, or while a streamed (chunked) body arrives.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``, so a refused request costs no
task and the body is read once.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "oreshock_token"


async def answer(
    send: Send, status: int, detail: str, headers: Iterable[tuple[str, str]] = ()
) -> None:
    """A JSON ``{"detail": ...}`` response, as the API's other errors."""
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def host_name(value: str) -> str:
    """The name of a Host header without its port: ``[::1]:8000`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def cookies(value: str | None, name: str) -> list[str]:
    """The values of cookie ``name`` in a Cookie header. Parsed by hand: the standard
    library's parser drops every cookie when one of them is malformed (a browser may hold
    other sites' odd cookies for localhost)."""
    found = []
    for part in (value or "").split(";"):
        key, sep, text = part.strip().partition("=")
        if sep and key == name:
            found.append(text.strip().strip('"'))
    return found


class HostCheck:
    """Serve only requests whose Host header is one of ``allowed`` (``*``: any)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = {host_name(h) for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.allowed:
            host = host_name(header(scope, b"host") or "")
            if host not in self.allowed:
                await answer(
                    send,
                    400,
                    "unexpected Host header; this server answers to its own names "
                    "only (see `oreshock serve --allowed-host`)",
                )
                return
        await self.app(scope, receive, send)


class TokenCheck:
    """Every request carries the token: as a bearer header, or the dashboard's cookie."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def _matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token)

    def _carried(self, scope: Scope) -> bool:
        auth = header(scope, b"authorization") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and self._matches(value.strip()):
            return True
        return any(self._matches(value) for value in cookies(header(scope, b"cookie"), COOKIE))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._carried(scope):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = dict(query).get("token")
        if scope["method"] == "GET" and self._matches(given):
            await self._set_cookie(scope, send, [(k, v) for k, v in query if k != "token"])
            return
        await answer(
            send,
            401,
            "a token is required: send `Authorization: Bearer <token>` "
            "(the server's ORESHOCK_TOKEN), or open the dashboard once as /?token=<token>",
            [("WWW-Authenticate", "Bearer")],
        )

    async def _set_cookie(self, scope: Scope, send: Send, rest: list[tuple[str, str]]) -> None:
        """Keep the token in a cookie and send the browser to the address without it."""
        target = (
            scope.get("root_path", "") + scope["path"] + ("?" + urlencode(rest) if rest else "")
        )
        cookie = f"{COOKIE}={self.token.decode()}; HttpOnly; SameSite=Strict; Path=/"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", target.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class TooLarge(Exception):
    """The body grew past the limit while it was read."""


class BodyLimit:
    """Refuse bodies above ``max_bytes`` (413), read up to the limit and handed on whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self) -> str:
        return f"request body larger than {self.max_bytes} bytes (see /api/limits)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await answer(send, 413, self._refusal())
            return
        try:
            body = await self._read(receive)
        except TooLarge:
            await answer(send, 413, self._refusal())
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise TooLarge  # nothing to answer; the client left
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)
