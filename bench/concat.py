"""Joining without re-encoding: wan_mcp.media.merge vs `ffmpeg -f concat -safe 0 -i list.txt -c copy`, same files.

Four 15 s 1080P segments with sound are written by the emulator's synthesizer (seeds 0–3: same size, rate and
codec parameters, so they are stream-compatible). Each method joins them ROUNDS times, alternating, after one
untimed warm-up each and an os.sync() before every run; medians are reported. merge runs in this process and its
time includes probing the inputs and verifying the result; ffmpeg (Debian's package: apt-get install ffmpeg) is a
fresh process each time. Both outputs must last equally long. Target: merge / ffmpeg ≤ 1.5.

    python bench/concat.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wan_mcp import media
from wan_mcp.emulator.mp4 import write_mp4

SEGMENTS = 4
SECONDS = 15
TARGET = 1.5


def write_segments(folder: Path) -> list[Path]:
    paths = []
    for seed in range(SEGMENTS):
        path = folder / f"segment-{seed}.mp4"
        write_mp4(path, width=1920, height=1080, seconds=SECONDS, audio=True, seed=seed)
        paths.append(path)
    return paths


def with_merge(segments: list[Path], dest: Path) -> float:
    os.sync()
    start = time.perf_counter()
    result = media.merge(segments, dest)
    elapsed = time.perf_counter() - start
    assert not result.reencoded, "the segments were re-encoded, not copied"
    return elapsed


def with_ffmpeg(listing: Path, dest: Path) -> float:
    os.sync()
    command = ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(dest)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def main(rounds: int) -> None:
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed: apt-get install -y ffmpeg")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        segments = write_segments(folder)
        listing = folder / "list.txt"
        listing.write_text("".join(f"file '{path}'\n" for path in segments))
        ours, theirs = folder / "merge.mp4", folder / "ffmpeg.mp4"
        with_merge(segments, ours)
        with_ffmpeg(listing, theirs)
        times: dict[str, list[float]] = {"wan-mcp merge": [], "ffmpeg concat": []}
        for _ in range(rounds):
            times["wan-mcp merge"].append(with_merge(segments, ours))
            times["ffmpeg concat"].append(with_ffmpeg(listing, theirs))
        durations = {name: media.probe(path).duration for name, path in (("merge", ours), ("ffmpeg", theirs))}
        inputs = sum(path.stat().st_size for path in segments) / 1e6
        print(f"{SEGMENTS} × {SECONDS} s 1920*1080 segments with sound, {inputs:.1f} MB; {rounds} rounds, medians\n")
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, seconds in medians.items():
            print(f"{name:14} {seconds * 1000:8.1f} ms   (runs: {', '.join(f'{t * 1000:.0f}' for t in times[name])})")
        same = abs(durations["merge"] - durations["ffmpeg"]) < 1 / 30
        print(f"\noutput duration: merge {durations['merge']:.3f} s, ffmpeg {durations['ffmpeg']:.3f} s", end="")
        print(" (same)" if same else " (DIFFERENT)")
        ratio = medians["wan-mcp merge"] / medians["ffmpeg concat"]
        print(f"merge / ffmpeg = {ratio:.2f} (target ≤ {TARGET})")
        print("MEETS" if ratio <= TARGET and same else "MISSES")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    main(parser.parse_args().rounds)
