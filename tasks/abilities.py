"""Who has a use for the Tasks pages: a retailer sets tasks for its stores, a merchandiser
works the tasks its retailers share. A vendor share sees no tasks, and a master account has
no stores of its own (its users work tasks by switching into a child account)."""

from accounts.abilities import may, register_ability


def may_work_tasks(membership) -> bool:
    organization = membership.organization
    if may(membership, "master"):
        return False
    return organization.is_retailer or organization.is_merchandiser


def register() -> None:
    register_ability("tasks", may_work_tasks)
