"""The wan-video Agent Skill: where it lives, its catalog-generated tables, and installing it into a skills folder.

SKILL.md and its references are prose around generated sections (`<!-- BEGIN generated: NAME -->` …
`<!-- END generated: NAME -->`); `render(text)` rewrites those sections from the catalog, and a test fails when
the files on disk are not what `render` produces. Run `python -m wan_mcp.skill` to regenerate them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wan_mcp import catalog
from wan_mcp.catalog import DEFAULT_REGION, MODES, Mode, Model

SKILL_NAME = "wan-video"


def skill_dir() -> Path:
    """The skill folder: inside the installed package, else in the source tree."""
    packaged = Path(__file__).parent / "skill" / SKILL_NAME
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "skills" / SKILL_NAME


def references() -> dict[str, Path]:
    """The reference documents by name (file stem)."""
    folder = skill_dir() / "references"
    return {path.stem: path for path in sorted(folder.glob("*.md"))}


def install(dest: Path | None = None) -> Path:
    """Copy the skill into a skills folder (default: the user's Claude skills folder); returns where it went."""
    target_root = dest or Path.home() / ".claude" / "skills"
    target = target_root / SKILL_NAME
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(skill_dir(), target)
    return target


def _second_default(mode: Mode) -> Model:
    """The mode's other recommended model (e.g. the animate model that swaps the person)."""
    return _found(catalog.DEFAULT_MODELS[mode][1])


def _longest(mode: Mode) -> Model:
    """The model of the mode that makes the longest video in one job."""
    return catalog.longest_model(mode)


def _with_sound(mode: Mode) -> Model:
    """The first model of the mode that makes sound."""
    return next(m for m in catalog.models_for(mode, DEFAULT_REGION) if m.audio != "silent" and m.snapshot_of is None)


def _by_instruction(mode: Mode) -> Model:
    """The first model of the mode that edits by instruction (no VACE functions)."""
    return next(m for m in catalog.models_for(mode, DEFAULT_REGION) if m.modes[mode].functions is None)


def _found(model_id: str) -> Model:
    model = catalog.find_model(model_id)
    assert model is not None, model_id
    return model


@dataclass(frozen=True)
class Want:
    """One row of the decision table: what the user wants → mode (and model) → the arguments that matter."""

    want: str
    mode: Mode
    arguments: str
    pick: Callable[[Mode], Model] | None = None  # None: the mode's default in Beijing


WANTS: tuple[Want, ...] = (
    Want("A video from a description (no image)", "t2v", "`prompt`, `duration`, `resolution`/`size`, `audio`"),
    Want("Several shots in one clip, cinematic", "t2v", "`shot_type: multi` (turns on `prompt_extend`), `prompt`"),
    Want("Bring a still image to life", "i2v", "`image`, `prompt`, `duration`, `generate_audio`"),
    Want("A transition from one image to another", "kf2v", "`first_frame`, `last_frame`, `prompt`"),
    Want("The same characters across shots", "r2v", "`references` (character1…), `prompt`, `shot_type`"),
    Want("Restyle, locally edit, extend or outpaint a video", "vace", "`function`, `video`, `prompt`, function args"),
    Want("A video built from reference images", "vace", "`function: image_reference`, `ref_images`, `obj_or_bg`"),
    Want("A portrait that speaks or sings a recording", "s2v", "`image`, `audio`"),
    Want("A pictured character that dances like a video", "animate", "`image`, `video`, `quality`"),
    Want("Replace the person in a video with a character", "animate", "`image`, `video`", _second_default),
    Want(
        "Up to 30 s with sound in one job (preview)", "t2v", "`prompt`, `duration` (2–30), `generate_audio`", _longest
    ),
    Want("First and last frame, with sound", "kf2v", "`first_frame`, `last_frame`, `audio`", _with_sound),
    Want("Edit a video by instruction", "vace", "`video`, `prompt`, `ref_images`", _by_instruction),
)


def _model(row: Want) -> Model:
    if row.pick is not None:
        return row.pick(row.mode)
    model = catalog.default_model(row.mode, DEFAULT_REGION)
    assert model is not None, row.mode
    return model


def _sound(model: Model) -> str:
    return {"silent": "silent", "auto": "sound", "switch": "sound on/off", "driven": "driven by audio"}[model.audio]


def render_decisions() -> str:
    lines = ["| the user wants | mode | model | length | sound | arguments that matter |", "|---|---|---|---|---|---|"]
    for row in WANTS:
        model = _model(row)
        durations = model.durations_in(DEFAULT_REGION)
        length = durations.describe() if durations else "as the input"
        lines.append(f"| {row.want} | {row.mode} | {model.id} | {length} | {_sound(model)} | {row.arguments} |")
    return "\n".join(lines)


def render_models() -> str:
    lines = [
        "| model | modes | length | resolution | sound | soundtrack | multi-shot | prompt max | regions |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model in catalog.MODELS:
        if model.kind != "generation" or model.snapshot_of is not None:
            continue  # dated snapshots share their model's row
        durations = model.durations
        length = durations.describe() if durations else "as the input"
        tiers = "/".join(model.tiers) if model.tiers else ("std/pro" if model.param_style == "quality" else "-")
        prompt = str(model.prompt_max) if model.prompt_max else "no prompt"
        soundtrack = "yes" if model.custom_audio else "no"
        multi = "yes" if model.shot_type else "no"
        regions = ", ".join(region + ("?" if offer.caution else "") for region, offer in model.regions.items())
        lines.append(
            f"| {model.id} | {', '.join(model.modes)} | {length} | {tiers} | {_sound(model)} | {soundtrack} | "
            f"{multi} | {prompt} | {regions} |"
        )
    return "\n".join(lines)


def render_defaults() -> str:
    lines = ["| mode | default model (Beijing) | fallback elsewhere |", "|---|---|---|"]
    for mode in MODES:
        ids = catalog.DEFAULT_MODELS[mode]
        lines.append(f"| {mode} | {ids[0]} | {', '.join(ids[1:]) or '-'} |")
    return "\n".join(lines)


def render_vace() -> str:
    lines = ["| function | what it does | needs | may take |", "|---|---|---|---|"]
    for name, spec in catalog.VACE_FUNCTIONS.items():
        parts = [", ".join(f"`{a}`" for a in spec.required)] if spec.required else []
        parts += [" or ".join(f"`{a}`" for a in group) for group in spec.one_of]
        needs = "; ".join(parts) or "-"
        optional = ", ".join(f"`{a}`" for a in spec.optional if not any(a in g for g in spec.one_of))
        lines.append(f"| {name} | {spec.summary} | {needs} | {optional or '-'} |")
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[], str]] = {
    "decisions": render_decisions,
    "models": render_models,
    "defaults": render_defaults,
    "vace": render_vace,
}
_SECTION = re.compile(r"(<!-- BEGIN generated: (\w+) -->\n)(.*?)(<!-- END generated: \2 -->)", re.S)


def render(text: str) -> str:
    """`text` with every generated section rewritten from the catalog."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in RENDERERS:
            raise KeyError(f"unknown generated section {name!r}")
        return f"{match.group(1)}{RENDERERS[name]()}\n{match.group(4)}"

    return _SECTION.sub(replace, text)


def skill_files() -> list[Path]:
    folder = skill_dir()
    return [folder / "SKILL.md", *sorted((folder / "references").glob("*.md"))]


def main() -> None:
    """Regenerate the catalog sections of every skill file in place."""
    for path in skill_files():
        text = path.read_text(encoding="utf-8")
        updated = render(text)
        if updated != text:
            path.write_text(updated, encoding="utf-8")


if __name__ == "__main__":
    main()
