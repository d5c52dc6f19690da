"""wan-mcp: make videos with Alibaba's Wan models (DashScope) from LLM agents, safely.

The public Python API is the pure core: the model catalog, request planning and the error tree.
"""

from wan_mcp.catalog import DEFAULT_MODELS, MODELS, MODES, REGIONS, Model, Region, default_model, find_model
from wan_mcp.errors import ConfigError, DashScopeError, Problem, RequestInvalid, WanMcpError
from wan_mcp.requests import HttpRequest, Plan, VideoRequest, plan_request

__version__ = "0.1.0"

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
