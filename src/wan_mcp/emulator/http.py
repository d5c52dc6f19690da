"""A small HTTP/1.1 server (anyio + h11) with the control an emulator needs over its connections.

A handler turns a `Request` into a `Response`; it may also raise `DropConnection` to close the socket without
answering (as a crashed or overloaded server would), and a streamed body may raise it half-way to cut a download
short. Everything else is plain HTTP/1.1 with keep-alive.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc
import h11

log = logging.getLogger("wan_mcp.emulator")

MAX_BODY_BYTES = 1100 * 1024 * 1024  # DashScope's temporary storage takes files up to 1 GiB
READ_CHUNK = 64 * 1024


class DropConnection(Exception):
    """Close the connection at once, without (the rest of) an answer."""


@dataclass
class Request:
    """One HTTP request, fully read."""

    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    client: str = ""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.target).query, keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    """An answer: a body in memory, or a stream of chunks with a known length."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    content_length: int | None = None  # for streamed bodies
    close: bool = False

    @classmethod
    def json(cls, status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return cls(status, [("Content-Type", "application/json"), *(headers or [])], body)


Handler = Callable[[Request], Awaitable[Response]]


class HttpServer:
    """Serves a handler on host:port until cancelled."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.host = host
        self.port = port

    async def serve(self, *, task_status: anyio.abc.TaskStatus[int] = anyio.TASK_STATUS_IGNORED) -> None:
        """Listen and serve; reports the bound port through `task_status` once listening."""
        listener = await anyio.create_tcp_listener(local_host=self.host, local_port=self.port)
        self.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        task_status.started(self.port)
        async with listener:
            await listener.serve(self._connection)

    async def _connection(self, stream: anyio.abc.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        try:
            client = str(stream.extra(anyio.abc.SocketAttribute.remote_address, ""))
            while True:
                request = await _read_request(conn, stream, client)
                if request is None:
                    return
                try:
                    response = await self.handler(request)
                except DropConnection:
                    return
                except Exception:
                    log.exception("emulator handler failed on %s %s", request.method, request.path)
                    response = Response.json(500, {"code": "InternalError", "message": "Internal server error!"})
                completed = await _send_response(conn, stream, request, response)
                if not completed or response.close or conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, h11.ProtocolError, OSError):
            return
        finally:
            await stream.aclose()


async def _read_request(conn: h11.Connection, stream: anyio.abc.SocketStream, client: str) -> Request | None:
    request: Request | None = None
    chunks: list[bytes] = []
    size = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                data = await stream.receive(READ_CHUNK)
            except anyio.EndOfStream:
                data = b""
            conn.receive_data(data)
            continue
        if isinstance(event, h11.Request):
            headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in event.headers}
            request = Request(event.method.decode(), event.target.decode("latin-1"), headers, client=client)
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > MAX_BODY_BYTES:
                raise h11.LocalProtocolError("request body too large")
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            if request is None:
                return None
            request.body = b"".join(chunks)
            return request
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None


async def _send_response(
    conn: h11.Connection, stream: anyio.abc.SocketStream, request: Request, response: Response
) -> bool:
    """Send a response; False when it was cut short (the connection must then close)."""
    headers = [("Date", formatdate(usegmt=True)), ("Server", "istio-envoy"), *response.headers]
    if response.stream is None:
        headers.append(("Content-Length", str(len(response.body))))
    elif response.content_length is not None:
        headers.append(("Content-Length", str(response.content_length)))
    if response.close:
        headers.append(("Connection", "close"))
    encoded = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    await stream.send(conn.send(h11.Response(status_code=response.status, headers=encoded)))
    if request.method != "HEAD":
        if response.stream is None:
            if response.body:
                await stream.send(conn.send(h11.Data(data=response.body)))
        else:
            try:
                async for chunk in response.stream:
                    await stream.send(conn.send(h11.Data(data=chunk)))
            except DropConnection:
                return False
    await stream.send(conn.send(h11.EndOfMessage()))
    return True
