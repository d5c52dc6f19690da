"""wan-mcp over streamable HTTP: who may call (bearer tokens, tenants), from where (DNS-rebinding protection on every
bound address), and the signed download links that let a remote agent fetch a delivered video.

Every address gets an explicit allowed-hosts list, loopback ones included; an address that is not loopback is
served only with a token. Tokens travel in the Authorization header only: a URL carrying one is refused (URLs end
up in logs), and access logs are off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecuritySettings

from wan_mcp.config import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
TOKEN_PARAMETERS = frozenset({"token", "access_token", "api_key", "apikey", "key", "auth", "bearer", "password"})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def security_for(host: str, port: int, public_hosts: tuple[str, ...] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection for the bound address: only these Host and Origin headers are answered."""
    names = {host, *public_hosts}
    if is_loopback(host):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    bracketed = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
    hosts = sorted({f"{n}:{port}" for n in bracketed} | set(bracketed))
    origins = sorted({f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")})
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class TokenVerifier:
    """Bearer tokens: WAN_MCP_HTTP_TOKEN (the single user) and each tenant's (known only by its SHA-256), all compared
    in constant time; the tenant rides on the access token as `tenant:NAME`."""

    def __init__(self, settings: Settings) -> None:
        self._single = settings.http_token.get_secret_value().encode() if settings.http_token else None
        self._tenants = [(name, bytes.fromhex(t.token_sha256)) for name, t in settings.tenants.items()]

    async def verify_token(self, token: str) -> AccessToken | None:
        digest = hashlib.sha256(token.encode()).digest()
        found: str | None = None
        for name, expected in self._tenants:  # every tenant is compared: no early exit to time
            if hmac.compare_digest(digest, expected):
                found = name
        if found is not None:
            return AccessToken(token="***", client_id=f"tenant:{found}", scopes=[])
        if self._single is not None and hmac.compare_digest(token.encode(), self._single):
            return AccessToken(token="***", client_id="wan-mcp-user", scopes=[])
        return None


def refuse_tokens_in_urls(app: ASGIApp) -> ASGIApp:
    """An ASGI wrapper answering 400 to any request whose query string carries something like a token."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            if any(name.lower() in TOKEN_PARAMETERS for name, _ in parse_qsl(query, keep_blank_values=True)):
                body = json.dumps(
                    {"error": "token_in_url", "message": "tokens go in the Authorization header, never in the URL"}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded


@dataclass(frozen=True)
class DownloadLinks:
    """Signed, tenant-bound, expiring links to delivered videos: `{base}/files/{token}`."""

    secret: bytes
    base_url: str
    ttl_seconds: float = 24 * 3600.0

    def url_for(self, tenant: str, handle: str, *, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        payload = _b64(json.dumps({"t": tenant, "h": handle, "e": expires}, separators=(",", ":")).encode())
        return f"{self.base_url.rstrip('/')}/files/{payload}.{self._sign(payload)}"

    def verify(self, token: str, *, now: float | None = None) -> tuple[str, str] | None:
        """(tenant, handle) for a valid, unexpired link token; None otherwise."""
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict) or float(data.get("e", 0)) < (now if now is not None else time.time()):
            return None
        return str(data.get("t", "")), str(data.get("h", ""))

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
