"""Default folders come from platformdirs (the platform's data and Videos folders); the environment overrides them."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from wan_mcp.config import default_data_dir, default_output_dir, load_settings


def test_videos_folder_is_used_when_it_exists(tmp_path: Path) -> None:
    """With a Videos folder where platformdirs puts it (under HOME), videos go to Videos/wan-mcp, else to ~/wan-mcp."""
    videos = tmp_path / Path(platformdirs.user_videos_dir()).relative_to(Path.home())
    assert default_output_dir({"HOME": str(tmp_path)}) == tmp_path / "wan-mcp"
    videos.mkdir(parents=True)
    assert default_output_dir({"HOME": str(tmp_path)}) == videos / "wan-mcp"


def test_localized_videos_folder_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A localized or moved Videos folder (XDG_VIDEOS_DIR on Linux) is the one used, not a guessed ~/Videos."""
    if not platformdirs.user_videos_dir().startswith(str(Path.home())):
        pytest.skip("this platform's Videos folder is not under HOME")
    localized = tmp_path / "Vidéos"
    localized.mkdir()
    (tmp_path / "Videos").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_VIDEOS_DIR", str(localized))
    if Path(platformdirs.user_videos_dir()) != localized:
        pytest.skip("this platform does not read XDG_VIDEOS_DIR")
    assert default_output_dir({}) == localized / "wan-mcp"


def test_data_folder_is_the_platform_user_data_folder(tmp_path: Path) -> None:
    """The journal lives in platformdirs' user data folder for wan-mcp, moved under an explicit HOME."""
    expected = Path(platformdirs.user_data_dir("wan-mcp", appauthor=False))
    assert default_data_dir({}) == expected
    assert default_data_dir({"HOME": str(tmp_path)}) == tmp_path / expected.relative_to(Path.home())


def test_environment_overrides_the_defaults(tmp_path: Path) -> None:
    """WAN_MCP_DATA_DIR and WAN_MCP_OUTPUT_DIR win over every default."""
    settings = load_settings({"WAN_MCP_DATA_DIR": str(tmp_path / "d"), "WAN_MCP_OUTPUT_DIR": str(tmp_path / "o")})
    assert (settings.data_dir, settings.output_dir) == (tmp_path / "d", tmp_path / "o")


def test_unfilled_bundle_placeholders_mean_not_set(tmp_path: Path) -> None:
    """A blank optional MCPB setting arrives as the literal `${user_config.output_dir}`: it counts as unset."""
    settings = load_settings({"HOME": str(tmp_path), "WAN_MCP_OUTPUT_DIR": "${user_config.output_dir}"})
    assert settings.output_dir == default_output_dir({"HOME": str(tmp_path)})
    assert load_settings({"DASHSCOPE_REGION": " ${user_config.region} "}).region == "beijing"
