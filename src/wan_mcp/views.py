"""The shapes of tool results (pydantic models: the MCP server publishes them as output schemas)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ApiStatus = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"]


class ErrorView(BaseModel):
    """Why a job failed and what to do."""

    code: str
    message: str
    retryable: bool = Field(description="the same request may succeed if submitted again later")
    charged: bool = Field(description="whether this failure was billed (DashScope bills only successful videos)")
    fix: str


class EstimateView(BaseModel):
    """Cost and wait before submitting."""

    output_seconds: float | None = None
    billed_seconds: float | None = None
    resolution: str | None = None
    size: str | None = None
    sound: bool
    cost: float | None = Field(None, description="estimated cost; null when no reliable price is known")
    currency: str | None = None
    price_per_second: float | None = None
    price_is_estimate: bool = True
    price_source: str | None = None
    wait_low_seconds: int
    wait_high_seconds: int
    wait_text: str


class VideoFile(BaseModel):
    """The verified local copy of a result."""

    local_path: str
    size_bytes: int
    sha256: str


class TaskView(BaseModel):
    """A job as wan-mcp knows it: DashScope's status, the journal's state, the result or the error."""

    handle: str = Field(description="wan-mcp's own id for the job (valid even before DashScope gives a task id)")
    task_id: str | None = Field(None, description="DashScope's task id: pass it (or the handle) to poll_task")
    status: ApiStatus | None = Field(None, description="DashScope's status; null before DashScope has answered")
    state: str = Field(description="the journal's state: submitting, submitted, unconfirmed, downloading, delivered…")
    mode: str
    model: str
    prompt: str | None = None
    created_at: str
    elapsed_seconds: int | None = None
    expected_wait_text: str | None = None
    eta_seconds: int | None = Field(None, description="seconds until the typical latest finish; 0 when overdue")
    next_poll_after_seconds: int | None = Field(None, description="when asking again is useful; null when done")
    task_id_valid_until: str | None = None
    video_url: str | None = None
    video_url_expires_at: str | None = None
    local_path: str | None = None
    download_url: str | None = Field(None, description="hosted: a signed link to the verified file (expires)")
    size_bytes: int | None = None
    sha256: str | None = None
    verified: str | None = Field(None, description="what the saved file was checked against")
    actual_prompt: str | None = None
    billed_seconds: float | None = None
    cost: float | None = Field(None, description="what the billed seconds cost at the quoted price")
    currency: str | None = None
    usage: dict[str, Any] | None = None
    error: ErrorView | None = None
    video: dict[str, Any] | None = Field(None, description="the file as probed: duration, size, fps, codecs, sound")
    mismatches: list[str] | None = Field(None, description="where the video differs from what was asked")
    segments: list[dict[str, Any]] | None = Field(None, description="long videos and extensions: each segment job")
    message: str = Field(description="what to tell the user now")


class SubmitView(BaseModel):
    """The answer to submit_video: the job (or, with dry_run, only the plan)."""

    dry_run: bool
    mode: str
    model: str
    request: dict[str, Any] = Field(description="the DashScope request as sent (method, path, headers, body; no key)")
    estimate: EstimateView
    notes: list[str] = Field(description="guardrails and what was defaulted: relay the important ones to the user")
    task: TaskView | None = Field(None, description="the submitted job; null for a dry run")
    message: str


class TaskList(BaseModel):
    """Jobs from the journal, newest first."""

    tasks: list[TaskView]
    count: int
    note: str | None = Field(None, description="set when the journal was rebuilt after damage")


class CancelView(BaseModel):
    """The result of a cancellation."""

    handle: str
    task_id: str | None
    canceled: bool
    status: ApiStatus | None
    message: str


class ModelView(BaseModel):
    """One model, with every limit from the catalog."""

    id: str
    name_in_region: str | None
    offered_in_region: bool
    regions: dict[str, str]
    summary: str
    default_for_mode: bool
    preview: bool
    parameter_style: str
    sizes: list[str] = []
    resolutions: list[str] = []
    aspect_ratios: list[str] = []
    durations: str | None
    duration_min: int | None = None
    duration_max: int | None = None
    duration_choices: list[int] | None = None
    sound: str = Field(description="silent | auto (always makes sound) | switch (generate_audio on/off) | driven")
    soundtrack: bool = Field(description="takes your own audio file (`audio`)")
    multi_shot: bool
    prompt: str
    prompt_max_chars: int | None
    negative_prompt_max_chars: int | None
    required: list[str]
    optional: list[str]
    functions: dict[str, str] | None = None
    media_limits: dict[str, str] = {}
    submit_rps: int | None = None
    concurrent_tasks: int | None = None
    typical_wait: str
    price_per_second: dict[str, float] | None = None
    price_currency: str | None = None
    price_is_estimate: bool = True
    notes: list[str] = []


class ModeView(BaseModel):
    mode: str
    title: str
    use_when: str
    default_model: str | None
    models: list[ModelView]


class ModesView(BaseModel):
    """The catalog for one region: modes → models."""

    region: str
    modes: list[ModeView]
    guardrails: list[str]


class ModeSummary(BaseModel):
    """One mode in the overview: when to use it, its default model, the models that serve it."""

    mode: str
    use_when: str
    default_model: str | None
    models: list[str]


class ModesOverview(BaseModel):
    """list_modes without a model: every mode of a region, each model in one line."""

    message: str
    region: str
    modes: list[ModeSummary]
    models: dict[str, str] = Field(description="model id → its key limits in one line")


class ModelLimits(BaseModel):
    """list_modes with a model: all its limits in a region, and where each number comes from."""

    message: str
    id: str
    summary: str
    name_in_region: str | None = None
    regions: list[str]
    names: dict[str, str] = Field({}, description="region → the model's name there, where it is not the id")
    preview: bool
    modes: dict[str, dict[str, Any] | str] = Field(description="mode → its media inputs (VACE: per function)")
    default_for: list[str]
    parameter_style: str
    resolutions: list[str] = []
    sizes: list[str] = []
    aspect_ratios: list[str] = []
    durations: str
    sound: str
    soundtrack: bool
    multi_shot: bool
    prompt: str
    prompt_max_chars: int | None = None
    negative_prompt_max_chars: int | None = None
    references: dict[str, int] = {}
    media_limits: dict[str, str] = {}
    submit_rps: int | None = None
    concurrent_tasks: int | None = None
    typical_wait: str
    price_per_second: dict[str, float] | None = None
    price_currency: str | None = None
    price_is_estimate: bool = True
    notes: list[str] = []
    sources: dict[str, str] = Field(description="fact → where its number comes from")
