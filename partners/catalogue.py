"""The vendors of a retailer's catalogue, as Partner Permissions lists them.

Products belong to the inventory app, above this one, so inventory registers how to read
and link them (`register`, from its AppConfig.ready); this module groups what it reads.

A catalogue's vendor names are messy ("E AND J GALLO WINERY", "E & J Gallo Winery",
"Cedar Ridge Vineyards,LLC"): names with the same `vendor_key` are one vendor, shown once
under its most used spelling with the products of every spelling."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Protocol

from accounts.models import Organization
from accounts.names import organization_name_key

# Words that say what kind of company it is, not which: dropped from the end of a name.
LEGAL_WORDS = {
    "co", "company", "corp", "corporation", "inc", "incorporated", "llc", "llp", "lp",
    "ltd", "limited", "plc",
}  # fmt: skip


def vendor_key(name: str) -> str:
    """One vendor, one key: NFKC, case-folded, "&" read as "and", punctuation as spaces,
    single spaces, without a leading "the" and trailing legal words ("Sazerac Co., Inc."
    and "SAZERAC" are one). A name made only of such words keeps them."""
    text = unicodedata.normalize("NFKC", name or "").casefold().replace("&", " and ")
    words = re.sub(r"[\W_]+", " ", text).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_WORDS:
        words.pop()
    return " ".join(words)


class Catalogue(Protocol):
    def vendor_names(self, owner: Organization) -> list[tuple[str, int | None, int]]:
        """(vendor name, vendor organization id or None, products) for each distinct pair."""

    def link_vendor(self, owner: Organization, names: list[str], vendor: Organization) -> int:
        """Make the owner's products named `names` (and not yet any organization's) the
        vendor's; return how many."""


_registered: list[Catalogue] = []


def register(catalogue: Catalogue) -> None:
    _registered[:] = [catalogue]


def _rows(owner):
    return _registered[0].vendor_names(owner) if _registered else []


@dataclass
class CatalogueVendor:
    """One vendor of the catalogue: an organization on Shelfshare, or names only."""

    key: str
    name: str
    products: int = 0
    organization: Organization | None = None
    spellings: dict = field(default_factory=dict)  # spelling: products

    @property
    def token(self):
        """A stable, HTML-safe id for the vendor's row."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:12]


def _best_spelling(spellings):
    # The most used; among equals the one not shouting, then the first alphabetically.
    return min(spellings, key=lambda s: (-spellings[s], s.isupper(), s))


def catalogue_vendors(owner: Organization) -> tuple[dict, dict]:
    """The owner's catalogue vendors: ({organization id: products}, {key: CatalogueVendor
    not on Shelfshare}). Names of products not linked to an organization fold into an
    organization whose linked names, or whose own name, have the same key."""
    linked, loose = {}, {}
    org_keys = {}
    for name, org_id, count in _rows(owner):
        if org_id is not None:
            linked[org_id] = linked.get(org_id, 0) + count
            if name:
                org_keys.setdefault(vendor_key(name), org_id)
        elif name.strip():
            loose.setdefault(vendor_key(name), {})[name] = count
    if loose:
        # Vendors on Shelfshare whose name is one of the loose spellings.
        name_keys = {organization_name_key(s): s for spellings in loose.values() for s in spellings}
        for pk, org_name in Organization.objects.filter(
            is_vendor=True, name_key__in=list(name_keys)
        ).values_list("pk", "name"):
            org_keys.setdefault(vendor_key(org_name), pk)
    free = {}
    for key, spellings in loose.items():
        count = sum(spellings.values())
        if key in org_keys:
            linked[org_keys[key]] = linked.get(org_keys[key], 0) + count
        else:
            free[key] = CatalogueVendor(
                key=key, name=_best_spelling(spellings), products=count, spellings=spellings
            )
    return linked, free


def catalogue_vendor(owner: Organization, key: str) -> CatalogueVendor | None:
    """The owner's catalogue vendor not on Shelfshare with this key, or None."""
    return catalogue_vendors(owner)[1].get(vendor_key(key)) if key else None


def link_vendor_products(*, owner: Organization, vendor: Organization, keys) -> int:
    """Make the owner's products of the vendor names with these keys, not yet any
    organization's, the vendor's. Runs inside the approval's transaction."""
    keys = {k for k in keys if k}
    if not _registered or not keys:
        return 0
    names = [n for n, org_id, _ in _rows(owner) if org_id is None and vendor_key(n) in keys]
    return _registered[0].link_vendor(owner, names, vendor) if names else 0
