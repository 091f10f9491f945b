"""What the current member may do, by name: one rule per ability, asked by the views that
enforce it and by the templates that offer it (the left menu, action buttons), so a link
or button is shown exactly when its page lets the member through.

Each rule takes the membership (its organization and role) and answers True or False.
accounts registers its own below; higher apps register theirs in `AppConfig.ready()`
(accounts never imports them), e.g. partners registers "request_partners".

    may(request.membership, "manage")                 in a view (or `ability=` below)
    {% if may.request_partners %}...{% endif %}       in a template (context processor)
"""

from collections.abc import Callable

_rules: dict[str, Callable] = {}
_refusals: dict[str, Callable] = {}
REFUSED = "Your role in this organization does not allow this."


def register_ability(name: str, rule: Callable, refusal: Callable | None = None) -> None:
    """`refusal(membership)` says why, for the 403 page of a view that asks `name`."""
    _rules[name] = rule
    if refusal is not None:
        _refusals[name] = refusal


def refusal(membership, name: str) -> str:
    return _refusals[name](membership) if name in _refusals else REFUSED


def may(membership, name: str) -> bool:
    """Whether `membership` may do `name`; no membership may do nothing."""
    if not membership:
        return False
    return bool(_rules[name](membership))


class Abilities:
    """Every registered ability of one membership, each asked once, for templates:
    `may.manage`. An unknown name is an error, so a typo never hides a button silently."""

    def __init__(self, membership):
        self._membership = membership
        self._answers = {}

    def __getitem__(self, name):
        if name not in _rules:
            raise KeyError(f"No ability named {name!r}")
        if name not in self._answers:
            self._answers[name] = may(self._membership, name)
        return self._answers[name]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __contains__(self, name):
        return name in _rules


# -- The rules accounts knows ------------------------------------------------------------


def _manage(membership) -> bool:
    """Owners and admins manage the organization: members, invitations, settings, stores,
    imports (the views say `organization_required(*MANAGERS)`: the same roles)."""
    return membership.is_manager


register_ability("manage", _manage)


def _api_tokens(membership) -> bool:
    """A token lets a program read (or change) all of the organization's data, so owners and
    admins alone see and manage tokens, in every kind of organization, a master account too."""
    return membership.is_manager


register_ability(
    "api_tokens",
    _api_tokens,
    lambda membership: (
        "Only owners and admins see and manage API tokens: a token opens the organization's "
        "data to a program."
    ),
)
