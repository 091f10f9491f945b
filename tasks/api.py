"""Merchandising tasks through the API: the task list's rows and filters, and a partner's
update of a task with the task page's checks (its store in the partner's geography, the
task's version as read)."""

from datetime import date

from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from accounts.api import require_write
from core.api import ApiError, Paging, decode_cursor, encode_cursor, not_found, page
from core.versions import StaleVersion
from partners.api import access_or_404, refuse_filter_errors
from tasks import photos as task_photos
from tasks import services
from tasks.forms import TaskFilter
from tasks.models import Task
from tasks.selectors import may_see_tasks, visible_tasks

router = Router(tags=["Tasks"])


class TaskOut(Schema):
    id: int
    title: str
    instructions: str
    store_id: int
    store: str
    due_date: date | None
    priority: str
    status: str
    percent_done: int
    cannot_complete_reason: str
    campaign: str | None
    updated_at: str
    version: int


class TaskFilters(Paging):
    q: str | None = Field(None, description="Part of the title")
    store: str | None = Field(None, description="A store number")
    status: str | None = Field(
        None, description="open, in_progress, done, cannot_complete or all; open and in "
        "progress when left out",
    )  # fmt: skip
    due_before: str | None = Field(None, description="YYYY-MM-DD")
    overdue: bool | None = None


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


@router.get(
    "/organizations/{int:organization_id}/tasks",
    response=TaskPage,
    summary="Tasks: your own, or those in the stores you merchandise for an owner",
)
def tasks(request, organization_id: int, filters: Query[TaskFilters]):
    access = access_or_404(request, organization_id, allowed=may_see_tasks)
    limit = filters.limit
    after = decode_cursor(filters.cursor, int)
    params = filters.model_dump(exclude={"cursor", "limit"}, exclude_none=True)
    task_filter = TaskFilter(
        {k: str(v) for k, v in params.items()}, queryset=visible_tasks(access), access=access
    )
    refuse_filter_errors(task_filter)
    found = task_filter.qs.select_related("store", "campaign")
    if after:
        found = found.filter(pk__gt=after[0])
    rows = [_task_out(task) for task in found.order_by("pk")[: limit + 1]]
    return page(rows, limit, lambda row: encode_cursor(row["id"]))


def _task_out(task):
    return {
        "id": task.pk,
        "title": task.title,
        "instructions": task.instructions,
        "store_id": task.store_id,
        "store": task.store.number,
        "due_date": task.due_date,
        "priority": task.priority,
        "status": task.status,
        "percent_done": task.percent_done,
        "cannot_complete_reason": task.cannot_complete_reason,
        "campaign": task.campaign.title if task.campaign_id else None,
        "updated_at": task.updated_at.isoformat(),
        "version": task.version,
    }


class TaskUpdateIn(Schema):
    model_config = {"extra": "forbid"}

    status: str | None = Field(None, description="Left out: the task keeps its status")
    percent: int | None = Field(None, description="0 to 100; left out: unchanged")
    note: str = ""
    reason: str = Field("", description="Why the task cannot be completed")
    version: int = Field(..., description="The task's version as you read it")


class TaskUpdateOut(Schema):
    id: int
    photos: int = Field(0, description="How many photos the update keeps")
    task: TaskOut


@router.post(
    "/organizations/{int:organization_id}/tasks/{int:task_id}/updates",
    response={201: TaskUpdateOut},
    summary="Post progress, a status or a note on a task",
)
def task_update(request, organization_id: int, task_id: int, payload: TaskUpdateIn):
    """The task page's update, as JSON; photos go to …/photos, as a form with files."""
    access, task = _task_to_update(request, organization_id, task_id)
    return _post_update(
        request, access, task, note=payload.note, percent=payload.percent, status=payload.status,
        reason=payload.reason, version=payload.version,
    )  # fmt: skip


@router.post(
    "/organizations/{int:organization_id}/tasks/{int:task_id}/photos",
    response={201: TaskUpdateOut},
    summary="Post photos of the work on a task, as an update",
)
def task_photos_update(
    request, organization_id: int, task_id: int,
    photos: File[list[UploadedFile]],
    version: Form[int],
    note: Form[str] = "",
):  # fmt: skip
    """multipart/form-data: one to TASK_PHOTOS_PER_UPDATE (5) JPEG, PNG or WebP `photos`,
    the task's `version` and an optional `note`. The task page's checks: each file's size,
    type and pixel count; each is kept re-encoded from its pixels alone, so no location or
    device data reaches the partner who sees it. The task keeps its status and progress."""
    access, task = _task_to_update(request, organization_id, task_id)
    try:
        cleaned = task_photos.clean_photos(photos)
    except task_photos.PhotoRefused as refused:
        raise ApiError(
            422, "photo_refused", str(refused),
            errors=[{"field": "photos", "message": str(refused)}],
        ) from None  # fmt: skip
    return _post_update(request, access, task, note=note, photos=cleaned, version=version)


def _task_to_update(request, organization_id, task_id):
    access = access_or_404(request, organization_id, allowed=may_see_tasks)
    task = visible_tasks(access).filter(pk=task_id).first()
    if task is None:
        raise not_found("task")
    require_write(request)
    return access, task


def _post_update(request, access, task, **changes):
    try:
        update = services.post_update(
            task_id=task.pk, viewer=access.viewer, actor=request.auth.created_by,
            **changes,
        )  # fmt: skip
    except StaleVersion as stale:
        raise ApiError(409, "stale_version", str(stale)) from None
    except services.TaskRefused as refused:
        raise ApiError(422, "refused", str(refused)) from None
    task = Task.objects.select_related("store", "campaign").get(pk=task.pk)
    return Status(
        201, {"id": update.pk, "photos": len(changes.get("photos", ())), "task": _task_out(task)}
    )
