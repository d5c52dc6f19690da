"""A user's video request → validated against the catalog → the exact DashScope HTTP request (pure, no network).

`plan_request(args, region=…)` returns a `Plan` (method, path, headers, JSON body, pending uploads, estimate,
notes) or raises `RequestInvalid` listing every problem with the argument it concerns and the fix. It refuses
whatever DashScope would reject, and whatever it would silently ignore, truncate or change, because each of those
costs the user money for a video they did not ask for.

Planning runs these steps in this order (`planner.plan_request`), each in its own module:

1. `arguments` — type-check the raw arguments into a `VideoRequest` (unknown names and wrong types refused);
2. `choose` — the model, the mode and the VACE function (refused at once: nothing else can be checked without them);
3. `media` — classify each media argument (URL, oss://, data: URI, local file) and pick its catalog limits;
4. `frame` — tier, size, ratio, duration, quality and prompt_extend, with the defaults said aloud;
5. `rules` — the named rules in their documented order (see `rules/__init__.py`), each returning its problems;
6. `transport` — inline or upload each local file and data: URI, or refuse where neither is possible;
7. `wire` — the body in the legacy or the media protocol, from the model's wire map, and the headers;
8. `estimate` and `notes` — billed seconds, cost and wait; what to tell the user, cautions last.

Every difference between models comes from catalog fields; no step names a model.
"""

from wan_mcp.requests.arguments import ARGUMENT_NAMES, MEDIA_ARGS, VideoRequest, parse_arguments
from wan_mcp.requests.plan import INLINE_MAX_BYTES, Estimate, HttpRequest, PendingUpload, Plan, wait_text
from wan_mcp.requests.planner import plan_request
from wan_mcp.requests.support import arguments_used

__all__ = [
    "ARGUMENT_NAMES",
    "INLINE_MAX_BYTES",
    "MEDIA_ARGS",
    "Estimate",
    "HttpRequest",
    "PendingUpload",
    "Plan",
    "VideoRequest",
    "arguments_used",
    "parse_arguments",
    "plan_request",
    "wait_text",
]
