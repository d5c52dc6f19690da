"""What reaches DashScope's upload host is the file that was checked: swaps, FIFOs and secrets never get through."""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import mediafiles
from conftest import CANARY_KEY, LiveEmulator
from wan_mcp.config import Settings, load_settings
from wan_mcp.errors import RequestInvalid
from wan_mcp.service import WanService
from wan_mcp.service.uploads import upload_inputs

pytestmark = pytest.mark.anyio
INSIDE_IMAGE = mediafiles.png(720, 960)
OUTSIDE_IMAGE = mediafiles.png(721, 961)  # another picture: its bytes must never be uploaded


def settings_for(live: LiveEmulator, tmp_path: Path, **extra: str) -> Settings:
    return load_settings(live.server_env(tmp_path, **extra))


@asynccontextmanager
async def service_for(settings: Settings) -> AsyncIterator[WanService]:
    async with WanService.open(settings, adopt=False) as service:
        yield service


def uploaded(live: LiveEmulator) -> list[bytes]:
    return [upload.path.read_bytes() for upload in live.emulator.uploads.values()]


async def test_symlink_swapped_in_after_the_plan_uploads_nothing(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Regression: a checked file replaced by a link to an outside file before the upload is refused, not sent."""
    image = mediafiles.write(tmp_path / "pictures" / "cat.png", INSIDE_IMAGE)
    outside = mediafiles.write(tmp_path / "outside" / "secret.png", OUTSIDE_IMAGE)
    settings = settings_for(emulator, tmp_path, WAN_MCP_ALLOWED_DIRS=str(tmp_path / "pictures"))
    async with service_for(settings) as service:
        plan = service.plan({"mode": "i2v", "image": str(image), "resolution": "720P"})
        image.unlink()
        image.symlink_to(outside)
        with pytest.raises(RequestInvalid) as err:
            await upload_inputs(service.deps, plan)
    assert err.value.problems[0].code == "file_changed" and err.value.field == "image"
    assert OUTSIDE_IMAGE not in uploaded(emulator) and emulator.requests("upload") == []


async def test_fifo_swapped_in_after_the_plan_is_refused_without_blocking(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    """Regression: a checked file replaced by a FIFO is refused at once; no writer is ever needed to unblock us."""
    image = mediafiles.write(tmp_path / "cat.png", INSIDE_IMAGE)
    rescued, done = threading.Event(), threading.Event()

    def rescue() -> None:  # only if the upload path blocks on the FIFO: open it for writing so the test can end
        while not done.wait(5):
            try:
                os.close(os.open(image, os.O_WRONLY | os.O_NONBLOCK))
                rescued.set()
            except OSError:
                pass

    async with service_for(settings_for(emulator, tmp_path)) as service:
        plan = service.plan({"mode": "i2v", "image": str(image), "resolution": "720P"})
        image.unlink()
        os.mkfifo(image)
        watchdog = threading.Thread(target=rescue, daemon=True)
        watchdog.start()
        try:
            with pytest.raises(RequestInvalid) as err:
                await upload_inputs(service.deps, plan)
        finally:
            done.set()
            watchdog.join()
    assert not rescued.is_set(), "reading the upload blocked on a FIFO until a writer came"
    assert err.value.problems[0].code == "not_a_file"


async def test_sdk_key_file_as_reference_file_sends_nothing(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Regression: ~/.dashscope/api_key (with the canary key) as Wan 3.0's reference_file is refused before any
    upload or submit; the key reaches no request and no error."""
    key_file = mediafiles.write(tmp_path / ".dashscope" / "api_key", CANARY_KEY.encode())
    arguments = {
        "mode": "t2v",
        "model": "wan3.0-video",
        "prompt": "a launch film",
        "reference_file": str(key_file),
        "prompt_extend": True,
    }
    async with service_for(settings_for(emulator, tmp_path)) as service:
        with pytest.raises(RequestInvalid) as err:
            await service.submit(arguments)
    assert err.value.problems[0].code == "secret_file" and CANARY_KEY not in str(err.value)
    assert emulator.requests("upload") == [] and emulator.requests("submit") == []
    assert not any(CANARY_KEY.encode() in data for data in uploaded(emulator))


async def test_own_frames_stay_readable_when_allowed_dirs_leave_them_out(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    """Regression: a frame wan-mcp wrote under its data folder (a hidden folder of the home by default) is readable
    by it although WAN_MCP_ALLOWED_DIRS names only another folder; the data folder's other files are not."""
    data = tmp_path / ".local" / "share" / "wan-mcp"
    frame = mediafiles.write(data / "frames" / "0123-last.png", INSIDE_IMAGE)
    journal_like = mediafiles.write(data / "notes.png", INSIDE_IMAGE)
    settings = settings_for(
        emulator, tmp_path, WAN_MCP_DATA_DIR=str(data), WAN_MCP_ALLOWED_DIRS=str(tmp_path / "pictures")
    )
    async with service_for(settings) as service:
        plan = service.plan({"mode": "i2v", "image": str(frame), "resolution": "720P"})
        assert plan.uploads[0].path == frame
        with pytest.raises(RequestInvalid) as err:
            service.plan({"mode": "i2v", "image": str(journal_like), "resolution": "720P"})
    assert err.value.problems[0].code in ("outside_allowed_dirs", "secret_file")
