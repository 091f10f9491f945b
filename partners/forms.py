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
