"""The public documents the catalog's facts come from, and how a fact cites one (`cite`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Source:
    """One public document the catalog's facts come from."""

    key: str
    title: str
    url: str
    date: str  # last update ("2026-10-27"), or "YYYY-MM+" for an undated copy no older than its newest example
    official: bool = True


_HELP_ZH = "https://help.aliyun.com/zh/model-studio/"
_HELP_INTL = "https://www.alibabacloud.com/help/"

SOURCES: Mapping[str, Source] = MappingProxyType(
    {
        s.key: s
        for s in (
            Source(
                "bailian:wan27-t2v-api", "万相2.7-文生视频API参考", _HELP_ZH + "text-to-video-api-reference", "2026-04+"
            ),
            Source(
                "bailian:wan27-i2v-api",
                "万相2.7-图生视频API参考",
                _HELP_ZH + "image-to-video-general-api-reference",
                "2026-04+",
            ),
            Source(
                "bailian:wan27-r2v-api",
                "万相2.7-参考生视频API参考",
                _HELP_ZH + "wan-video-to-video-api-reference",
                "2026-04+",
            ),
            Source(
                "bailian:wan27-videoedit-api",
                "万相2.7-视频编辑API参考",
                _HELP_ZH + "wan-video-editing-api-reference",
                "2026-04+",
            ),
            Source(
                "bailian:r2v-guide",
                "参考生视频 (guide: regions, billing)",
                _HELP_ZH + "video-to-video-guide",
                "2026-06+",
            ),
            Source(
                "mstudio:wan27-i2v-guide",
                "Image-to-video 2.7 (guide)",
                _HELP_INTL + "en/model-studio/wan-image-to-video-guide",
                "2026-04-17",
            ),
            Source(
                "mstudio:legacy-t2v-api",
                "Wan text-to-video API reference (2.1-2.6)",
                _HELP_INTL + "es/model-studio/legacy-wan-text-to-video-api-reference",
                "2026-10-12",
            ),
            Source(
                "bailian:legacy-i2v-api",
                "万相-图生视频-基于首帧API参考（2.1-2.6）",
                _HELP_ZH + "legacy-image-to-video-api-reference",
                "2025-09+",
            ),
            Source(
                "mstudio:legacy-r2v-api",
                "万相-参考生视频API参考（2.6）",
                _HELP_INTL + "zh/model-studio/wan-video-to-video-api-reference",
                "2026-02-11",
            ),
            Source(
                "mstudio:wan3-api",
                "Wan3.0 - video generation API reference",
                _HELP_INTL + "es/model-studio/wan3-video-generation-api-reference",
                "2026-10-15",
            ),
            Source(
                "mstudio:temp-url",
                "Upload local files to get temporary URLs",
                _HELP_INTL + "pt-br/model-studio/get-temporary-file-url",
                "2026-10-27",
            ),
            Source(
                "mstudio:temp-url-old",
                "Upload local files to get temporary URLs (older copy: China (Beijing) only)",
                _HELP_INTL + "en/model-studio/get-temporary-file-url",
                "2026-03-23",
            ),
            Source(
                "mstudio:s2v-api",
                "wan2.2-s2v video generation API",
                _HELP_INTL + "ja/model-studio/wan-s2v-api",
                "2025-10-15",
            ),
            Source(
                "mstudio:animate-move-api",
                "Wan - image to animation API reference",
                _HELP_INTL + "en/model-studio/wan-animate-move-api",
                "2026-01-30",
            ),
            Source(
                "ref:wan-api",
                "DashScope Wan HTTP API reference (project snapshot; D-* keys inside)",
                "../shared/reference/dashscope-wan-api.md",
                "2026-11",
            ),
            Source("ref:wan3", "Wan 3.0 supplement (project snapshot)", "../shared/reference/wan3.md", "2026-11"),
            Source(
                "sdk:dashscope",
                "dashscope 2.0.2 (PyPI): aigc/video_synthesis.py",
                "https://pypi.org/project/dashscope/",
                "2.0.2",
            ),
            Source(
                "3p:bailian-mcp",
                "ali-bailian-mcp 0.7.0 (PyPI), a maintained DashScope client",
                "https://pypi.org/project/ali-bailian-mcp/",
                "0.7.0",
                official=False,
            ),
            Source(
                "3p:gateways",
                "third-party gateway docs (Comfy, novita, evolink, apimart…)",
                "see docs/catalog-sweep.md",
                "2026",
                official=False,
            ),
            Source(
                "3p:prices",
                "third-party price lists (unverified; check the console)",
                "see docs/catalog-sweep.md",
                "2026",
                official=False,
            ),
            Source(
                "wan-mcp:assumption",
                "no public figure found; a safe assumption",
                "docs/catalog-sweep.md",
                "2026-12",
                official=False,
            ),
        )
    }
)


def cite(key: str, note: str = "") -> str:
    """`"<key> <date>"` for a source key (with a short note in brackets); unknown keys fail at import."""
    text = f"{key} {SOURCES[key].date}"
    return f"{text} ({note})" if note else text
