"""Result downloads: streamed to a `.part` file, resumed with Range, verified against what the server vouches for,
renamed atomically; expiry decided by the URL's own Expires, never by one refusal.

- SHA-256 (kept in the journal to re-check delivered files) and CRC-64 are computed while the bytes are written, in
  a worker thread; a `.part` left by an earlier attempt is read back first, so both cover the whole file.
- The file is delivered only when its length equals the one the server declared (Content-Length or the total of
  Content-Range), its CRC-64 equals the server's `x-oss-hash-crc64ecma` when the server sends one, and its MP4
  structure is complete to the last sample (`integrity`). Bytes kept from an earlier attempt are trusted only
  through the CRC: when there is none to compare with, or it differs, the file is downloaded again from its first
  byte (once), so a `.part` damaged by a power cut is never delivered. `Verification` says what was checked.
- 401/403: expired when the URL's Expires (`Expires=`, or `x-oss-date` + `x-oss-expires`) has passed (120 s of
  clock skew allowed); before that it is retried (bounded), then `DownloadRefused` (retryable), whatever the body
  says. A URL without an expiry is never declared expired here: the caller asks DashScope for the task again.
- 416 with `Content-Range: bytes */SIZE`: a `.part` of exactly SIZE bytes is complete and goes to verification;
  any other size starts over. Every retry and restart is bounded.
- A write that fails (no space, permission, read-only, quota) raises `SaveFailed` with the path, the bytes still
  needed, the bytes free and the cause; the `.part` is kept so the download resumes once the cause is gone.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2

from wan_mcp.errors import DownloadFailed, DownloadRefused, ResultExpired, SaveFailed
from wan_mcp.integrity import Crc64, Mp4Check, Mp4Damaged, check_mp4

log = logging.getLogger("wan_mcp.dashscope")

DOWNLOAD_TIMEOUT = httpx2.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
CHUNK = 1024 * 1024
CRC_HEADER = "x-oss-hash-crc64ecma"
EXPIRY_SKEW_SECONDS = 120.0
REFUSAL_RETRIES = 3

CrcOutcome = Literal["matched", "not_sent", "unavailable"]


@dataclass(frozen=True)
class Verification:
    """What a delivered file was checked against, and what could not be checked."""

    declared_length: int | None  # what the server declared (Content-Length, or Content-Range's total)
    crc64: CrcOutcome  # matched the server's x-oss-hash-crc64ecma; the server sent none; anycrc missing
    crc64_value: str | None  # the server's value (decimal, as OSS sends it)
    etag: str | None  # the object's ETag, used (If-Range) so every resumed piece comes from the same object
    reused_bytes: int  # bytes kept from an earlier attempt (trusted only through a matching CRC-64)
    mp4: Mp4Check

    @property
    def summary(self) -> str:
        """One sentence for the agent and the journal."""
        parts = [
            f"length {self.declared_length:,} bytes as the server declared"
            if self.declared_length is not None
            else "length not declared by the server"
        ]
        parts.append(
            {
                "matched": "CRC-64 equal to the server's",
                "not_sent": "CRC-64 not checked (the server sent none)",
                "unavailable": "CRC-64 not checked (the anycrc module is missing)",
            }[self.crc64]
        )
        if self.mp4.fragmented:
            parts.append("fragmented MP4 complete box by box")
        else:
            parts.append(f"MP4 complete to the last of {self.mp4.samples:,} samples in {self.mp4.tracks} tracks")
        return "verified: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = self.summary
        return data


@dataclass(frozen=True)
class DownloadResult:
    """A delivered, verified file."""

    path: Path
    size_bytes: int
    sha256: str  # ours: the journal's key to re-check the delivered file later (not an independent proof)
    resumed: int  # how many times the transfer was retried or resumed (broken connection, 5xx, refusal)
    verification: Verification


def url_expires_at(url: str) -> float | None:
    """When a signed OSS URL stops working (epoch seconds): `Expires`, or `x-oss-date` + `x-oss-expires` (V4)."""
    query = {k.lower(): v[0] for k, v in parse_qs(urlsplit(url).query).items() if v}
    value = query.get("expires", "")
    if value.isdigit():
        return float(value)
    date, seconds = query.get("x-oss-date", ""), query.get("x-oss-expires", "")
    if seconds.isdigit():
        try:
            signed = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        return signed.timestamp() + int(seconds)
    return None


class _TryAgain(Exception):
    """Internal: this attempt failed in a way worth retrying after a pause."""


class Download:
    """One download of `url` to `dest` (see the module docstring); `run()` returns the verified result."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        url: str,
        dest: Path,
        *,
        attempts: int,
        backoff: Callable[[int], float],
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self.http, self.url, self.dest = http, url, dest
        self.part = dest.with_name(dest.name + ".part")
        self.attempts, self.backoff, self.sleep, self.clock = attempts, backoff, sleep, clock
        self.sha = hashlib.sha256()
        self.crc = Crc64()
        self.written = self.reused = 0
        self.total: int | None = None
        self.server_crc: str | None = None
        self.etag: str | None = None
        self.restarted = False
        self.refusals = 0
        self.resumed = 0

    async def run(self) -> DownloadResult:
        with _saving(self.part, None):
            self.dest.parent.mkdir(parents=True, exist_ok=True)
        if self.part.is_symlink() or (self.part.exists() and not self.part.is_file()):
            self._start_over("the partial file is not a regular file")  # never read or append through a link
        elif self.part.exists():  # cut short earlier, even by a crash: keep the bytes, trusted only through the CRC
            await anyio.to_thread.run_sync(self._read_part)
        failures = 0
        while True:
            try:
                if await self._attempt():
                    result = await self._finish()
                    if result is not None:
                        return result
                    continue
            except (httpx2.TransportError, _TryAgain) as exc:
                failures += 1
                if failures >= self.attempts:
                    raise DownloadFailed(
                        f"the download kept failing after {self.written} bytes ({exc})",
                        fix="poll the task again later to retry the download",
                    ) from None
                self.resumed += 1
                log.info("download broke after %d bytes (%s); resuming", self.written, exc)
                await self.sleep(self.backoff(min(failures, 4)))

    def _read_part(self) -> None:
        with _saving(self.part, None), self.part.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                self.sha.update(chunk)
                self.crc.update(chunk)
                self.written += len(chunk)
        self.reused = self.written

    def _start_over(self, why: str) -> None:
        log.info("download of %s starts over: %s", self.dest.name, why)
        with _saving(self.part, None):
            self.part.unlink(missing_ok=True)
        self.sha, self.crc = hashlib.sha256(), Crc64()
        self.written = self.reused = 0
        self.total = self.etag = None

    async def _attempt(self) -> bool:
        """One request; True when every byte is on disk (then verify), else raises to retry."""
        headers = {"Range": f"bytes={self.written}-"} if self.written else {}
        if self.written and self.etag:
            headers["If-Range"] = self.etag
        async with _stream(self.http, self.url, headers) as response:
            status = response.status_code
            if status in (401, 403):
                await self._refused(response)
            if status == 416:
                return self._unsatisfiable(response)
            if status >= 500 or status == 429:
                raise _TryAgain(f"the server answered {status}")
            if status not in (200, 206):
                raise DownloadFailed(f"the download answered {status}", retryable=False)
            self._take_headers(response)
            await self._pump(response)
        if self.total is not None and self.written < self.total:
            raise _TryAgain("the body ended early")
        return True

    def _take_headers(self, response: httpx2.Response) -> None:
        etag = response.headers.get("etag")
        if response.status_code == 200:
            if self.written:
                self._start_over("the server sent the whole file instead of the rest")
            self.total = _int(response.headers.get("content-length"))
        else:
            start, size = _content_range(response.headers.get("content-range", ""))
            if start != self.written or (self.etag is not None and etag is not None and etag != self.etag):
                self._start_over("the server resumed elsewhere, or the object changed")
                raise _TryAgain("the resumed piece does not continue the file")
            self.total = size
        self.etag = etag or self.etag
        self.server_crc = response.headers.get(CRC_HEADER) or self.server_crc
        self._check_space()

    def _check_space(self) -> None:
        if self.total is None:
            return
        needed = self.total - self.written
        free = _free_bytes(self.part.parent)
        if free is not None and free < needed:
            raise _save_failed(self.part, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), needed, free)

    async def _pump(self, response: httpx2.Response) -> None:
        with _saving(self.part, self.total and self.total - self.written):
            handle = self.part.open("ab" if self.written else "wb")
        with handle:
            sink = _Sink(handle, self)
            broken = await sink.pump(response)
        if sink.failure is not None:
            needed = self.total - self.written if self.total is not None else None
            raise _save_failed(self.part, sink.failure, needed, _free_bytes(self.part.parent))
        if broken is not None:
            raise broken

    async def _refused(self, response: httpx2.Response) -> None:
        """A 401/403: expired by the URL's own Expires, else retried, then DownloadRefused."""
        body = (await response.aread()).decode("utf-8", "replace")
        found = re.search(r"<Code>([^<]+)</Code>", body)
        code = found.group(1) if found else str(response.status_code)
        expires = url_expires_at(self.url)
        if expires is not None and self.clock() >= expires - EXPIRY_SKEW_SECONDS:
            with _saving(self.part, None):
                self.part.unlink(missing_ok=True)  # it can never be completed
            raise ResultExpired(
                "the result URL has expired (24 h after the task ended)",
                fix="the video can no longer be downloaded: generate it again",
            )
        self.refusals += 1
        if self.refusals <= REFUSAL_RETRIES:
            raise _TryAgain(f"refused with {response.status_code} {code}")
        until = (
            f"although it is valid until {datetime.fromtimestamp(expires, timezone.utc):%Y-%m-%d %H:%M} UTC"
            if expires is not None
            else "and it carries no expiry time to tell whether it expired"
        )
        raise DownloadRefused(
            f"the result URL was refused ({response.status_code} {code}) {until}",
            expires_at=expires,
            fix="poll the task again: the download is retried, with a fresh URL from DashScope if needed",
        )

    def _unsatisfiable(self, response: httpx2.Response) -> bool:
        """A 416: the `.part` is complete when its length is the object's size; otherwise start over."""
        _, size = _content_range(response.headers.get("content-range", ""))
        self.server_crc = response.headers.get(CRC_HEADER) or self.server_crc
        if size is not None and size == self.written and size > 0:
            self.total = size
            return True
        self._start_over(f"the server has {size} bytes, the partial file {self.written}")
        raise _TryAgain("range not satisfiable")

    async def _finish(self) -> DownloadResult | None:
        """Verify the whole file; None when it must be downloaded again from the first byte (at most once)."""
        crc = self.crc.value
        outcome: CrcOutcome = "unavailable" if crc is None else "not_sent" if self.server_crc is None else "matched"
        if outcome == "matched" and str(crc) != (self.server_crc or "").strip():
            self._again_or_fail("its CRC-64 differs from the one the server sent")
            return None
        if outcome != "matched" and self.reused:
            self._again_or_fail("bytes kept from an earlier attempt cannot be checked without a CRC-64")
            return None
        try:
            mp4 = await anyio.to_thread.run_sync(self._check_mp4)
        except Mp4Damaged as exc:
            if self.reused and not self.restarted:
                self._again_or_fail(str(exc))
                return None
            self.part.unlink(missing_ok=True)
            raise DownloadFailed(f"the downloaded file is not a complete MP4: {exc}", retryable=False) from None
        with _saving(self.dest, None):
            os.replace(self.part, self.dest)
        verification = Verification(self.total, outcome, self.server_crc, self.etag, self.reused, mp4)
        return DownloadResult(self.dest, self.written, self.sha.hexdigest(), self.resumed, verification)

    def _again_or_fail(self, why: str) -> None:
        """Download again from the first byte (the first time), else give up."""
        if not self.restarted:
            self.restarted = True
            self._start_over(why)
            return
        self.part.unlink(missing_ok=True)
        raise DownloadFailed(f"the downloaded file did not verify: {why}", fix="poll the task again to retry")

    def _check_mp4(self) -> Mp4Check:
        with _saving(self.part, None), self.part.open("rb") as handle:
            return check_mp4(handle, self.written)


class _Sink:
    """Writes, hashes and CRCs a body in a worker thread while the next chunks arrive (at most 4 MiB in flight).

    A write error stops the transfer and is kept in `failure`; a broken connection is returned by `pump`.
    """

    def __init__(self, handle: Any, download: Download) -> None:
        self.handle = handle
        self.download = download
        self.failure: OSError | None = None

    def _take(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.download.sha.update(chunk)
        self.download.crc.update(chunk)
        self.download.written += len(chunk)

    async def pump(self, response: httpx2.Response) -> httpx2.TransportError | None:
        send, receive = anyio.create_memory_object_stream[bytes](4)
        broken: httpx2.TransportError | None = None

        async def drain() -> None:
            async with receive:
                async for chunk in receive:
                    if self.failure is None:
                        try:
                            await anyio.to_thread.run_sync(self._take, chunk)
                        except OSError as exc:
                            self.failure = exc

        async with anyio.create_task_group() as group:
            group.start_soon(drain)
            async with send:
                try:
                    async for chunk in response.aiter_bytes(CHUNK):
                        if self.failure is not None:
                            break
                        await send.send(chunk)
                except httpx2.TransportError as exc:
                    broken = exc
        if self.failure is None:
            try:
                self.handle.flush()
            except OSError as exc:
                self.failure = exc
        return broken


@asynccontextmanager
async def _stream(http: httpx2.AsyncClient, url: str, headers: Mapping[str, str]) -> AsyncIterator[httpx2.Response]:
    async with http.stream("GET", url, headers=dict(headers), timeout=DOWNLOAD_TIMEOUT) as response:
        yield response


@contextmanager
def _saving(path: Path, needed: int | None) -> Iterator[None]:
    """Turns an OSError while writing `path` into SaveFailed (`needed`: bytes still to write, when known)."""
    try:
        yield
    except OSError as exc:
        raise _save_failed(path, exc, needed, _free_bytes(path.parent)) from None


def _save_failed(path: Path, exc: OSError, needed: int | None, free: int | None) -> SaveFailed:
    cause = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.EFBIG: "the file is too large for the file system",
    }.get(exc.errno or 0, os.strerror(exc.errno) if exc.errno else type(exc).__name__)
    amounts = []
    if needed is not None:
        amounts.append(f"needs {needed / 1e6:.1f} MB more")
    if free is not None:
        amounts.append(f"{free / 1e6:.1f} MB free")
    detail = f" ({', '.join(amounts)})" if amounts else ""
    return SaveFailed(
        f"cannot save the video to {path.parent}: {cause}{detail}",
        path=str(path),
        cause=cause,
        needed_bytes=needed,
        free_bytes=free,
        fix="free some space or fix the folder's permissions (or set WAN_MCP_OUTPUT_DIR to another disk); "
        "the download resumes where it stopped when the task is polled again",
    )


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _content_range(value: str) -> tuple[int | None, int | None]:
    """(first byte, total size) of `bytes A-B/SIZE` or `bytes */SIZE` (None where unknown)."""
    found = re.match(r"bytes (?:(\d+)-\d+|\*)/(\d+|\*)", value.strip())
    if not found:
        return None, None
    start = int(found.group(1)) if found.group(1) is not None else None
    return start, None if found.group(2) == "*" else int(found.group(2))
