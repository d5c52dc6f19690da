"""Media inputs: tell a URL, `oss://` URL, `data:` URI and local path apart, and read what a check needs.

Local files are opened once and checked on the descriptor (`localfiles`): a regular file inside the allowed folders,
not where secrets live, free of keys; its headers are read from that descriptor (`mediaheaders`), and a file that
is no media is sniffed as a document (`documents`) for Wan 3.0's `reference_file`, checked by `check_document`.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from wan_mcp import sensitive
from wan_mcp.documents import (
    DOCUMENT_MAX_BYTES,
    DOCUMENT_MIME,
    DOCUMENT_TYPES,
    REFUSED_DOCUMENTS,
    is_text,
    sniff_document,
)
from wan_mcp.localfiles import (
    SPECIAL_ROOTS,
    CheckedFile,
    InputError,
    check_length,
    open_checked,
    open_for_upload,
)
from wan_mcp.mediaheaders import (
    EXTENSION_FORMAT,
    FORMAT_KIND,
    HEAD_BYTES,
    MIME_FORMAT,
    Format,
    MediaInfo,
    probe_file,
    probe_handle,
    probe_head,
    sniff,
)

__all__ = [
    "DOCUMENT_MIME",
    "DOCUMENT_TYPES",
    "EXTENSION_FORMAT",
    "FORMAT_KIND",
    "HEAD_BYTES",
    "MIME_FORMAT",
    "SPECIAL_ROOTS",
    "CheckedFile",
    "Format",
    "InputError",
    "MediaInfo",
    "MediaSource",
    "SourceKind",
    "check_document",
    "classify",
    "open_for_upload",
    "probe_file",
    "probe_head",
    "sniff",
    "sniff_document",
]

SourceKind = Literal["url", "oss", "data", "local"]
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx", ".md", ".markdown", ".txt"})


@dataclass(frozen=True)
class MediaSource:
    """One media argument, classified; `info` is filled for local files and `data:` URIs."""

    raw: str
    kind: SourceKind
    path: Path | None = None
    info: MediaInfo | None = None

    @property
    def guessed_format(self) -> str | None:
        """The format from the content when read, else from the URL's extension."""
        if self.info is not None and self.info.format is not None:
            return self.info.format
        if self.kind in ("url", "oss"):
            suffix = PurePosixPath(unquote(urlsplit(self.raw).path)).suffix.lower()
            return EXTENSION_FORMAT.get(suffix)
        return None

    @property
    def media_kind(self) -> Literal["image", "video", "audio"] | None:
        return FORMAT_KIND.get(self.guessed_format or "")


_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def classify(
    value: str,
    *,
    input_dir: Path | None = None,
    windows: bool | None = None,
    allowed: tuple[Path, ...] | None = None,
    home: Path | None = None,
) -> MediaSource:
    """Classify one media argument and, for local files and data URIs, read their headers.

    With `allowed`, a local file must resolve (symlinks included) inside one of those folders. Files in hidden
    folders of the home (`home`, default the user's) are refused unless that hidden folder is itself one of the
    allowed folders: a caller that must read its own files (frames and clips under its data folder) adds those
    folders to `allowed`. `.env` files, key files and content that holds keys are refused everywhere.
    """
    text = value.strip()
    if not text:
        raise InputError("missing_argument", "the value is empty", "give a URL, a data: URI or a local file path")
    windows = os.name == "nt" if windows is None else windows
    lowered = text.lower()
    if lowered.startswith(("https://", "http://")):
        parts = urlsplit(text)
        if not parts.netloc or any(c.isspace() for c in text):
            raise InputError(
                "invalid_url", f"{text[:80]!r} is not a valid URL", "percent-encode spaces; check the host"
            )
        return MediaSource(text, "url")
    if lowered.startswith("oss://"):
        bucket, _, key = text[len("oss://") :].partition("/")
        if not bucket or not key.strip("/"):
            raise InputError(
                "invalid_url",
                "an oss:// URL names a bucket and an object (oss://dashscope-instant/…)",
                "use the oss:// URL an upload returned, or give the file itself",
            )
        return MediaSource(text, "oss")
    if lowered.startswith("data:"):
        return MediaSource(text, "data", info=_probe_data_uri(text))
    if lowered.startswith("file:"):
        path = Path(url2pathname(unquote(urlsplit(text).path)))
        return _local(text, path, input_dir, allowed, home)
    if windows and _WINDOWS_DRIVE.match(text):
        return _local(text, Path(text), input_dir, allowed, home)
    scheme = _SCHEME.match(text)
    if scheme and len(scheme.group(1)) > 1:
        raise InputError(
            "unsupported_source",
            f"{scheme.group(1)}:// sources are not supported",
            "give an https URL, an oss:// URL, a data: URI or a local file path",
        )
    return _local(text, Path(text), input_dir, allowed, home)


def _local(
    raw: str, path: Path, input_dir: Path | None, allowed: tuple[Path, ...] | None, home: Path | None
) -> MediaSource:
    check_length(path)
    try:
        path = path.expanduser()
        if not path.is_absolute():
            path = (input_dir or Path.cwd()) / path
    except (RuntimeError, OSError) as exc:
        raise InputError(
            "invalid_path", f"cannot make {str(path)[:80]!r} an absolute path ({exc})", "give an absolute path"
        ) from None
    where = f" (relative paths are looked up in {input_dir})" if input_dir else ""
    with open_checked(path, allowed=allowed, home=home, missing_hint=where) as checked:
        handle = io.BufferedReader(io.FileIO(checked.fd, "rb", closefd=False))
        info = probe_handle(handle, checked.size)
        if info.format is None:
            info = replace(info, document=sniff_document(checked.head, handle))
        _readable_whole(info, seen_all=checked.size <= HEAD_BYTES, what=str(checked.path))
        return MediaSource(raw, "local", path=checked.path, info=info)


def _readable_whole(info: MediaInfo, *, seen_all: bool, what: str) -> None:
    """An image whose every byte was read but whose size could not be: cut short or damaged, refused before it is
    sent (DashScope would fail it, after the upload)."""
    parsed = info.format in ("jpeg", "png", "bmp", "webp")  # the formats whose size the headers give
    if seen_all and parsed and (not info.width or not info.height):
        raise InputError(
            "unreadable_media",
            f"{what} is a {(info.format or 'image').upper()} cut short or damaged: its size cannot be read",
            "give the whole image file",
        )


def check_document(source: MediaSource) -> str:
    """The document type of Wan 3.0's `reference_file`, or InputError when the API does not take it.

    Local files and data: URIs are judged by their content; URLs by their extension when they have one (DashScope
    fetches them itself).
    """
    accepted = ", ".join(DOCUMENT_TYPES.values())
    if source.kind in ("url", "oss"):
        suffix = PurePosixPath(unquote(urlsplit(source.raw).path)).suffix.lower()
        if suffix and suffix not in DOCUMENT_EXTENSIONS:
            raise InputError(
                "invalid_format",
                f"the reference file's URL ends in {suffix}, which is not a document type Wan 3.0 reads",
                f"give a {accepted} file",
            )
        return "url"
    info = source.info
    kind = info.document if info is not None else None
    if info is not None and info.format is not None:
        raise InputError(
            "invalid_format",
            f"the reference file is {info.format.upper()} media, not a document",
            f"give a {accepted} file; pass media as references instead",
        )
    if kind in REFUSED_DOCUMENTS:
        raise InputError(
            "invalid_format",
            f"the reference file is {REFUSED_DOCUMENTS[kind]}",
            f"export it as PDF (or give a {accepted})",
        )
    if kind not in DOCUMENT_TYPES:
        raise InputError(
            "invalid_format", "the reference file is no document type Wan 3.0 reads", f"give a {accepted} file"
        )
    size = info.size_bytes if info is not None else None
    if size is not None and size > DOCUMENT_MAX_BYTES:
        raise InputError(
            "file_too_large",
            f"the reference file is {size / 1e6:.1f} MB; Wan 3.0 takes documents up to {DOCUMENT_MAX_BYTES / 1e6:g} MB",
            "split or compress it",
        )
    return kind


def _probe_data_uri(uri: str) -> MediaInfo:
    header, sep, payload = uri.partition(",")
    if not sep or not header.lower().endswith(";base64"):
        raise InputError(
            "invalid_data_uri",
            "the data: URI is not base64 (expected data:<mime>;base64,<data>)",
            "encode the file as data:image/png;base64,… or pass its path",
        )
    mime = header[5:-7].strip().lower()
    payload = "".join(payload.split())
    padding = len(payload) - len(payload.rstrip("="))
    size = len(payload) * 3 // 4 - padding
    chunk = payload[: min(len(payload), HEAD_BYTES * 4 // 3) // 4 * 4]
    head = _b64(chunk)
    info = replace(probe_head(head), size_bytes=size)
    declared = MIME_FORMAT.get(mime)
    if info.format is None and declared is None:
        return _data_document(head, payload, info)
    if info.format is None:
        info = replace(info, format=declared)
    elif declared is not None and declared != info.format:
        raise InputError(
            "invalid_data_uri",
            f"the data: URI says {mime} but holds {info.format.upper()} data",
            f"use the MIME type image/{info.format}",
        )
    reason = sensitive.key_material(head)
    if reason is not None:
        raise InputError("secret_file", f"the data: URI is not sent: {reason}", "give media without keys")
    _readable_whole(info, seen_all=size <= HEAD_BYTES, what="the data: URI")
    return info


def _data_document(head: bytes, payload: str, info: MediaInfo) -> MediaInfo:
    """A data: URI that is no media: its document type, after the same secret checks as a local file."""
    content = _b64(payload) if len(payload) > len(head) * 4 // 3 else head
    reason = sensitive.key_material(head)
    if reason is None and is_text(head):
        reason = sensitive.token_text(content.decode("utf-8", "replace"), whole_file=True)
    if reason is not None:
        raise InputError(
            "secret_file",
            f"the data: URI is not sent: {reason}",
            "wan-mcp never uploads keys or settings; give a document without secrets",
        )
    return replace(info, document=sniff_document(head, io.BytesIO(content)))


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(
            "invalid_data_uri",
            "the data: URI's base64 payload does not decode",
            "re-encode the file, or pass its path",
        ) from exc
