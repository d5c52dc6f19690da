"""Step 5 of planning: the rules, each a named function of the draft returning its problems, run in this order.

The order is the order problems are reported in, and it goes from the request's shape to its details:

1. which arguments: used by this model, required, one-of groups, exclusive pairs;
2. the prompt: present where required, within the character limits; a reference link is a web page;
3. each media input: ASCII URL, format, megabytes, PNG alpha, pixels, aspect ratio, length; a reference file is a
   document;
4. media as a set: list lengths, per-item labels, reference counts, voices, total reference length, regional kinds,
   VACE clip length;
5. the output: duration offered, duration cautions, the lower maximum with reference videos, a ratio beside a first
   frame, the sound switch, a soundtrack with sound off, prompt_extend where it is needed;
6. plain values: seed, enumerations, numeric ranges, control_condition, companions required or meaningless alone;
7. model traps: an effect template beside a prompt; an uncertain regional offer (a caution only).

A rule never raises: it returns problems (field, code, message, fix) and may add a caution, a note for a request
that is accepted although an older source says it may fail. Each rule reads catalog fields, never model ids.
"""

from __future__ import annotations

from collections.abc import Callable

from wan_mcp.errors import Problem
from wan_mcp.requests.draft import Draft
from wan_mcp.requests.rules import arguments, media, output

Rule = Callable[[Draft], list[Problem]]

RULES: tuple[Rule, ...] = (
    arguments.arguments_used,
    arguments.required_arguments,
    arguments.one_of_arguments,
    arguments.exclusive_arguments,
    arguments.prompt_not_empty,
    arguments.prompt_length,
    arguments.negative_prompt_length,
    arguments.reference_link_is_web_page,
    media.media_urls_ascii,
    media.media_formats,
    media.media_file_sizes,
    media.png_transparency,
    media.media_pixels,
    media.media_aspect_ratios,
    media.media_seconds,
    media.reference_file_is_a_document,
    media.list_lengths,
    media.item_labels,
    media.reference_counts,
    media.reference_voices_match,
    media.reference_totals,
    media.regional_reference_kinds,
    media.clips_total_seconds,
    output.duration_allowed,
    output.duration_cautions,
    output.reference_video_duration,
    output.ratio_with_first_frame,
    output.sound_switch,
    output.soundtrack_with_sound_off,
    output.prompt_extend_needed,
    arguments.seed_range,
    arguments.argument_values,
    arguments.argument_ranges,
    arguments.control_condition_value,
    arguments.required_with,
    arguments.only_with,
    output.template_replaces_prompt,
    output.offer_caution,
)


def run_rules(draft: Draft) -> None:
    """Apply every rule in order, collecting their problems on the draft."""
    for rule in RULES:
        draft.problems.extend(rule(draft))
