"""Product matching: which products of a master's child accounts are one item of the master.

Products belong to one account each; the master rolls them up into items. Until now two
accounts' products were one item whenever their normalized SKUs were equal, which sums
Wild Turkey 101 (item 22156 of an Iowa liquor store) with a heart decoration (stock code
22156 of an online gift shop). Matching decides instead, by these rules:

1. **Same SKU, agreeing names: one item.** Products of several accounts with the same
   normalized SKU are proposed as one item, and accepted on their own only when their
   names agree. Names are compared normalized (case folded, punctuation turned into
   spaces, spaces collapsed) with rapidfuzz's ``fuzz.token_set_ratio``, which ignores
   word order and repeated words. Every name is compared with every other one (not just
   with the first account's, so the outcome does not depend on the order of the
   accounts), and the lowest score must reach ``NAME_THRESHOLD`` = 85 of 100. From the
   demo's files:

   | score | one account's name | another account's name | |
   | ---: | --- | --- | --- |
   | 100 | WHITE HANGING HEART T-LIGHT HOLDER | WHITE HANGING HEART T-LIGHT HOLDER | one item |
   | 97 | PACK OF 6 PANNETONE GIFT BOXES | PACK OF 6 PANETTONE GIFT BOXES | one item |
   | 88 | 3 TRADITIONAL COOKIE CUTTERS SET | 3 TRADITIONAl BISCUIT CUTTERS SET | one item |
   | 83 | ANTIQUE SILVER TEA GLASS ETCHED | ANTIQUE SILVER T-LIGHT GLASS | held |
   | 72 | CHRISTMAS GINGHAM HEART | GINGHAM HEART DECORATION | held |
   | 50 | Beam's 8 Star Bl Whiskey | SET 3 WICKER OVAL BASKETS W LIDS | held |
   | 28 | Wild Turkey 101 | HEART DECORATION WITH PEARLS | held |

   Every liquor-store/gift-shop collision of the demo scores 50 or less. The two
   gift-shop accounts (one shop's codes a year apart) score 72 or more on every shared
   code but three, where the later file names a stock adjustment ("dotcom", "Amazon")
   and rightly does not match. 85 also holds back the renamed items (72 to 83): summing
   two different products silently is worse than asking, and a held SKU shows on the
   Product matching page. token_set_ratio scores 100 when one name's words are all
   among the other's ("Wild Turkey 101" and "Wild Turkey 101 Mini"): a size or pack
   written in one name only is not seen as a difference.

2. **Same SKU, different names: a "same_sku" conflict**, keyed by the SKU, held apart
   until someone decides. Decided "merge": one item. Decided "apart", or not decided
   yet: each account's product is an item of its own. An "apart" decision also holds when
   the names come to agree later.

3. **Same name, different SKUs: a "same_name" conflict**, keyed by the normalized name,
   when products of at least two accounts and at least two SKUs carry exactly that
   normalized name (products would be matched by barcode the same way, had they one).
   Never merged unless decided "merge", which makes every product of that name one
   item. "apart" keeps the SKUs apart (products sharing one SKU may still be one item
   by rule 1).

4. **"apart" wins.** Merges are unions over (account, SKU) nodes (union-find): first
   rule 1's, then the decided merges in the order of (kind, key). A decided merge that
   would put products kept apart by an "apart" decision into one item is not applied,
   as a whole; its conflict says so (``applied`` is False).

5. **Item keys** are stable and unique: the smallest SKU of the item's products when the
   item holds every product with that SKU, otherwise ``"{sku}~{account id}"`` with the
   smallest account id among the item's products of that SKU ("22156~7"). Normalized
   SKUs have only letters and digits, so "~" never clashes with a SKU. A key is at most
   64 characters: a longer one is cut and ends with a hash of the whole.

``resolve()`` is pure (no database); ``matching_for(master)`` reads a master's products
and decisions and calls it."""

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Max
from rapidfuzz import fuzz

from aggregation.models import MatchDecision
from inventory.models import Product

SAME_SKU = "same_sku"
SAME_NAME = "same_name"
KINDS = (SAME_SKU, SAME_NAME)
MERGE = "merge"
APART = "apart"
ACTIONS = (MERGE, APART)

NAME_THRESHOLD = 85
KEY_LENGTH = 64

Node = tuple[int, str]  # (child account id, normalized SKU)


@dataclass(frozen=True)
class Conflict:
    kind: str  # SAME_SKU or SAME_NAME
    key: str  # the SKU, or the normalized name
    members: list[tuple[int, str, str]]  # (child id, SKU, name), by child then SKU
    action: str | None  # the decision: MERGE, APART, or None while held
    reason: str
    score: float  # the lowest similarity of two members' names, 0 to 100
    applied: bool = True  # False: a merge that "apart" decisions kept from being applied

    @property
    def held(self):
        return self.action is None


@dataclass
class Matching:
    item_of: dict[Node, str]  # every product's item key
    conflicts: list[Conflict] = field(default_factory=list)  # held first, then decided

    @property
    def held(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.held]

    def items(self) -> dict[str, list[Node]]:
        """{item key: its products, sorted}."""
        items = defaultdict(list)
        for node, key in sorted(self.item_of.items()):
            items[key].append(node)
        return dict(items)


def normalize_name(name: str) -> str:
    """Case folded, punctuation (anything not a letter or digit) turned into spaces,
    spaces collapsed: "Beam's 8-Star " -> "beam s 8 star"."""
    return " ".join(re.sub(r"[\W_]+", " ", name.casefold()).split())


def name_score(names: Iterable[str]) -> float:
    """The lowest token_set_ratio of any two of the names (normalized); 100 for one."""
    distinct = sorted({normalize_name(n) for n in names})
    return min(
        (fuzz.token_set_ratio(a, b) for i, a in enumerate(distinct) for b in distinct[i + 1 :]),
        default=100.0,
    )


def resolve(products: Iterable[tuple[int, str, str]], decisions: Iterable = ()) -> Matching:
    """Match products (child id, normalized SKU, name), one per child and SKU, under the
    decisions (kind, key, action) taken so far: tuples, or objects with those attributes."""
    names: dict[Node, str] = {}
    for child_id, sku, name in products:
        node = (child_id, sku)
        names[node] = max(name, names.get(node, name))  # a repeat: MAX(name), as the rollup
    decided = _decisions(decisions)
    by_sku, by_name = defaultdict(list), defaultdict(list)
    for node in sorted(names):
        by_sku[node[1]].append(node)
        if normalized := normalize_name(names[node]):
            by_name[normalized].append(node)

    forest = _Forest(names)
    conflicts, merges = [], []
    for sku, nodes in sorted(by_sku.items()):
        if len(nodes) < 2:
            continue
        score = name_score(names[n] for n in nodes)
        action = decided.get((SAME_SKU, sku))
        if score >= NAME_THRESHOLD and action is None:
            forest.union(nodes)
            continue
        reason = (
            f"The names differ (similarity {score:.0f}; {NAME_THRESHOLD} or more would match)."
            if score < NAME_THRESHOLD
            else f"The names agree (similarity {score:.0f}); a decision overrides that."
        )
        conflicts.append(_conflict(SAME_SKU, sku, nodes, names, action, reason, score))
        if action == APART:
            forest.keep_apart((SAME_SKU, sku), {n: n[0] for n in nodes})
        elif action == MERGE:
            merges.append(len(conflicts) - 1)
    for name, nodes in sorted(by_name.items()):
        skus = sorted({sku for _, sku in nodes})
        if len(skus) < 2 or len({child for child, _ in nodes}) < 2:
            continue
        action = decided.get((SAME_NAME, name))
        reason = f"The same name under different SKUs: {', '.join(skus)}."
        conflicts.append(_conflict(SAME_NAME, name, nodes, names, action, reason, 100.0))
        if action == APART:
            forest.keep_apart((SAME_NAME, name), {n: n[1] for n in nodes})
        elif action == MERGE:
            merges.append(len(conflicts) - 1)

    for index in sorted(merges, key=lambda i: (conflicts[i].kind, conflicts[i].key)):
        conflict = conflicts[index]
        nodes = [(child, sku) for child, sku, _ in conflict.members]
        if not forest.union(nodes):
            conflicts[index] = _refused(conflict)
    conflicts.sort(key=lambda c: (not c.held, c.kind != SAME_SKU, c.key))
    return Matching(item_of=_item_keys(forest, by_sku), conflicts=conflicts)


def _decisions(decisions) -> dict[tuple[str, str], str]:
    decided = {}
    for decision in decisions:
        if isinstance(decision, tuple | list):
            kind, key, action = decision
        else:
            kind, key, action = decision.kind, decision.key, decision.action
        if kind not in KINDS or action not in ACTIONS:
            raise ValueError(f"not a matching decision: {kind!r}, {key!r}, {action!r}")
        decided[(kind, key)] = action
    return decided


def _conflict(kind, key, nodes, names, action, reason, score):
    members = [(child, sku, names[(child, sku)]) for child, sku in nodes]
    return Conflict(kind, key, members, action, reason, round(score, 1))


def _refused(conflict):
    return Conflict(
        conflict.kind, conflict.key, conflict.members, conflict.action,
        f"{conflict.reason} Not merged: that would join products another decision keeps apart.",
        conflict.score, applied=False,
    )  # fmt: skip


class _Forest:
    """Union-find over (child, SKU) nodes. Each group also knows its "apart" constraints:
    constraint -> the side its nodes are on (a child for same_sku, a SKU for same_name);
    two groups on different sides of one constraint are never united."""

    def __init__(self, nodes):
        self.parent = {node: node for node in nodes}
        self.sides: dict[Node, dict] = {node: {} for node in nodes}

    def find(self, node):
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def keep_apart(self, constraint, side_of):
        for node, side in side_of.items():
            self.sides[self.find(node)][constraint] = side

    def union(self, nodes) -> bool:
        """Put all the nodes' groups in one, or none if a constraint forbids it."""
        roots = sorted({self.find(n) for n in nodes})
        merged = {}
        for root in roots:
            for constraint, side in self.sides[root].items():
                if merged.setdefault(constraint, side) != side:
                    return False
        for root in roots[1:]:
            self.parent[root] = roots[0]
            del self.sides[root]
        self.sides[roots[0]] = merged
        return True

    def groups(self):
        groups = defaultdict(list)
        for node in self.parent:
            groups[self.find(node)].append(node)
        return groups.values()


def _item_keys(forest, by_sku) -> dict[Node, str]:
    item_of = {}
    for nodes in forest.groups():
        sku = min(s for _, s in nodes)
        holders = [child for child, s in nodes if s == sku]
        key = sku if len(holders) == len(by_sku[sku]) else f"{sku}~{min(holders)}"
        if len(key) > KEY_LENGTH:
            digest = hashlib.blake2b(key.encode(), digest_size=5).hexdigest()
            key = f"{key[: KEY_LENGTH - len(digest) - 1]}~{digest}"
        for node in nodes:
            item_of[node] = key
    return item_of


def matching_for(master) -> Matching:
    """The matching of a master's children's products under the master's decisions: one
    product per (child, normalized SKU), named MAX(name) like the rollup names it."""
    products = (
        Product.objects.filter(organization_id__in=master.child_ids())
        .values("organization_id", "sku_normalized")
        .annotate(name=Max("name"))
        .order_by()
        .values_list("organization_id", "sku_normalized", "name")
    )
    decisions = MatchDecision.objects.filter(master=master).values_list("kind", "key", "action")
    return resolve(products, decisions)
