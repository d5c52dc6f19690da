"""DashScope's regions: where a key, a model and an endpoint must all belong (read by the settings at start-up, so
kept apart from the model catalog)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from wan_mcp.sources import cite

RegionId = Literal["beijing", "singapore", "virginia", "frankfurt"]


@dataclass(frozen=True)
class Region:
    """A DashScope region: where a key, a model and an endpoint must all belong."""

    id: RegionId
    title: str
    cloud_id: str
    base_url: str  # may contain "{workspace}", filled from DASHSCOPE_WORKSPACE
    currency: Literal["CNY", "USD"]
    uploads: bool  # temporary file upload (getPolicy) documented for this region
    aliases: tuple[str, ...] = ()
    source: str = ""
    uploads_caution: str = ""  # an older source that says otherwise


_UPLOADS_NOW = cite("mstudio:temp-url", "available in Singapore and China (Beijing)")
_UPLOADS_BEFORE = cite("mstudio:temp-url-old", "China (Beijing) only")

REGIONS: Mapping[RegionId, Region] = MappingProxyType(
    {
        "beijing": Region(
            "beijing",
            "China (Beijing)",
            "cn-beijing",
            "https://dashscope.aliyuncs.com/api/v1",
            "CNY",
            uploads=True,
            aliases=("cn-beijing", "china", "cn", "bj"),
            source=f"{cite('mstudio:legacy-t2v-api')}; {_UPLOADS_NOW}",
        ),
        "singapore": Region(
            "singapore",
            "Singapore (international)",
            "ap-southeast-1",
            "https://dashscope-intl.aliyuncs.com/api/v1",
            "USD",
            uploads=True,
            aliases=("ap-southeast-1", "intl", "international", "sg"),
            source=f"{cite('mstudio:legacy-t2v-api', 'legacy host still served; workspace domain recommended')}; "
            f"{_UPLOADS_NOW}",
            uploads_caution=_UPLOADS_BEFORE,
        ),
        "virginia": Region(
            "virginia",
            "US (Virginia)",
            "us-east-1",
            "https://dashscope-us.aliyuncs.com/api/v1",
            "USD",
            uploads=False,
            aliases=("us-east-1", "us", "usa"),
            source=f"{cite('mstudio:legacy-t2v-api')}; {_UPLOADS_NOW}",
        ),
        "frankfurt": Region(
            "frankfurt",
            "Germany (Frankfurt)",
            "eu-central-1",
            "https://{workspace}.eu-central-1.maas.aliyuncs.com/api/v1",
            "USD",
            uploads=False,
            aliases=("eu-central-1", "eu", "germany", "de"),
            source=f"{cite('mstudio:legacy-t2v-api', 'workspace domain only')}; {_UPLOADS_NOW}",
        ),
    }
)
DEFAULT_REGION: RegionId = "beijing"


def find_region(name: str) -> Region | None:
    """A region by id, cloud id or common alias (case-insensitive), or None."""
    key = name.strip().lower()
    for region in REGIONS.values():
        if key in (region.id, region.cloud_id, *region.aliases):
            return region
    return None
