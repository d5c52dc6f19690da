"""wan-mcp: make videos with Alibaba's Wan models (DashScope) from LLM agents, safely.

The public Python API is the pure core: the model catalog, request planning and the error tree. Each name is
imported on first use, so the server and the command line start without loading the planner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wan_mcp.catalog import DEFAULT_MODELS, MODELS, MODES, REGIONS, Model, Region, default_model, find_model
    from wan_mcp.errors import ConfigError, DashScopeError, Problem, RequestInvalid, WanMcpError
    from wan_mcp.requests import HttpRequest, Plan, VideoRequest, plan_request

__version__ = "0.1.0"

_HOMES = {
    "wan_mcp.catalog": (
        "DEFAULT_MODELS",
        "MODELS",
        "MODES",
        "REGIONS",
        "Model",
        "Region",
        "default_model",
        "find_model",
    ),
    "wan_mcp.errors": ("ConfigError", "DashScopeError", "Problem", "RequestInvalid", "WanMcpError"),
    "wan_mcp.requests": ("HttpRequest", "Plan", "VideoRequest", "plan_request"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'wan_mcp' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "DEFAULT_MODELS",
    "MODELS",
    "MODES",
    "REGIONS",
    "ConfigError",
    "DashScopeError",
    "HttpRequest",
    "Model",
    "Plan",
    "Problem",
    "Region",
    "RequestInvalid",
    "VideoRequest",
    "WanMcpError",
    "__version__",
    "default_model",
    "find_model",
    "plan_request",
]
