"""Which optional extras are installed, found without importing them (importing PyAV takes about 0.1 s, which a
start that lists the tools need not pay)."""

from __future__ import annotations

import importlib.util


def media_installed() -> bool:
    """Whether PyAV (the media extra) is installed; a broken install still fails in `media.require`, naming the
    feature."""
    try:
        return importlib.util.find_spec("av") is not None
    except (ImportError, ValueError):
        return False
