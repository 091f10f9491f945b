"""The pages of the import machinery: upload → preview (and column mapping) → confirm → apply."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import dateformat
from django.views.decorators.http import require_POST

from accounts.forms import UploadForm
from accounts.models import Membership
from accounts.tenancy import organization_required
from core.imports import service
from core.imports.base import get_progress
from core.imports.reading import ImportRejected
from core.imports.registry import importer_for
from core.imports.values import DATE_ORDERS, NUMBER_STYLES
from core.models import ImportBatch
from core.tenancy import get_for_org_or_404

MANAGERS = Membership.MANAGERS
ERRORS_SHOWN = 200


def _importer(kind, *, listed_only=False):
    importer = importer_for(kind)
    if importer is None or (listed_only and not importer.listed):
        raise Http404("No such import.")
    return importer


@organization_required(*MANAGERS)
def import_upload(request, kind):
    importer = _importer(kind, listed_only=True)
    form = UploadForm(request.POST or None, request.FILES or None)
    for name, field in importer.option_fields.items():
        form.fields[name] = field
    if request.method == "POST" and form.is_valid():
        options = {
            name: form.cleaned_data[name]
            for name in importer.option_fields
            if form.cleaned_data.get(name)
        }
        try:
            batch = service.start_import(
                organization=request.organization,
                user=request.user,
                importer=importer,
                uploaded_file=form.cleaned_data["file"],
                options=options,
            )
        except ImportRejected as rejected:
            form.add_error("file", str(rejected))
        else:
            return redirect(batch)
    history = (
        ImportBatch.objects.for_org(request.organization)
        .filter(kind=kind)
        .select_related("uploaded_by")[:20]
    )
    return render(
        request,
        "accounts/import_upload.html",
        {
            "form": form,
            "importer": importer,
            "history": history,
            "max_size": settings.IMPORT_MAX_BYTES,
            "tab": "imports",
        },
    )


@organization_required(*MANAGERS)
def import_detail(request, import_batch_id):
    batch = get_for_org_or_404(
        ImportBatch.objects.select_related("uploaded_by"), request.organization, pk=import_batch_id
    )
    importer = _importer(batch.kind)
    context = {
        "batch": batch,
        "importer": importer,
        "errors": batch.errors[:ERRORS_SHOWN],
        "more_errors": max(0, batch.error_count - ERRORS_SHOWN),
        "mapping_rows": _mapping_rows(batch, importer),
        "details": batch.details or {},
        "back_link": importer.back_link(batch),
        "choices": _reading_choices(batch),
        "missing": importer.missing_required(batch.mapping),
        "progress": get_progress(batch.pk) if batch.is_running else None,
        "tab": "imports",
    }
    if request.htmx and batch.is_running:
        return render(request, "accounts/import_detail.html#progress", context)
    if request.htmx:
        # Finished while the page was polling: reload the whole page.
        response = render(request, "accounts/import_detail.html#progress", context)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "accounts/import_detail.html", context)


def _reading_choices(batch):
    """The number and date columns, each with its readings to pick from, the chosen one
    marked, and the file's example value read each way."""
    choices = []
    for column in (batch.details or {}).get("columns", []):
        reading = column.get("reading")
        if not reading or (reading["chosen"] == "iso" and not reading["by_user"]):
            continue  # year-first dates read one way only
        labels = NUMBER_STYLES if reading["kind"] == "number" else DATE_ORDERS
        # An ambiguous date column has no answer picked for the user: they choose.
        undecided_date = (
            reading["kind"] == "date" and not reading["decided"] and not reading["by_user"]
        )
        options = [
            {
                "value": value,
                "label": label,
                "short_label": label.split(" (")[0],
                "chosen": value == reading["chosen"] and not undecided_date,
                "example": _example(reading["kind"], reading["example_readings"].get(value, "")),
            }
            for value, label in labels.items()
            if reading["kind"] == "number" or value != "iso"
        ]
        if len(options) < 2:
            continue
        choices.append(
            {
                **column,
                "kind": reading["kind"],
                "options": options,
                "example": reading["example"],
                "ambiguous": not reading["decided"] and not reading["by_user"],
                "by_user": reading["by_user"],
                # No value was read differently one way or the other (quantities 1, 2):
                # "decided by the file's values" would claim more than the file says.
                "same_either_way": not reading["by_user"]
                and not reading["example"]
                and not any(reading.get("evidence", {}).values())
                and reading["chosen"] != "iso",
            }
        )
    return choices


def _example(kind, value):
    """A date read one way, written out (3 April 2026), so the two readings of 03/04/2026
    cannot be mistaken for each other; a number as it is."""
    if kind == "date" and value:
        return dateformat.format(datetime.date.fromisoformat(value), "j F Y")
    return value


def _mapping_rows(batch, importer):
    return [
        {"column": column, "chosen": batch.mapping.get(column.field)} for column in importer.columns
    ]


@require_POST
@organization_required(*MANAGERS)
def import_mapping(request, import_batch_id):
    batch = get_for_org_or_404(ImportBatch, request.organization, pk=import_batch_id)
    importer = _importer(batch.kind)
    if not batch.is_open:
        messages.error(request, service.STARTED)
        return redirect(batch)
    mapping = {}
    used = {}
    for column in importer.columns:
        raw = request.POST.get(f"map_{column.field}", "")
        if raw == "":
            continue
        try:
            index = int(raw)
        except ValueError:
            index = -1
        if not 0 <= index < len(batch.header):
            messages.error(request, f"Pick one of the file's columns for {column.label}.")
            return redirect(batch)
        if index in used:
            messages.error(
                request,
                f"The file's column {batch.header[index]!r} is chosen for both "
                f"{used[index]} and {column.label}. Each column serves one field.",
            )
            return redirect(batch)
        used[index] = column.label
        mapping[column.field] = index
    try:
        service.set_mapping(batch=batch, importer=importer, mapping=mapping)
    except (ImportRejected, service.ImportRefused) as refused:
        messages.error(request, str(refused))
        return redirect(batch)
    missing = importer.missing_required(mapping)
    if missing:
        messages.error(
            request, f"Choose the file's column for {', '.join(c.label for c in missing)}."
        )
    else:
        messages.success(request, "Columns saved. Check the preview below.")
    return redirect(batch)


@require_POST
@organization_required(*MANAGERS)
def import_reading(request, import_batch_id):
    """The user's choice of how one column's numbers or dates are written."""
    batch = get_for_org_or_404(ImportBatch, request.organization, pk=import_batch_id)
    importer = _importer(batch.kind)
    field = request.POST.get("field", "")
    choice = request.POST.get("choice", "")
    columns = {c["field"]: c for c in (batch.details or {}).get("columns", []) if c.get("reading")}
    if field not in columns:
        messages.error(request, "That column has no numbers or dates to read.")
        return redirect(batch)
    labels = NUMBER_STYLES if columns[field]["reading"]["kind"] == "number" else DATE_ORDERS
    if choice not in labels:
        messages.error(request, "Pick one of the ways offered.")
        return redirect(batch)
    try:
        service.set_reading(batch=batch, importer=importer, field=field, choice=choice)
    except (ImportRejected, service.ImportRefused) as refused:
        messages.error(request, str(refused))
        return redirect(batch)
    messages.success(
        request, f"{columns[field]['label']} is now read as {labels[choice].split(' (')[0]}."
    )
    return redirect(batch)


@require_POST
@organization_required(*MANAGERS)
def import_confirm(request, import_batch_id):
    batch = get_for_org_or_404(ImportBatch, request.organization, pk=import_batch_id)
    importer = _importer(batch.kind)
    valid_only = request.POST.get("mode") == "valid_only"
    try:
        queued = service.confirm(
            batch=batch, importer=importer, user=request.user, valid_only=valid_only
        )
    except service.ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect(batch)
    if queued:
        messages.info(
            request,
            f"Importing {batch.total_rows:,} rows in the background. You can leave this page.",
        )
    else:
        batch.refresh_from_db()
        if batch.status == ImportBatch.Status.APPLIED:
            messages.success(request, _applied_message(batch, importer))
        else:
            messages.error(request, batch.message or "The import failed; nothing was written.")
    return redirect(batch)


def _applied_message(batch, importer):
    if importer.updates_rows:
        text = (
            f"Imported: {batch.created_count:,} new and {batch.updated_count:,} updated "
            f"{importer.noun}s, {batch.unchanged:,} unchanged."
        )
    else:
        # A store list adds stores to a region or partnership; none of them is new.
        text = (
            f"Imported: {batch.created_count:,} {importer.noun}{pluralize(batch.created_count)} "
            f"{importer.created_label.lower()}, {batch.unchanged:,} "
            f"{importer.unchanged_label.lower()}."
        )
    skipped = batch.skipped_count
    if skipped:
        text += (
            f" {skipped:,} row{pluralize(skipped)} with errors "
            f"{pluralize(skipped, 'was,were')} left out."
        )
    return text


@require_POST
@organization_required(*MANAGERS)
def import_cancel(request, import_batch_id):
    batch = get_for_org_or_404(ImportBatch, request.organization, pk=import_batch_id)
    importer = _importer(batch.kind)
    if service.cancel(batch=batch):
        messages.info(request, "The import was cancelled; nothing was written.")
        # Back where the file was uploaded: a store list's region or partnership has no
        # upload page on Imports (it would be a 404).
        back = importer.back_link(batch)
        if back:
            return redirect(back[0])
        if importer.listed:
            return redirect(reverse("accounts:import_upload", args=[batch.kind]))
        return redirect("accounts:imports")
    messages.error(request, "This import has already started; it can no longer be cancelled.")
    return redirect(batch)


@require_POST
@organization_required(*MANAGERS)
def import_refresh(request, import_batch_id):
    batch = get_for_org_or_404(ImportBatch, request.organization, pk=import_batch_id)
    if batch.status == ImportBatch.Status.READY:
        try:
            service.refresh_preview(batch=batch, importer=_importer(batch.kind))
        except service.ImportRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.info(request, "The preview was recounted against your data as it is now.")
    return redirect(batch)


@organization_required(*MANAGERS)
def imports(request):
    history = ImportBatch.objects.for_org(request.organization).select_related(
        "uploaded_by", "applied_by"
    )[:100]
    return render(request, "accounts/imports.html", {"history": history, "tab": "imports"})
