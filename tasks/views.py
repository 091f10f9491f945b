"""Tasks and store visits: one set of pages for the owner and its merchandising partners,
all through the access policy (partners/access.py). A vendor share sees no tasks."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Store
from accounts.tenancy import organization_required
from core.sorting import Duration, Natural, Ranked, Sorting
from core.versions import StaleVersion, with_version
from inventory.models import Stock
from inventory.selectors import rows_html, stock_columns, stock_rows, stock_values
from partners.access import (
    accesses_for,
    owner_access_or_404,
    shared_object_or_404,
)
from tasks import geo, services
from tasks.forms import TaskFilter, TaskForm, UpdateForm
from tasks.models import Campaign, Priority, Task, TaskPhoto, TaskUpdate, Visit
from tasks.selectors import may_see_tasks, visible_tasks

PAGE_SIZE = 50


# -- What the viewer may see ----------------------------------------------------------


def _task_or_404(request, task_id):
    return shared_object_or_404(
        Task.objects.select_related("store", "organization", "campaign"),
        request.organization,
        allowed=lambda access, task: access.may_work_tasks_at(task.store_id),
        pk=task_id,
    )


# -- Lists ------------------------------------------------------------------------------


@organization_required()
def index(request):
    """Our own tasks, or, for a partner, the owners whose tasks we work and the check-in."""
    organization = request.organization
    if organization.is_retailer or Task.objects.filter(organization=organization).exists():
        return task_list(request, organization.pk)
    owners = [
        (access.owner, visible_tasks(access).open().count())
        for access in accesses_for(organization)
        if access.task_store_ids()
    ]
    return render(
        request, "tasks/shared.html", {"owners": owners, "visits": _visits_for(organization)[:10]}
    )


# The task list's columns, each sorted by (core/sorting.py).
TASK_COLUMNS = {
    "task": ["title"],
    "store": [Natural("store__number")],
    "due": ["due_date"],
    "priority": [Ranked("priority", Priority.values)],
    "status": [Ranked("status", Task.Status.values)],
    "progress": ["percent_done"],
    "campaign": ["campaign__title"],
}


@organization_required()
def task_list(request, organization_id):
    access = owner_access_or_404(request.organization, organization_id, allowed=may_see_tasks)
    owner = access.owner
    task_filter = TaskFilter(request.GET, queryset=visible_tasks(access), access=access)
    sorting = Sorting(request, TASK_COLUMNS, default="due")
    tasks = sorting.apply(task_filter.qs.select_related("store", "campaign"))
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "access": access,
        "owner": owner,
        "filter": task_filter,
        "sorting": sorting,
        "page": page,
        "filter_query": query.urlencode(),
        "today": timezone.localdate(),
        "has_any": visible_tasks(access).exists(),
    }
    if access.is_owner:
        context["campaigns"] = _campaign_progress(Campaign.objects.for_org(owner))[:5]
        items = list(_updates(owner).order_by("-pk")[:10])
        context["activity_items"] = items
        context["activity_latest"] = items[0].pk if items else 0
    return render(request, "tasks/list.html", context)


def _updates(owner):
    return TaskUpdate.objects.for_org(owner).select_related(
        "task__store", "actor", "actor_organization"
    )


def _campaign_progress(campaigns):
    return campaigns.annotate(
        total=Count("tasks"),
        done=Count("tasks", filter=Q(tasks__status=Task.Status.DONE)),
        cannot=Count("tasks", filter=Q(tasks__status=Task.Status.CANNOT_COMPLETE)),
        progress=Avg("tasks__percent_done"),
    )


@organization_required()
def activity(request):
    """The owner's feed of task updates, polled by htmx every few seconds."""
    since = request.GET.get("since", "")
    since = int(since) if since.isdigit() else 0
    items = list(_updates(request.organization).filter(pk__gt=since).order_by("-pk")[:20])
    return render(
        request,
        "tasks/_activity.html",
        {"items": items, "latest": items[0].pk if items else since, "polling": True},
    )


# -- Creating tasks --------------------------------------------------------------------


@organization_required()
def new(request):
    owner = request.organization
    form = TaskForm(request.POST or None, request.FILES or None, owner=owner)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = services.TaskFields(
            title=data["title"],
            instructions=data["instructions"],
            due_date=data["due_date"],
            priority=data["priority"],
        )
        try:
            campaign, tasks = services.create_tasks(
                owner=owner, actor=request.user, stores=data["stores"], fields=fields,
                products=data["products"], region=data.get("region") if data["target"] == "region" else None,
            )  # fmt: skip
        except services.TaskRefused as refused:
            form.add_error(None, str(refused))
        else:
            if form.unknown_stores_message:
                messages.warning(request, form.unknown_stores_message)
            if campaign:
                messages.success(request, f"Campaign created: {len(tasks)} tasks, one per store.")
                return redirect(campaign)
            messages.success(request, f"Task created for store {tasks[0].store.number}.")
            return redirect(tasks[0])
    return render(
        request,
        "tasks/new.html",
        {"form": form, "has_stores": Store.objects.for_org(owner).exists()},
    )


# -- A task and its updates ------------------------------------------------------------


def _form_state(task):
    return {"status": task.status, "percent": task.percent_done, "version": task.version}


@organization_required()
def detail(request, task_id):
    task, access = _task_or_404(request, task_id)
    visit = _open_visit(request, task.store_id)
    form = UpdateForm(request.POST or None, request.FILES or None, initial=_form_state(task))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # Only what the user changed: a note never resets the status or progress.
            services.post_update(
                task_id=task.pk, viewer=request.organization, actor=request.user, note=data["note"],
                percent=form.touched("percent"), status=form.touched("status"), reason=data["reason"],
                photos=data["photos"], visit=visit, version=data["version"],
            )  # fmt: skip
        except StaleVersion as stale:
            task.refresh_from_db()
            form = _refused_update(request.POST, task, str(stale))
        except services.TaskRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Update saved. The store's owner sees it now.")
            return redirect(request.get_full_path())
    updates = list(
        task.updates.select_related("actor", "actor_organization").prefetch_related("photos")
    )
    return render(
        request,
        "tasks/detail.html",
        {
            "task": task,
            "access": access,
            "owner": task.organization,
            "updates": updates,
            "latest": updates[0].pk if updates else 0,
            "form": form,
            "form_version": form["version"].value(),
            "may_update": task.is_open or access.is_owner,
            "visit": visit,
            "products": task.products.all(),
        },
    )


def _refused_update(data, task, message):
    """The update form again after a refused save: the status and progress as they are now,
    the user's note and reason kept, at the task's current version, so that saving again
    is a save over what the page now shows. Photos must be picked again: a page cannot
    keep files."""
    data = with_version(data, task.version)
    data["status"], data["percent"] = task.status, str(task.percent_done)
    form = UpdateForm(data, initial=_form_state(task))
    form.is_valid()
    form.add_error(None, message)
    return form


@organization_required()
def timeline(request, task_id):
    """New entries of a task's timeline since an id, polled by htmx on the task page. When
    the task has changed since the page's form was read (`version`), a warning goes above
    the form: saving it would be refused."""
    task, _ = _task_or_404(request, task_id)
    since = request.GET.get("since", "")
    since = int(since) if since.isdigit() else 0
    form_version = request.GET.get("version", "")
    form_version = int(form_version) if form_version.isdigit() else task.version
    updates = list(
        task.updates.filter(pk__gt=since)
        .select_related("actor", "actor_organization")
        .prefetch_related("photos")
    )
    return render(
        request,
        "tasks/_timeline.html",
        {
            "task": task,
            "updates": updates,
            "latest": updates[0].pk if updates else since,
            "polling": True,
            "form_version": form_version,
            "changed_since_read": (
                services.last_task_change(task) if task.version != form_version else ""
            ),
        },
    )


@organization_required()
def photo(request, task_photo_id):
    """A proof-of-work photo, only for users who may see its task."""
    record = TaskPhoto.objects.select_related("update__task").filter(pk=task_photo_id).first()
    if record is None:
        raise Http404("No such photo.")
    _task_or_404(request, record.update.task_id)
    response = FileResponse(record.file.open("rb"), content_type=record.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = (
        f'inline; filename="task-{record.update.task_id}-photo-{record.pk}.{record.file.name.rsplit(".", 1)[-1]}"'
    )
    return response


@organization_required()
def campaign(request, campaign_id):
    item = (
        _campaign_progress(Campaign.objects.for_org(request.organization))
        .filter(pk=campaign_id)
        .first()
    )
    if item is None:
        raise Http404("No such campaign.")
    tasks = item.tasks.select_related("store").order_by("status", "store__number")
    return render(request, "tasks/campaign.html", {"campaign": item, "tasks": tasks})


# -- Store visits ----------------------------------------------------------------------


def _visits_for(organization):
    """Visits by our users, and visits to our stores."""
    return Visit.objects.filter(
        Q(organization=organization) | Q(owner=organization)
    ).select_related("store", "owner", "organization", "user")


def _open_visit(request, store_id):
    return Visit.objects.filter(
        user=request.user,
        organization=request.organization,
        store_id=store_id,
        checked_out_at__isnull=True,
    ).first()


@organization_required()
def visit_start(request):
    """Check in: near me (the browser's location) or picked from the stores shared with us."""
    _, stores = services.visitable_stores(request.organization)
    lat, lon = geo.position(request.GET)
    nearby = None
    if lat is not None and lon is not None:
        nearby = geo.nearest_stores(stores, lat, lon, settings.VISIT_RADIUS_METERS, limit=10)
    q = request.GET.get("q", "").strip()
    listed = stores.order_by("organization__name", "number")
    if q:
        listed = listed.filter(
            Q(number=q.lstrip("#")) | Q(name__icontains=q) | Q(city__icontains=q)
        )
    return render(
        request,
        "tasks/visit_start.html",
        {
            "nearby": nearby,
            "lat": lat,
            "lon": lon,
            "q": q,
            "stores": listed[:100],
            "store_count": stores.count(),
            "radius": settings.VISIT_RADIUS_METERS,
            "open_visit": Visit.objects.filter(
                user=request.user, checked_out_at__isnull=True
            ).first(),
        },
    )


@require_POST
@organization_required()
def check_in(request):
    store_id = request.POST.get("store", "")
    lat, lon = geo.position(request.POST)
    try:
        visit = services.check_in(
            viewer=request.organization, user=request.user, store_id=int(store_id) if store_id.isdigit() else 0,
            latitude=lat if lon is not None else None, longitude=lon if lat is not None else None,
        )  # fmt: skip
    except services.TaskRefused as refused:
        messages.error(request, str(refused))
        return redirect("tasks:visit_start")
    if visit.is_far:
        messages.warning(
            request,
            f"Checked in at store {visit.store.number}, {visit.distance_m:,} m from where you are. "
            "The visit is flagged as far from the store.",
        )
    else:
        messages.success(request, f"Checked in at store {visit.store.number}.")
    return redirect(visit)


def _visit_or_404(request, visit_id):
    visit = _visits_for(request.organization).filter(pk=visit_id).first()
    if visit is None:
        raise Http404("No such visit.")
    return visit


@organization_required()
def visit(request, visit_id):
    """The store as the rep walks in: every open task and the shared inventory there, across
    every owner who shares this store (or one at the same place) with the rep's organization."""
    item = _visit_or_404(request, visit_id)
    sections = []
    if item.organization_id == request.organization.pk:
        accesses, stores = services.visitable_stores(request.organization)
        for store in _same_place(item.store, stores):
            access = accesses.get(store.organization_id)
            if access is None:
                continue
            tasks = visible_tasks(access).open().filter(store=store).order_by("due_date", "pk")
            columns = stock_columns(access)
            stock = stock_values(
                Stock.objects.filter(
                    access.rows_q(only_store=store.pk), organization=store.organization
                )
            ).order_by("store_id", "product_id")[:PAGE_SIZE]
            sections.append(
                {
                    "store": store,
                    "owner": store.organization,
                    "tasks": list(tasks),
                    "columns": columns,
                    "stock_html": rows_html(
                        stock_rows(access, stock, columns),
                        store.organization,
                        access.may_adjust_stock,
                    ),
                    "may_adjust": access.may_adjust_stock,
                }
            )
    return render(
        request,
        "tasks/visit.html",
        {"visit": item, "sections": sections, "is_visitor": item.organization_id == request.organization.pk,
         "updates": item.updates.select_related("task", "actor")},
    )  # fmt: skip


def _same_place(store, stores):
    """The visited store first, then other owners' shared stores at the same place."""
    found = [store]
    if store.latitude is not None and store.longitude is not None:
        near = geo.nearest_stores(
            stores.exclude(pk=store.pk),
            store.latitude,
            store.longitude,
            settings.VISIT_SAME_PLACE_METERS,
        )
        found += [other for other, _ in near]
    elif store.address and store.postal_code:
        found += list(
            stores.exclude(pk=store.pk).filter(
                address__iexact=store.address, postal_code=store.postal_code
            )
        )
    return found


@require_POST
@organization_required()
def check_out(request, visit_id):
    item = _visit_or_404(request, visit_id)
    try:
        item = services.check_out(visit=item, user=request.user)
    except services.TaskRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, f"Checked out of store {item.store.number} after {item.minutes_in_store} min."
        )
    return redirect(item)


VISIT_COLUMNS = {
    "checked_in": ["checked_in_at"],
    "store": [Natural("store__number")],
    "owner": ["owner__name"],
    "who": ["user__full_name", "user__email"],
    "time": [Duration("checked_in_at", "checked_out_at")],
    "method": ["method", "distance_m"],
}


@organization_required()
def visits(request):
    sorting = Sorting(request, VISIT_COLUMNS, default="-checked_in")
    rows = Paginator(sorting.apply(_visits_for(request.organization)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tasks/visits.html",
        {"page": rows, "sorting": sorting, "filter_query": query.urlencode()},
    )
