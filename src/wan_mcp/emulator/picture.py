"""What the emulator's frames show, as I_PCM macroblocks: a background that changes at each keyframe, the request's
caption (mode, model, the start of the prompt) and a running time code, each in an opaque box of whole macroblocks.

The time code changes once a second; only the macroblocks whose samples change are re-coded then (see h264.py).
"""

from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass, replace

from wan_mcp.emulator.font import CELL_HEIGHT, CELL_WIDTH, GLYPH_ROWS, Canvas, printable
from wan_mcp.emulator.h264 import MB_PREFIX, SAMPLE_MAX, SAMPLE_MIN

__all__ = ["Caption", "Look", "Overlay", "look_of", "picture_body"]

_BOX_LUMA = 32
_INK_LUMA = 235
_NEUTRAL_CHROMA = bytes([128]) * 128  # Cb then Cr of a grey macroblock
_PROMPT_LINES = 2


@dataclass(frozen=True)
class Caption:
    """What a video answers: the request's prompt (None when it had none), the model and the mode."""

    prompt: str | None
    model: str
    mode: str


@dataclass(frozen=True)
class Look:
    """What one keyframe's background shows: a gradient, a vertical bar and a horizontal band."""

    background: tuple[int, int, int, int]  # luma at the left edge, luma at the right edge, Cb, Cr
    bar: tuple[int, int, int]
    band: tuple[int, int, int]
    bar_columns: range
    band_rows: range


def _clamp(value: int) -> int:
    return max(SAMPLE_MIN, min(SAMPLE_MAX, value))


def look_of(seed: int, keyframe: int, mb_width: int, mb_height: int) -> Look:
    """The deterministic look of keyframe number `keyframe` of the video made with `seed`."""
    digest = hashlib.sha256(f"wan-mcp emulator mp4 {seed} {keyframe}".encode()).digest()
    bright = 90 if keyframe % 2 else 0  # consecutive keyframes differ in overall brightness
    left, right = _clamp(30 + bright + digest[0] % 50), _clamp(70 + bright + digest[1] % 60)
    background = (left, right, _clamp(64 + digest[2] % 128), _clamp(64 + digest[3] % 128))
    bar = (_clamp(255 - left), _clamp(255 - background[2]), _clamp(255 - background[3]))
    band = (_clamp(40 + digest[4] % 180), _clamp(40 + digest[5] % 180), _clamp(40 + digest[6] % 180))
    bar_width, band_height = max(1, mb_width // 8), max(1, mb_height // 8)
    bar_x = (digest[7] + 3 * keyframe * bar_width) % (mb_width - bar_width + 1)
    band_y = (digest[8] + 2 * keyframe * band_height) % (mb_height - band_height + 1)
    return Look(background, bar, band, range(bar_x, bar_x + bar_width), range(band_y, band_y + band_height))


def _flat_macroblock(luma: int, cb: int, cr: int) -> bytes:
    return bytes([luma]) * 256 + bytes([cb]) * 64 + bytes([cr]) * 64


def _gradient_macroblock(mb_x: int, width: int, look: Look) -> bytes:
    left, right, cb, cr = look.background
    span = max(1, 16 * width - 1)
    row = bytes(_clamp(left + (right - left) * (16 * mb_x + i) // span) for i in range(16))
    return row * 16 + bytes([cb]) * 64 + bytes([cr]) * 64


def picture_body(look: Look, mb_width: int, mb_height: int, boxes: dict[int, bytes]) -> bytes:
    """The I_PCM picture after the slice head: macroblock samples joined by mb_type prefixes, then trailing bits.

    `boxes` maps macroblock addresses to the samples drawn over the background there.
    """
    background = [_gradient_macroblock(x, mb_width, look) for x in range(mb_width)]
    bar = _flat_macroblock(*look.bar)
    band = _flat_macroblock(*look.band)
    plain_row = [bar if x in look.bar_columns else background[x] for x in range(mb_width)]
    band_row = [bar if x in look.bar_columns else band for x in range(mb_width)]
    macroblocks = [mb for y in range(mb_height) for mb in (band_row if y in look.band_rows else plain_row)]
    for address, samples in boxes.items():
        macroblocks[address] = samples
    return MB_PREFIX.join(macroblocks) + b"\x80"


@dataclass(frozen=True)
class _Box:
    """An opaque box of whole macroblocks: its place in the picture and the lines of text it holds."""

    mb_x: int
    mb_y: int
    mb_columns: int
    mb_rows: int
    lines: tuple[str, ...]


class Overlay:
    """Where the caption and the time code sit in a picture, and their samples at any second of the video."""

    def __init__(self, width: int, height: int, seconds: float, caption: Caption | None) -> None:
        self.mb_width, self.mb_height = -(-width // 16), -(-height // 16)
        self.scale = max(1, min(width, height) // 240)
        self.pad = 2 * self.scale
        self.margin = 1 if self.mb_width >= 24 and self.mb_height >= 16 else 0
        self.visible_columns = width // 16  # boxes stay inside the part of the picture that is not cropped
        self.total = _clock(seconds, tenths=abs(seconds - round(seconds)) > 1e-9)
        self.time_box = self._time_box()
        self._time_codes: dict[int, dict[int, bytes]] = {}
        rows_left = self.mb_height - 2 * self.margin - (self.time_box.mb_rows if self.time_box else 0)
        self.caption_box = self._caption_box(caption, rows_left) if caption else None
        self.caption_samples = self._samples(self.caption_box) if self.caption_box else {}

    def at(self, second: int) -> dict[int, bytes]:
        """Every box's samples at `second` (for a keyframe shown during that second)."""
        return {**self.caption_samples, **self._time_code(second)}

    def changes(self, second: int) -> dict[int, bytes]:
        """The macroblocks that differ between `second - 1` and `second`, with their new samples."""
        before, now = self._time_code(second - 1), self._time_code(second)
        return {address: samples for address, samples in sorted(now.items()) if before.get(address) != samples}

    def _time_code(self, second: int) -> dict[int, bytes]:
        if self.time_box is None:
            return {}
        if second not in self._time_codes:
            lines = tuple(line.replace("{now}", _clock(second)) for line in self.time_box.lines)
            self._time_codes[second] = self._samples(replace(self.time_box, lines=lines))
        return self._time_codes[second]

    def _text_size(self, columns: int, lines: int) -> tuple[int, int]:
        """Macroblock columns and rows of a box holding `lines` lines of up to `columns` characters."""
        width = 2 * self.pad + (columns * CELL_WIDTH - 1) * self.scale
        height = 2 * self.pad + ((lines - 1) * CELL_HEIGHT + GLYPH_ROWS) * self.scale
        return -(-width // 16), -(-height // 16)

    def _fits(self, mb_columns: int) -> bool:
        return mb_columns <= self.visible_columns - 2 * self.margin

    def _time_box(self) -> _Box | None:
        """A box in the bottom-left corner: "00:03 / 00:05", or "00:03" alone when that is all that fits."""
        for text in (f"{{now}} / {self.total}", "{now}"):
            length = len(text) - len("{now}") + 5
            columns, rows = self._text_size(length, 1)
            if self._fits(columns) and rows <= self.mb_height - 2 * self.margin:
                return _Box(self.margin, self.mb_height - self.margin - rows, columns, rows, (text,))
        return None

    def _caption_box(self, caption: Caption, rows_left: int) -> _Box | None:
        """A box in the top-left corner: "mode · model", then the prompt (or its start) on up to two lines."""
        width = self.visible_columns - 2 * self.margin
        per_line = (16 * width - 2 * self.pad + self.scale) // (CELL_WIDTH * self.scale)
        if per_line < 12:
            return None
        heading = printable(f"{caption.mode} · {caption.model}")[:per_line]
        prompt = printable(caption.prompt) if caption.prompt else "(no prompt)"
        for prompt_lines in range(_PROMPT_LINES, -1, -1):
            lines = (heading, *_wrap(prompt, per_line, prompt_lines))
            columns, rows = self._text_size(max(len(line) for line in lines), len(lines))
            if rows <= rows_left:
                return _Box(self.margin, self.margin, columns, rows, lines)
        return None

    def _samples(self, box: _Box) -> dict[int, bytes]:
        """The samples of each of the box's macroblocks, by address."""
        canvas = Canvas.filled(16 * box.mb_columns, 16 * box.mb_rows, _BOX_LUMA)
        text_height = ((len(box.lines) - 1) * CELL_HEIGHT + GLYPH_ROWS) * self.scale
        top = (canvas.height - text_height) // 2  # centred: the box is rounded up to whole macroblocks
        for number, line in enumerate(box.lines):
            canvas.text(self.pad, top + number * CELL_HEIGHT * self.scale, line, scale=self.scale, value=_INK_LUMA)
        samples: dict[int, bytes] = {}
        for row in range(box.mb_rows):
            for column in range(box.mb_columns):
                rows = ((16 * row + y) * canvas.width + 16 * column for y in range(16))
                luma = b"".join(canvas.luma[start : start + 16] for start in rows)
                samples[(box.mb_y + row) * self.mb_width + box.mb_x + column] = luma + _NEUTRAL_CHROMA
        return samples


def _clock(seconds: float, *, tenths: bool = False) -> str:
    """MM:SS, or MM:SS.t with tenths."""
    whole, tenth = divmod(round(seconds * 10), 10) if tenths else (int(seconds), 0)
    text = f"{whole // 60:02d}:{whole % 60:02d}"
    return f"{text}.{tenth}" if tenths else text


def _wrap(text: str, width: int, lines: int) -> list[str]:
    """`text` on at most `lines` lines of `width` characters, the last one ending in … when text was left out."""
    if lines == 0:
        return []
    wrapped = textwrap.wrap(text, width, break_long_words=True) or [""]
    if len(wrapped) <= lines:
        return wrapped
    kept = wrapped[:lines]
    kept[-1] = kept[-1][: width - 1].rstrip() + "…"
    return kept
