"""Master accounts in the account switcher and in request tenancy: users of a master enter
each of its child accounts. Registered with accounts/tenancy.py when the app is ready."""

from accounts.tenancy import AccountTree
from aggregation.models import Connection


class MasterAccountTree(AccountTree):
    def children_by_master(self, user) -> dict:
        children = {}
        for connection in Connection.objects.filter(
            master__organization__memberships__user=user
        ).select_related("child", "master"):
            children.setdefault(connection.master.organization_id, []).append(connection.child)
        return children

    def master_of(self, user, organization_id):
        connection = (
            Connection.objects.filter(
                child_id=organization_id, master__organization__memberships__user=user
            )
            .select_related("child", "master__organization")
            .first()
        )
        if connection is None:
            return None
        return connection.child, connection.master.organization
