from django import forms

from accounts.forms import JoinForm, OrganizationFieldsMixin, clean_organization_name
from accounts.models import Organization, Region
from accounts.names import MAX_LENGTH
from partners.models import Partnership


class NewRequestForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=Organization.objects.none(), widget=forms.HiddenInput)
    scope = forms.ChoiceField(
        choices=Partnership.Scope.choices,
        widget=forms.RadioSelect,
        initial=Partnership.Scope.MERCHANDISING,
    )

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Organization.objects.exclude(pk=requester.pk)
        self.fields["partner"].error_messages["required"] = (
            "Find the partner by company name and pick it."
        )


class InviteRequestForm(forms.Form):
    company_name = forms.CharField(label="Company name", max_length=MAX_LENGTH)
    email = forms.EmailField(label="Their email address")
    scope = forms.ChoiceField(
        choices=Partnership.Scope.choices,
        widget=forms.RadioSelect,
        initial=Partnership.Scope.MERCHANDISING,
    )

    def clean_company_name(self):
        return clean_organization_name(
            self.cleaned_data["company_name"],
            taken="{name} is already on Shelfshare: find it by name above and request it directly.",
        )


class VendorInviteForm(forms.Form):
    """Partner Permissions, for a vendor not on Shelfshare: who at the vendor is asked."""

    email = forms.EmailField(
        label="Rep's email",
        max_length=254,
        error_messages={
            "required": "Give the email address of a rep of this vendor.",
            "invalid": "Enter a valid email address, like rep@vendor.example.",
        },
    )


class RegionPickForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), label="Custom region")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.for_org(organization)
        self.fields["region"].empty_label = "Pick a region"


class StoreListForm(forms.Form):
    file = forms.FileField(label="CSV store list", allow_empty_file=True)


class JoinAndApproveForm(OrganizationFieldsMixin, JoinForm):
    """A partner not on the platform yet: its person, its organization, in one form."""

    field_order = ["full_name", "password1", "password2", "organization_name", "kinds"]


class JoinAsMemberForm(OrganizationFieldsMixin):
    """An invited person who already has an account takes up the request for one of the
    organizations they manage, or for a new one."""

    NEW = "new"

    organization = forms.ChoiceField(label="Take up the request for", widget=forms.RadioSelect)
    field_order = ["organization", "organization_name", "kinds"]

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        self.fields["organization"].choices = [
            *((pk, o.name) for pk, o in self.organizations.items()),
            (self.NEW, "A new organization, named below"),
        ]
        self.fields["organization"].initial = next(iter(self.organizations), self.NEW)
        self.fields["organization_name"].required = False
        self.fields["organization_name"].help_text = "Only for a new organization."
        self.fields["kinds"].required = False

    def is_new(self):
        return self.cleaned_data.get("organization") == self.NEW

    def clean_organization_name(self):
        if self.data.get(self.add_prefix("organization")) != self.NEW:
            return ""
        return super().clean_organization_name()

    def clean(self):
        cleaned = super().clean()
        if self.is_new() and not cleaned.get("kinds"):
            self.add_error("kinds", "Pick what your organization is.")
        return cleaned

    def chosen(self):
        return self.organizations[self.cleaned_data["organization"]]
