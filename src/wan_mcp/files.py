"""Files the product writes: content hashes, names that never overwrite, slugs, and the one MIME table."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

MIME_BY_SUFFIX: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".avi": "video/x-msvideo",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SUFFIX_BY_MIME: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "video/mp4": ".mp4",
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
}


def mime_of(path: Path) -> str:
    """The MIME type of a file by its suffix (application/octet-stream when unknown)."""
    return MIME_BY_SUFFIX.get(path.suffix.lower(), "application/octet-stream")


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def unique_path(folder: Path, stem: str, suffix: str = ".mp4") -> Path:
    """`folder/stem{suffix}`, or `stem-2`, `stem-3`… when taken: results never overwrite a file."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate, counter = folder / f"{stem}{suffix}", 2
    while candidate.exists():
        candidate, counter = folder / f"{stem}-{counter}{suffix}", counter + 1
    return candidate


def slug(text: str, limit: int = 40) -> str:
    """A short, filesystem-safe version of a prompt."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-zA-Z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-") or "video"


def safe_stem(text: str) -> str:
    """A file stem of letters, digits, dots, dashes and underscores only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "video"
