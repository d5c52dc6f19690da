"""A job's states, typed once, and the pure transition table of its life (design.md, "A job's life").

`TaskStatus` is DashScope's word for a task; `JobState` is the journal's word for the whole job (before the
submit, the download after it, and the endings DashScope has no word for). Every change of state goes through
`transition(state, event)`, which knows every allowed move and refuses the others; code elsewhere compares
states with these enums, never with string literals.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal, get_args

from typing_extensions import assert_never

TaskStatus = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"]
TASK_STATUSES: tuple[TaskStatus, ...] = get_args(TaskStatus)
TERMINAL_STATUSES: frozenset[TaskStatus] = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})


def task_status(raw: object) -> TaskStatus | None:
    """A DashScope status from the wire (any case), or None when it is not one of the six."""
    text = str(raw or "").strip().upper()
    for status in TASK_STATUSES:
        if status == text:
            return status
    return None


class JobState(str, Enum):
    """The journal's state of a job."""

    SUBMITTING = "submitting"  # recorded; the request may be on its way
    SUBMITTED = "submitted"  # DashScope has a task id (its status says PENDING/RUNNING/SUCCEEDED)
    UNCONFIRMED = "unconfirmed"  # sent, no answer: reconciled through the task list, never resent
    DOWNLOADING = "downloading"  # the video exists; one owner is saving it
    SAVE_FAILED = "save_failed"  # the video exists but cannot be saved (disk full, no permission): retried
    DELIVERED = "delivered"  # saved and verified
    REJECTED = "rejected"  # refused before a task existed: nothing paid
    FAILED = "failed"  # the task failed: not billed
    CANCELED = "canceled"  # cancelled while queued: not billed
    UNKNOWN = "unknown"  # DashScope no longer knows the task (ids live 24 h)
    EXPIRED = "expired"  # finished, but its URL died before the video was saved

    def __str__(self) -> str:
        return self.value


class ChainState(str, Enum):
    """A chain of jobs joined into one video (a long video, an extension)."""

    RUNNING = "running"
    DELIVERED = "delivered"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


Event = Literal[
    "accepted",  # the submit answered with a task id
    "refused",  # the submit (or an upload before it) was refused: no task
    "no_answer",  # the submit was sent, its answer was lost
    "found",  # reconciliation found the task
    "not_created",  # reconciliation proved no task exists
    "restarted",  # found mid-submit after a restart
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
    "forgotten",  # DashScope answered UNKNOWN
    "claimed",  # a download started
    "saved",  # downloaded and verified
    "download_failed",  # a transient download failure: another try later
    "save_failed",  # the file cannot be written: another try once the cause is gone
    "url_expired",
    "damaged",  # a delivered file was found damaged: download again while the URL lives
]

_ACTIVE_TASK = (JobState.SUBMITTED,)
_TABLE: dict[tuple[JobState, Event], JobState] = {
    (JobState.SUBMITTING, "accepted"): JobState.SUBMITTED,
    (JobState.SUBMITTING, "refused"): JobState.REJECTED,
    (JobState.SUBMITTING, "no_answer"): JobState.UNCONFIRMED,
    (JobState.SUBMITTING, "restarted"): JobState.UNCONFIRMED,
    (JobState.UNCONFIRMED, "found"): JobState.SUBMITTED,
    (JobState.UNCONFIRMED, "not_created"): JobState.REJECTED,
    (JobState.SUBMITTED, "queued"): JobState.SUBMITTED,
    (JobState.SUBMITTED, "running"): JobState.SUBMITTED,
    (JobState.SUBMITTED, "succeeded"): JobState.SUBMITTED,
    (JobState.SUBMITTED, "failed"): JobState.FAILED,
    (JobState.SUBMITTED, "canceled"): JobState.CANCELED,
    (JobState.SUBMITTED, "forgotten"): JobState.UNKNOWN,
    (JobState.SUBMITTED, "claimed"): JobState.DOWNLOADING,
    (JobState.SUBMITTED, "url_expired"): JobState.EXPIRED,
    (JobState.SAVE_FAILED, "claimed"): JobState.DOWNLOADING,
    (JobState.SAVE_FAILED, "url_expired"): JobState.EXPIRED,
    (JobState.DOWNLOADING, "claimed"): JobState.DOWNLOADING,  # a lease taken over from a dead owner
    (JobState.DOWNLOADING, "saved"): JobState.DELIVERED,
    (JobState.DOWNLOADING, "download_failed"): JobState.SUBMITTED,
    (JobState.DOWNLOADING, "save_failed"): JobState.SAVE_FAILED,
    (JobState.DOWNLOADING, "url_expired"): JobState.EXPIRED,
    (JobState.DELIVERED, "damaged"): JobState.SUBMITTED,
}


class IllegalTransition(ValueError):
    """A change of state that the job's life does not allow (a bug, never a user error)."""


def transition(state: JobState, event: Event) -> JobState:
    """The state after `event` in `state`; IllegalTransition when the table has no such move."""
    try:
        return _TABLE[(state, event)]
    except KeyError:
        raise IllegalTransition(f"{event!r} cannot happen to a job that is {state.value}") from None


def status_event(status: TaskStatus) -> Event:
    """The event a status answer from DashScope is."""
    match status:
        case "PENDING":
            return "queued"
        case "RUNNING":
            return "running"
        case "SUCCEEDED":
            return "succeeded"
        case "FAILED":
            return "failed"
        case "CANCELED":
            return "canceled"
        case "UNKNOWN":
            return "forgotten"
        case _:
            assert_never(status)


def is_final(state: JobState) -> bool:
    """Nothing more will happen to a job in this state."""
    match state:
        case JobState.DELIVERED | JobState.REJECTED | JobState.FAILED | JobState.CANCELED:
            return True
        case JobState.UNKNOWN | JobState.EXPIRED:
            return True
        case JobState.SUBMITTING | JobState.SUBMITTED | JobState.UNCONFIRMED:
            return False
        case JobState.DOWNLOADING | JobState.SAVE_FAILED:
            return False
        case _:
            assert_never(state)


PLANNED = "planned"  # the state a dry run's view shows: nothing was recorded or sent

FINAL_STATES: frozenset[JobState] = frozenset(s for s in JobState if is_final(s))
ACTIVE_STATES: frozenset[JobState] = frozenset(s for s in JobState if not is_final(s))
# A job that may yet cost money or already did: an identical request within the hour returns it instead.
PAID_OR_PAYING: frozenset[JobState] = frozenset(
    {JobState.SUBMITTING, JobState.SUBMITTED, JobState.UNCONFIRMED, JobState.DOWNLOADING}
    | {JobState.SAVE_FAILED, JobState.DELIVERED}
)
NOT_CHARGED: frozenset[JobState] = frozenset({JobState.REJECTED, JobState.FAILED, JobState.CANCELED})


def job_state(raw: str) -> JobState | None:
    """A journal state from a user's spelling (list_tasks filters), or None."""
    try:
        return JobState(raw.strip().lower())
    except ValueError:
        return None
