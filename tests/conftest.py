import os
import shutil

import pytest
from django.test import Client

from accounts.models import Membership
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Heartland Test Mart")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Elsewhere Retail")


@pytest.fixture
def owner(org):
    return MembershipFactory(
        organization=org, role=Membership.Role.OWNER, user__email="owner@heartland.test"
    ).user


@pytest.fixture
def admin_user(org):
    return MembershipFactory(
        organization=org, role=Membership.Role.ADMIN, user__email="admin@heartland.test"
    ).user


@pytest.fixture
def member(org):
    return MembershipFactory(
        organization=org, role=Membership.Role.MEMBER, user__email="member@heartland.test"
    ).user


@pytest.fixture
def outsider(other_org):
    return MembershipFactory(
        organization=other_org, role=Membership.Role.OWNER, user__email="outsider@elsewhere.test"
    ).user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def member_client(member):
    return client_for(member)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def password():
    return PASSWORD


# -- Tests that need a real Celery worker (marked `worker`) -----------------------------


def pytest_collection_modifyitems(config, items):
    if os.environ.get("REDIS_URL"):
        return
    skip = pytest.mark.skip(
        reason="needs a real Celery worker: set REDIS_URL and DATABASE_URL (PostgreSQL); "
        ".ci/run does"
    )
    for item in items:
        if "worker" in item.keywords:
            item.add_marker(skip)


# -- Fail the run on any skip when CI asks for it ----------------------------------------


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("SHELFSHARE_FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"SHELFSHARE_FAIL_ON_SKIP=1: {skipped} test(s) were skipped; this run requires all.",
            red=True,
        )
        session.exitstatus = 1


def chromium_path():
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
