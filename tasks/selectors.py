"""The tasks a viewer may see, for the pages and the API alike: an owner sees its own, a
merchandising partner those at the stores shared with it for tasks (partners/access.py);
a vendor share sees none."""

from tasks.models import Task


def may_see_tasks(access):
    return access.is_owner or bool(access.task_store_ids())


def visible_tasks(access):
    tasks = Task.objects.filter(organization=access.owner)
    store_ids = access.task_store_ids()
    if store_ids is not None:
        tasks = tasks.filter(store_id__in=sorted(store_ids))
    return tasks
