import datetime
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.emails import queue_password_reset_email
from accounts.models import ApiToken, Membership, Organization, User
from accounts.names import MAX_LENGTH, normalize_organization_name, organization_name_key

ALREADY_ON_SHELFSHARE = (
    "{name} is already on Shelfshare. Ask one of its admins to invite you instead."
)


def clean_organization_name(value, *, taken=ALREADY_ON_SHELFSHARE, exclude=None) -> str:
    """An organization name as it will be stored (accounts/names.py). Refused when nothing
    of it shows, when it is too long, or when it is one of an existing organization's
    look-alikes: `taken` is the message then, with {name} the existing name."""
    name = normalize_organization_name(value)
    if not name:
        raise forms.ValidationError("Give a name with letters or digits that show.")
    if len(name) > MAX_LENGTH:  # NFKC spells a few characters ("㍿") as several
        raise forms.ValidationError(
            f"Keep the name to {MAX_LENGTH} characters (it has {len(name):,})."
        )
    existing = Organization.objects.filter(name_key=organization_name_key(name))
    if exclude is not None:
        existing = existing.exclude(pk=exclude.pk)
    existing = existing.first()
    if existing is not None:
        raise forms.ValidationError(taken.format(name=existing.name))
    return name


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. "
        "Check both and try again, or reset your password.",
    }


class PasswordFieldsMixin(forms.Form):
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self):
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError("The two passwords differ.")
        return p2

    def validate_password_for(self, user):
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)


class OrganizationFieldsMixin(forms.Form):
    organization_name = forms.CharField(label="Company name", max_length=MAX_LENGTH)
    kinds = forms.MultipleChoiceField(
        label="We are a",
        choices=[
            ("retailer", "Retailer or brand (we own stores and data)"),
            ("merchandiser", "Merchandiser (we work in stores for others)"),
            ("vendor", "Vendor (we supply products)"),
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text="Pick every one that applies.",
    )

    def clean_organization_name(self):
        return clean_organization_name(self.cleaned_data["organization_name"])

    def organization_kwargs(self):
        kinds = set(self.cleaned_data["kinds"])
        return {
            "name": self.cleaned_data["organization_name"],
            "is_retailer": "retailer" in kinds,
            "is_merchandiser": "merchandiser" in kinds,
            "is_vendor": "vendor" in kinds,
        }


class SignupForm(OrganizationFieldsMixin, PasswordFieldsMixin):
    full_name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(
        label="Work email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    field_order = ["full_name", "email", "password1", "password2", "organization_name", "kinds"]

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in, or reset your password."
            )
        return email

    def clean(self):
        cleaned = super().clean()
        self.validate_password_for(
            User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
        )
        return cleaned


class OrganizationCreateForm(OrganizationFieldsMixin):
    pass


class JoinForm(PasswordFieldsMixin):
    """An invitee without an account sets a name and password."""

    full_name = forms.CharField(label="Your name", max_length=150)
    field_order = ["full_name", "password1", "password2"]

    def __init__(self, *args, email, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        self.validate_password_for(User(email=self.email, full_name=cleaned.get("full_name", "")))
        return cleaned


class InviteForm(forms.Form):
    email = forms.EmailField(label="Colleague's email")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, organization, inviter_role, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)
        if inviter_role != Membership.Role.OWNER:
            # Only owners make owners.
            self.fields["role"].choices = [
                c for c in Membership.Role.choices if c[0] != Membership.Role.OWNER
            ]

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if Membership.objects.filter(
            organization=self.organization, user__email__iexact=email
        ).exists():
            raise forms.ValidationError("This person is already a member.")
        return email


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "currency"]
        labels = {"name": "Company name"}
        help_texts = {
            "name": "As partners find and see it.",
            "currency": "The currency of its prices and sales. Changing it relabels the money "
            "already loaded; it converts nothing.",
        }

    def clean_name(self):
        return clean_organization_name(
            self.cleaned_data["name"],
            taken="{name} is already on Shelfshare: choose another name.",
            exclude=self.instance,
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset email goes through the outbox, never inside the request. get_users()
    finds only active accounts with a usable password, and the outbox checks again when it
    sends."""

    def save(self, **kwargs):
        with transaction.atomic():
            for user in self.get_users(self.cleaned_data["email"]):
                queue_password_reset_email(user=user)


class UploadForm(forms.Form):
    """A file for an import. Empty files pass the form so the reader can say so in its own
    words; the importer adds its option fields (a default store for sales)."""

    file = forms.FileField(label="CSV file", allow_empty_file=True)


def _day(day: datetime.date) -> str:
    return date_format(day, "M j, Y")


class ApiTokenForm(forms.Form):
    """A new API token: what uses it, what it may do, and when it stops working."""

    NAME_LENGTH = ApiToken._meta.get_field("name").max_length
    # An expiry further out than this is a typo (year 2206) more often than a wish: a token
    # that should never expire says so.
    LONGEST_EXPIRY = datetime.timedelta(days=5 * 365)

    name = forms.CharField(
        label="Name",
        max_length=NAME_LENGTH,
        help_text="What will use it, e.g. “Nightly stock sync”. Give each program its own "
        "token: revoking one then stops only that program.",
        error_messages={
            "required": "Name the token after the program that will use it.",
            "max_length": "Keep the name to %(limit_value)d characters (it has %(show_value)d).",
        },
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=[
            (ApiToken.Scope.READ, "Read: the program sees the data and changes nothing"),
            (
                ApiToken.Scope.WRITE,
                "Read and write: the program also sends products, stock levels and sales",
            ),
        ],
        widget=forms.RadioSelect,
        initial=ApiToken.Scope.READ,
        error_messages={"required": "Choose what the token may do."},
    )
    expires = forms.ChoiceField(
        label="Expires",
        widget=forms.RadioSelect,
        initial="never",
        error_messages={"required": "Choose when the token stops working."},
    )
    expires_on = forms.DateField(
        label="Expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Give the date as year-month-day, e.g. 2027-03-31."},
    )

    def __init__(self, *args, organization, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["expires"].choices = [("never", "Never")] + [
            (str(days), f"{label} ({_day(today + datetime.timedelta(days=days))})")
            for days, label in [(30, "In 30 days"), (90, "In 90 days"), (365, "In a year")]
        ] + [("date", "On a date")]  # fmt: skip
        self.fields["expires_on"].widget.attrs.update(
            {
                "min": (today + datetime.timedelta(days=1)).isoformat(),
                "max": (today + self.LONGEST_EXPIRY).isoformat(),
                "data-picks": "expires=date",  # static/js/app.js: typing a date picks "On a date"
            }
        )
        self.fields["expires_on"].help_text = (
            "It stops working at the end of that day "
            f"({timezone.get_current_timezone_name()} time)."
        )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())  # tabs and line breaks: one space
        if not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"])
        if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
            raise forms.ValidationError("Use letters, digits and punctuation only.")
        if self._live().filter(name__iexact=name).exists():
            raise forms.ValidationError(
                f"A live token is already called “{name}”. Give this one another name, so "
                "the list tells them apart."
            )
        return name

    def _live(self):
        return ApiToken.objects.for_org(self.organization).filter(
            Q(expires_at=None) | Q(expires_at__gt=timezone.now()), revoked_at=None
        )

    def clean(self):
        cleaned = super().clean()
        most = settings.API_TOKENS_PER_ORGANIZATION
        if self._live().count() >= most:
            # Tokens nobody revokes pile up: each is a key that works somewhere.
            raise forms.ValidationError(
                f"{self.organization.name} has {most} live token{'s' if most != 1 else ''}, "
                "the most an organization may have. Revoke one that is no longer used (the "
                "list shows when each was last used), then create this one."
            )
        expires, day = cleaned.get("expires"), cleaned.get("expires_on")
        if expires == "date" and day is None and "expires_on" not in self.errors:
            self.add_error("expires_on", "Pick the day it stops working, or choose another expiry.")
        elif expires == "date" and day is not None:
            today = timezone.localdate()
            if day <= today:
                self.add_error("expires_on", "Pick a day after today.")
            elif day > today + self.LONGEST_EXPIRY:
                self.add_error(
                    "expires_on",
                    f"Pick a day by {_day(today + self.LONGEST_EXPIRY)}, or choose “Never”.",
                )
        elif expires and expires != "date" and day is not None:
            # Without JavaScript nothing picks "On a date" when a date is typed in.
            self.add_error(
                "expires_on",
                "Choose “On a date” to use this date, or clear it to keep the expiry chosen.",
            )
        return cleaned

    def expires_at(self) -> datetime.datetime | None:
        expires = self.cleaned_data["expires"]
        if expires == "never":
            return None
        if expires == "date":
            end_of_day = datetime.datetime.combine(
                self.cleaned_data["expires_on"], datetime.time.max
            )
            return timezone.make_aware(end_of_day)
        return timezone.now() + datetime.timedelta(days=int(expires))
