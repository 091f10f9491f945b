"""No lost updates: a form that edits a shared record carries the version it was read at.

Each such record has a `version` that goes up with every change (the services write it,
imports too). A save is checked under the row's lock: when the record's version is no
longer the form's, someone changed it since the page was read, and the save is refused
whole (nothing is written) with who changed what and when, so the user can review and
save again. A form without a version (a page from before this, a hand-made request) is
refused the same way."""

from django import forms
from django.utils import timezone

MISSING = "This page is out of date: reload it, check what it shows now, and save again."


class StaleVersion(Exception):
    """A save over a newer change, refused: nothing was written. str(exc) says who changed
    what and when."""


class VersionedForm(forms.Form):
    """Mixed into a form (or a ModelForm) that edits a shared record: a hidden `version`
    the page was read at. Its absence is a form error; its value is checked by the
    service, under the record's lock."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1
    )

    def clean(self):
        cleaned = super().clean()
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is None:
            return cleaned  # a new record: nothing can have changed it yet
        if cleaned.get("version") is None:
            # A hidden field's own error is not shown next to anything: say it on top.
            raise forms.ValidationError(MISSING, code="stale")
        return cleaned


def version_initial(record):
    return {"version": record.version}


def when(moment) -> str:
    """The time of a change as people say it: 10:42 today, 10:42 on Mar 3 another day
    (in the site's time zone)."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local:%b} {local.day}"


def change_words(who: str, what: str, moment) -> str:
    """Who changed what and when: Ray Rep changed status to In progress 40% at 10:42."""
    return f"{who} {what} at {when(moment)}"


def not_saved(words: str) -> str:
    return f"{words}; your change was not saved — review and save again."


def stale_message(who: str, what: str, moment) -> str:
    return not_saved(change_words(who, what, moment))


def person(user) -> str:
    if user is None:
        return "Someone"
    return user.get_full_name() or user.email


def check_version(record, version, describe) -> None:
    """Refuse the save when `record` (read under lock) is no longer at `version`.
    `version` None means the caller is not a form (a job, the demo seed): no check."""
    if version is not None and record.version != version:
        raise StaleVersion(describe(record))


def with_version(data, version):
    """The submitted data again, at the record's current version: the refused form is
    shown with the user's values, and saving it again is a save over what they now see."""
    data = data.copy()
    data["version"] = str(version)
    return data


def posted_version(request, *, required=True):
    """The version a plain form (no Django form class) posted; a missing or garbled one is
    refused like a stale one. Not `required` where the form only adds or removes one named
    thing (a store, a region, a store list): that overwrites no one's change, so it is
    checked when the page sent it and done when it did not."""
    value = request.POST.get("version", "")
    if not value and not required:
        return None
    if not value.isdigit() or len(value) > 10:
        raise StaleVersion(MISSING)
    return int(value)


def changes_in_words(form, limit=3) -> str:
    """What a form changed, for the record of the change: "changed the city to Ames and
    the phone to 555 0100"."""
    parts = []
    for name in form.changed_data:
        if name == "version" or name not in form.cleaned_data:
            continue
        value = form.cleaned_data[name]
        label = str(form.fields[name].label or name.replace("_", " ")).lower()
        shown = str(value) if value not in (None, "") else "nothing"
        parts.append(f"the {label} to {shown[:40]}")
    if not parts:
        return "saved it unchanged"
    more = len(parts) - limit
    words = ", ".join(parts[:limit]) + (f" and {more} more" if more > 0 else "")
    return f"changed {words}"
