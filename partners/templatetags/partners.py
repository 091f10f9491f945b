from django import template

from partners.models import Partnership

register = template.Library()


@register.simple_tag
def partnership_actions(partnership, organization):
    """The transitions this organization's side may make now (managers only: the caller checks)."""
    side = partnership.side_of(organization)
    return [
        action
        for action, (from_status, _to, action_side) in Partnership.TRANSITIONS.items()
        if action_side == side and partnership.status == from_status
    ]
