"""The forms of tasks and store visits: the task list's filter, a new task or campaign,
and an update with its photos."""

import django_filters
from django import forms

from accounts.models import Organization, Region, Store
from accounts.store_lists import read_store_list
from core.imports.reading import ImportRejected
from core.limits import INSTRUCTIONS_MAX_LENGTH, NOTE_MAX_LENGTH
from core.versions import VersionedForm
from inventory.models import Product
from tasks import photos
from tasks.models import Campaign, Priority, Task, TaskUpdate


class TaskFilter(django_filters.FilterSet):
    """The task list's filter. Open and in-progress tasks unless a status is picked. The
    owner's regions, campaigns and partners are the owner's own business: a partner's list
    has no such filters."""

    q = django_filters.CharFilter(label="Title", field_name="title", lookup_expr="icontains")
    store = django_filters.CharFilter(label="Store #", method="by_store_number")
    region = django_filters.ModelChoiceFilter(
        label="Region",
        queryset=Region.objects.none(),
        empty_label="All regions",
        method="in_region",
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=[("all", "Any status"), *Task.Status.choices],
        empty_label="Open and in progress",
        method="by_status",
    )
    due_before = django_filters.DateFilter(
        label="Due by",
        field_name="due_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    overdue = django_filters.BooleanFilter(
        label="Overdue only", method="only_overdue", widget=forms.CheckboxInput
    )
    campaign = django_filters.ModelChoiceFilter(
        label="Campaign", queryset=Campaign.objects.none(), empty_label="Any campaign"
    )
    partner = django_filters.ModelChoiceFilter(
        label="Worked by",
        queryset=Organization.objects.none(),
        empty_label="Anyone",
        method="worked_by",
    )

    def __init__(self, data=None, *args, access, **kwargs):
        # Always bound, so the default (open tasks) applies to the first visit too.
        super().__init__(data if data is not None else {}, *args, **kwargs)
        if access.is_owner:
            owner = access.owner
            self.filters["region"].queryset = Region.objects.for_org(owner)
            self.filters["campaign"].queryset = Campaign.objects.for_org(owner)
            self.filters["partner"].queryset = Organization.objects.filter(
                pk__in=TaskUpdate.objects.for_org(owner)
                .exclude(actor_organization=owner)
                .values("actor_organization")
            )
        else:
            for name in ("region", "campaign", "partner"):
                del self.filters[name]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.open()
        return queryset

    def by_store_number(self, queryset, name, value):
        return queryset.filter(store__number=value.strip().lstrip("#"))

    def in_region(self, queryset, name, region):
        return queryset.filter(store__in=region.effective_stores().values("pk"))

    def by_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)

    def only_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def worked_by(self, queryset, name, partner):
        return queryset.filter(
            pk__in=TaskUpdate.objects.filter(actor_organization=partner).values("task")
        )


class TaskForm(forms.Form):
    TARGETS = [
        ("store", "One store"),
        ("region", "Every store of a custom region"),
        ("list", "A CSV store list"),
    ]
    title = forms.CharField(max_length=200)
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=INSTRUCTIONS_MAX_LENGTH
    )
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    skus = forms.CharField(
        label="Products (SKUs, optional)", required=False, max_length=2000,
        help_text="Separate SKUs with commas.",
    )  # fmt: skip
    target = forms.ChoiceField(
        label="For", choices=TARGETS, widget=forms.RadioSelect, initial="store"
    )
    store = forms.CharField(label="Store #", required=False, max_length=50)
    region = forms.ModelChoiceField(
        label="Custom region", queryset=Region.objects.none(), required=False
    )
    store_list = forms.FileField(
        label="Store list (CSV with a store number column)", required=False
    )

    unknown_stores_message = ""  # numbers of a store list that matched none of the stores

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["region"].queryset = Region.objects.for_org(owner)

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if target == "store":
            number = (cleaned.get("store") or "").strip().lstrip("#")
            store = (
                Store.objects.for_org(self.owner).filter(number=number).first() if number else None
            )
            if store is None:
                self.add_error("store", "Give the number of one of your stores.")
            cleaned["stores"] = [store] if store else []
        elif target == "region":
            region = cleaned.get("region")
            if region is None:
                self.add_error("region", "Pick one of your custom regions.")
                cleaned["stores"] = []
            else:
                cleaned["stores"] = list(region.effective_stores())
                if not cleaned["stores"]:
                    self.add_error("region", f"{region.name} has no stores yet.")
        elif target == "list":
            cleaned["stores"] = self._stores_from_list(cleaned.get("store_list"))
        skus = [s.strip() for s in (cleaned.get("skus") or "").split(",") if s.strip()]
        products = list(Product.objects.for_org(self.owner).filter(sku__in=skus))
        missing = sorted(set(skus) - {p.sku for p in products})
        if missing:
            self.add_error("skus", f"Not in your catalogue: {', '.join(missing[:10])}.")
        cleaned["products"] = products
        return cleaned

    def _stores_from_list(self, upload):
        if upload is None:
            self.add_error("store_list", "Choose a CSV file with store numbers.")
            return []
        try:
            store_list = read_store_list(self.owner, upload)
        except ImportRejected as rejected:
            self.add_error("store_list", str(rejected))
            return []
        self.unknown_stores_message = store_list.unknown_message()
        return store_list.stores


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files in one input (Django's documented pattern): cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(PhotosField, self).clean(f, initial) for f in files]


class UpdateForm(VersionedForm):
    """An update of a task, carrying the task's version as the page showed it. Only the
    fields the user changed are sent to the service (`touched`): a note leaves the status
    and progress as they are."""

    status = forms.ChoiceField(choices=Task.Status.choices)
    percent = forms.IntegerField(label="Progress (%)", min_value=0, max_value=100)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=NOTE_MAX_LENGTH
    )
    reason = forms.CharField(label="Why it cannot be completed", max_length=500, required=False)
    photos = PhotosField(label="Photos (JPEG, PNG or WebP)", required=False)
    field_order = ["status", "percent", "note", "reason", "photos"]

    def touched(self, name):
        """The value of a field the user changed from what the page showed, else None."""
        return self.cleaned_data[name] if name in self.changed_data else None

    def clean_photos(self):
        try:
            return photos.clean_photos(self.cleaned_data.get("photos"))
        except photos.PhotoRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
