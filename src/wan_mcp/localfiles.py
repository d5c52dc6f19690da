"""Local files opened once and checked on the open descriptor; what is hashed and uploaded is read from it.

`open_checked` (when a request is planned) resolves the path, refuses anything but a regular file before opening it
(a FIFO or a device is never opened), opens it with O_NOFOLLOW | O_NONBLOCK (a link swapped in for the file is
refused; nothing can block), and checks the descriptor: a regular file (fstat), its real path (read from the
descriptor: /proc/self/fd on Linux, F_GETPATH on macOS; elsewhere the resolved path is accepted only when it
names the same device and inode) inside the allowed folders and outside the places secrets live, its size, and its
content (no private key or API key, see `sensitive`).

`open_for_upload` (when the request is sent) opens the real path recorded at plan time the same way and checks
that it is still that path, the same size, a regular file, and free of secrets; the caller then hashes and uploads
from that one descriptor and calls `check_unchanged` after the upload, so a file swapped or rewritten meanwhile is
refused, never uploaded.

Every OSError (a path over 255 bytes, a file wan-mcp may not read, …) becomes an InputError in wan-mcp's format.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from wan_mcp import sensitive

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
from wan_mcp.documents import is_text

HEAD_BYTES = 64 * 1024
CHUNK = 1024 * 1024
TEXT_SCAN_OVERLAP = 4096  # a secret split across two chunks is still seen whole
NAME_MAX = 255
PATH_MAX = 4095
SPECIAL_ROOTS = tuple(Path(p) for p in ("/proc", "/sys", "/dev", "/run"))
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


class InputError(ValueError):
    """A media argument is unusable; `code` and `fix` say why and what to do."""

    def __init__(self, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fix = fix


class CheckedFile:
    """An open, checked, regular local file; read it only through this object (the descriptor it checked)."""

    def __init__(self, fd: int, path: Path, status: os.stat_result, head: bytes) -> None:
        self.fd = fd
        self.path = path  # the real path, as read from the descriptor
        self.size = status.st_size
        self.head = head  # the first HEAD_BYTES
        self._identity = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)

    @property
    def name(self) -> str:
        return self.path.name

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset`, without moving a shared file position."""
        if hasattr(os, "pread"):
            return os.pread(self.fd, length, offset)
        os.lseek(self.fd, offset, os.SEEK_SET)  # pragma: no cover - Windows
        return os.read(self.fd, length)  # pragma: no cover - Windows

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The file's bytes, in pieces, from the start."""
        offset = 0
        while chunk := self.read_at(offset, size):
            yield chunk
            offset += len(chunk)

    def sha256(self) -> str:
        """The SHA-256 of the content, read from the checked descriptor."""
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def reader(self) -> BinaryIO:
        """A new file object at the start of the content (over a duplicate of the checked descriptor)."""
        handle = os.fdopen(os.dup(self.fd), "rb")
        handle.seek(0)
        return handle

    def check_unchanged(self) -> None:
        """Raise InputError when the file was rewritten since it was checked (size or modification time)."""
        now = os.fstat(self.fd)
        if (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) != self._identity:
            raise InputError(
                "file_changed",
                f"{self.path} changed while wan-mcp was reading it",
                "wait until the file is written completely, then submit again",
            )

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> CheckedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_checked(
    path: Path, *, allowed: tuple[Path, ...] | None, home: Path | None = None, missing_hint: str = ""
) -> CheckedFile:
    """Open a local file named in a request and check it on the descriptor (see the module docstring).

    `allowed`: the folders files may come from (None: anywhere); a hidden folder of the home is readable only
    when it is itself one of them (wan-mcp's own data folder), never when it merely lies inside one.
    """
    check_length(path)
    with _translated(path, missing_hint):
        resolved = Path(os.path.realpath(path))
        before = os.lstat(resolved)
    if not stat.S_ISREG(before.st_mode) or any(resolved.is_relative_to(root) for root in SPECIAL_ROOTS):
        raise _not_a_file(path)
    roots = tuple(_resolved(root) for root in allowed) if allowed is not None else None
    if roots is not None and not any(resolved.is_relative_to(root) for root in roots):
        shown = ", ".join(str(root) for root in allowed or ())
        raise InputError(
            "outside_allowed_dirs",
            f"{path} is outside the folders wan-mcp may read"
            + (f" (it points to {resolved})" if resolved != path else ""),
            f"copy the file into {shown}, or add its folder to WAN_MCP_ALLOWED_DIRS",
        )
    reason = sensitive.secret_location(resolved, roots, _home(home)) or sensitive.secret_name(resolved)
    if reason is not None:
        raise _secret(path, reason)
    return _open_verified(resolved, path, missing_hint)


def open_for_upload(path: Path, *, size: int | None) -> CheckedFile:
    """Open the real path a plan recorded, for hashing and uploading: still that file, that size, no secret."""
    checked = _open_verified(path, path, "")
    if size is not None and checked.size != size:
        checked.close()
        raise InputError(
            "file_changed",
            f"{path} changed after it was checked: it is now {checked.size} bytes, it was {size}",
            "submit again with the file as it is now",
        )
    return checked


def check_length(path: Path) -> None:
    """Refuse a path whose name parts exceed 255 bytes (or 4095 in all) before the file system does."""
    encoded = os.fsencode(path)
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > NAME_MAX or len(encoded) > PATH_MAX:
        raise InputError(
            "path_too_long",
            f"the path is too long ({len(encoded)} bytes, a name of {longest}); "
            f"file systems allow {NAME_MAX} bytes per name and {PATH_MAX} in all",
            "rename the file or its folders to shorter names",
        )


def _open_verified(resolved: Path, shown: Path, missing_hint: str) -> CheckedFile:
    """Open with O_NOFOLLOW | O_NONBLOCK and check the descriptor: regular, the expected real path, no secret."""
    with _translated(shown, missing_hint):
        fd = os.open(resolved, OPEN_FLAGS)
    try:
        with _translated(shown, missing_hint):
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                raise _not_a_file(shown)
            real = real_path(fd, resolved)
            if real != resolved:
                raise InputError(
                    "file_changed",
                    f"{shown} was replaced while wan-mcp checked it (it now leads to {real})",
                    "check the file, then submit again",
                )
            checked = CheckedFile(fd, real, status, b"")
            checked.head = checked.read_at(0, HEAD_BYTES)
            reason = _secret_content(checked)
        if reason is not None:
            raise _secret(shown, reason)
    except BaseException:
        os.close(fd)
        raise
    return checked


def real_path(fd: int, expected: Path) -> Path:
    """The path the open descriptor names: /proc/self/fd (Linux), F_GETPATH (macOS), else `expected` when it is
    the same device and inode (a portable fallback)."""
    if sys.platform.startswith("linux"):
        try:
            return Path(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    elif sys.platform == "darwin" and fcntl is not None:  # pragma: no cover - macOS
        try:
            raw = fcntl.fcntl(fd, getattr(fcntl, "F_GETPATH", 50), bytes(1024))
            return Path(os.fsdecode(raw.split(b"\0", 1)[0]))
        except OSError:
            pass
    held, named = os.fstat(fd), os.stat(expected, follow_symlinks=False)
    return expected if (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino) else Path("<another file>")


def _secret_content(checked: CheckedFile) -> str | None:
    """Key material in the first bytes of any file; for a text file, a key or token anywhere in it."""
    reason = sensitive.key_material(checked.head)
    if reason is not None or not is_text(checked.head):
        return reason
    offset, carry = 0, ""
    while chunk := checked.read_at(offset, CHUNK):
        offset += len(chunk)
        text = carry + chunk.decode("utf-8", "replace")
        reason = sensitive.token_text(text, whole_file=offset >= checked.size and not carry)
        if reason is not None:
            return reason
        carry = text[-TEXT_SCAN_OVERLAP:]
    return None


@contextmanager
def _translated(path: Path, missing_hint: str) -> Iterator[None]:
    """Turns an OSError (or the ValueError of an embedded NUL) into an InputError naming the path and the fix."""
    try:
        yield
    except InputError:
        raise
    except ValueError:
        raise InputError("invalid_path", "the path contains a NUL character", "give the file's real path") from None
    except OSError as exc:
        raise os_error(path, exc, missing_hint) from None


def os_error(path: Path, exc: OSError, missing_hint: str = "") -> InputError:
    """The InputError for an OSError met while opening or reading a local file."""
    code = exc.errno
    if code in (errno.ENOENT, errno.ENOTDIR):
        return InputError(
            "file_not_found",
            f"no file at {path}{missing_hint}",
            "give an absolute path to an existing file, or an https URL",
        )
    if code == errno.ENAMETOOLONG:
        return InputError(
            "path_too_long",
            f"the path {str(path)[:80]}… is too long",
            "rename the file or its folders to shorter names",
        )
    if code in (errno.EACCES, errno.EPERM):
        return InputError(
            "permission_denied",
            f"wan-mcp may not read {path} (permission denied)",
            "make the file readable by the user that runs wan-mcp, or copy it somewhere readable",
        )
    if code == errno.ELOOP:
        return InputError(
            "file_changed",
            f"{path} is a symbolic link that loops, or was replaced by one while wan-mcp checked it",
            "give the path of the file itself",
        )
    if code == errno.EISDIR:
        return _not_a_file(path)
    return InputError(
        "unreadable_file",
        f"cannot read {path}: {os.strerror(code) if code else type(exc).__name__}",
        "check the file and its folder, or give an https URL instead",
    )


def _not_a_file(path: Path) -> InputError:
    return InputError("not_a_file", f"{path} is not a regular file", "give the path of an image, video or audio file")


def _secret(path: Path, reason: str) -> InputError:
    return InputError(
        "secret_file",
        f"{path} is not sent: {reason}",
        "wan-mcp never uploads keys or settings; give a media file or a document without secrets",
    )


def _resolved(root: Path) -> Path:
    try:
        return Path(os.path.realpath(root.expanduser()))
    except (OSError, RuntimeError, ValueError):
        return root


def _home(home: Path | None) -> Path | None:
    if home is not None:
        return _resolved(home)
    try:
        return _resolved(Path.home())
    except (RuntimeError, KeyError, OSError):
        return None
