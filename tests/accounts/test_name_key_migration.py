"""accounts 0008 gives every organization stored before it its name's normal form and key;
look-alikes stored before keep both organizations (and their names as they were)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0007_organization_currency")]
AFTER = [("accounts", "0008_organization_name_key")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_names_stored_before_get_their_normal_form_and_look_alikes_both_stay():
    try:
        old = migrate(BEFORE)
        organization = old.get_model("accounts", "Organization")
        for slug, name in [("acme", "Acme"), ("acme-2", "Ac\u200bme"), ("beta", "\uff22eta  Co"),
                           ("strasse", "STRASSE"), ("strasse-2", "Stra\u00dfe")]:  # fmt: skip
            organization.objects.create(slug=slug, name=name)
        new = migrate(AFTER)
        rows = dict(
            new.get_model("accounts", "Organization").objects.values_list("slug", "name_key")
        )
        names = dict(new.get_model("accounts", "Organization").objects.values_list("slug", "name"))
        assert rows["acme"] == "acme" and rows["beta"] == "beta co" and rows["strasse"] == "strasse"
        assert names["beta"] == "Beta Co"
        # The look-alikes stored before keep their names; their keys name their ids.
        assert rows["acme-2"].startswith("acme #") and names["acme-2"] == "Ac\u200bme"
        assert rows["strasse-2"].startswith("strasse #")
    finally:
        migrate(leaf_nodes())
