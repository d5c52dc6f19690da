"""The sdist and the wheel carry the licence text and the project's links (built with uv, installed on first use)."""

from __future__ import annotations

import subprocess
import tarfile
import zipfile
from pathlib import Path

from test_bundle import ROOT, build_script


def test_sdist_and_wheel_carry_the_license(tmp_path: Path) -> None:
    """`uv build` makes an sdist with LICENSE at its root and a wheel with it in its dist-info, and project URLs."""
    subprocess.run(
        [str(build_script().uv()), "build", "--quiet", "--out-dir", str(tmp_path), str(ROOT)], check=True, timeout=600
    )
    (sdist,) = tmp_path.glob("*.tar.gz")
    (wheel,) = tmp_path.glob("*.whl")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        root = names[0].split("/")[0]
        license_text = archive.extractfile(f"{root}/LICENSE").read().decode()  # type: ignore[union-attr]
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
        wheel_license = archive.read(f"{info}/licenses/LICENSE").decode()
        metadata = archive.read(f"{info}/METADATA").decode()

    assert license_text == wheel_license == (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "TERMS AND CONDITIONS FOR USE" in license_text
    assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata
    assert "Project-URL: Repository, https://github.com/wan-mcp/wan-mcp.git" in metadata
    assert not any("/.cache/" in name or name.endswith(".mcpb") for name in names)
