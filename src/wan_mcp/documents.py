"""The documents Wan 3.0's `reference_file` takes, told apart by their content (never by the name).

Accepted, from the sources that agree (Alibaba's developer article on Wan 3.0: PDF, PPT, DOC, XLS and Markdown,
at most 100 MB and 50 pages; ali-bailian-mcp's description: "pptx / pdf"; third-party gateways: Word, PowerPoint,
spreadsheets, Markdown): PDF; Word, PowerPoint and Excel, both Office Open XML (docx/pptx/xlsx) and 97–2003
(doc/ppt/xls); Markdown and plain UTF-8 text (one and the same to a sniffer). Refused with an export hint: Apple
iWork (Keynote, Pages, Numbers: named by one gateway only), OpenDocument, other ZIPs, and anything else. The
page limit is not checked here (it needs a document parser); DashScope enforces it.
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import BinaryIO

DOCUMENT_TYPES: dict[str, str] = {
    "pdf": "PDF",
    "docx": "Word (DOCX)",
    "pptx": "PowerPoint (PPTX)",
    "xlsx": "Excel (XLSX)",
    "doc": "Word 97–2003 (DOC)",
    "ppt": "PowerPoint 97–2003 (PPT)",
    "xls": "Excel 97–2003 (XLS)",
    "markdown": "Markdown or plain text",
}
REFUSED_DOCUMENTS: dict[str, str] = {
    "iwork": "an Apple Keynote, Pages or Numbers file",
    "opendocument": "an OpenDocument file",
    "zip": "a ZIP archive",
    "office97": "an Office 97–2003 file that is not Word, PowerPoint or Excel",
}
DOCUMENT_MIME: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "ppt": "application/vnd.ms-powerpoint",
    "xls": "application/vnd.ms-excel",
    "markdown": "text/markdown",
}
DOCUMENT_MAX_BYTES = 100_000_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_PARTS = (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx"))
_OLE_STREAMS = (("WordDocument", "doc"), ("PowerPoint Document", "ppt"), ("Workbook", "xls"), ("Book", "xls"))
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")


def sniff_document(head: bytes, handle: BinaryIO | None = None) -> str | None:
    """The document type of a file from its first bytes (and, for ZIP and OLE files, their directory), or None.

    Gives a key of DOCUMENT_TYPES, a key of REFUSED_DOCUMENTS, or None when it is no document at all.
    """
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_document(handle if handle is not None else io.BytesIO(head))
    if head.startswith(OLE_MAGIC):
        return _ole_document(handle if handle is not None else io.BytesIO(head))
    if is_text(head):
        return "markdown"
    return None


def is_text(head: bytes) -> bool:
    """Whether the bytes read as UTF-8 text (a multi-byte character cut at the end allowed), without NULs or
    control characters other than tab, newlines, form feed and escape."""
    if not head or any(b < 0x20 and b not in _TEXT_CONTROLS for b in head) or b"\x7f" in head:
        return False
    for cut in range(4):
        try:
            (head[: len(head) - cut] if cut else head).decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _zip_document(handle: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" in names:
        for prefix, kind in _OOXML_PARTS:
            if any(name.startswith(prefix) for name in names):
                return kind
    if any(name.startswith("Index/") or name == "Index.zip" for name in names):
        return "iwork"
    if "mimetype" in names and any(name == "content.xml" for name in names):
        return "opendocument"
    return "zip"


def _ole_document(handle: BinaryIO) -> str | None:
    """Word, PowerPoint or Excel 97–2003 from the stream names in the compound file's first directory sector."""
    handle.seek(0)
    header = handle.read(512)
    if len(header) < 512:
        return None
    (shift,) = struct.unpack_from("<H", header, 30)
    (first_directory,) = struct.unpack_from("<I", header, 48)
    if shift not in (9, 12) or first_directory >= 0xFFFFFFFA:
        return None
    sector = 1 << shift
    handle.seek((first_directory + 1) * sector)
    directory = handle.read(sector)
    names = set()
    for offset in range(0, len(directory) - 127, 128):
        (length,) = struct.unpack_from("<H", directory, offset + 64)
        if 2 <= length <= 64:
            names.add(directory[offset : offset + length - 2].decode("utf-16-le", "replace"))
    for stream, kind in _OLE_STREAMS:
        if stream in names:
            return kind
    return "office97"
