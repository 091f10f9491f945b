"""Store lists: the first kind of import, and the one custom regions and
partnership geographies reuse for CSV store lists."""

import re
from decimal import Decimal

from accounts.countries import COUNTRY_NAMES
from accounts.models import Region, Store
from core.imports import columns
from core.imports.base import Importer, RowInvalid, too_long
from core.imports.bulk import in_one_parameter
from core.imports.columns import Column
from core.imports.reading import ImportRejected
from core.imports.values import POINT

PLAIN_COORDINATE = re.compile(r"-?\d{1,3}(?:\.\d+)?")
MICRODEGREE = Decimal("0.000001")
NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$")
NUMBER_CHARS = re.compile(r"[A-Za-z0-9 ._/-]")

# A country as files write it (name or code, any case and spacing) -> its code: the names
# the store pages show, and the other names people use.
COUNTRIES = {
    **{"".join(ch for ch in name.lower() if ch.isalpha()): code for code, name in COUNTRY_NAMES.items()},
    "usa": "US", "unitedstatesofamerica": "US", "uk": "GB", "greatbritain": "GB",
    "england": "GB", "korea": "KR", "republicofkorea": "KR", "uae": "AE", "holland": "NL",
    "deutschland": "DE", "schweiz": "CH", "suisse": "CH", "espana": "ES", "italia": "IT",
    "prc": "CN", "peoplesrepublicofchina": "CN", "nippon": "JP",
}  # fmt: skip

STORE_NUMBER = Column(
    "number",
    "Store number",
    ("storenumber", "storenum", "storeno", "store", "storeid", "storecode", "id",
     "locationid", "locationnumber", "sitenumber", "siteid", "shopnumber", "number"),
    required=True,
)  # fmt: skip

STORE_COLUMNS = (
    STORE_NUMBER,
    Column("name", "Name", ("storename", "name", "locationname", "sitename", "shopname")),
    Column(
        "banner", "Banner / chain", ("banner", "chain", "brand", "storetype", "typestore", "format")
    ),
    Column(
        "address",
        "Address",
        ("address", "streetaddress", "streetaddr", "address1", "addressline1", "street"),
    ),
    Column("city", "City", ("city", "strcity", "town", "cityname", "addresscityname")),
    Column(
        "state",
        "State / region",
        (
            "state",
            "strstate",
            "province",
            "stateprovince",
            "stateprov",
            "stateprovcode",
            "addressstateprovcode",
            "subdivision",
            "region",
            "statecode",
        ),
    ),
    Column("postal_code", "Postal code", ("postalcode", "postcode", "zip", "zipcode", "postal")),
    Column("country", "Country", ("country", "countrycode", "countryname")),
    Column("latitude", "Latitude", ("latitude", "lat"), kind=columns.NUMBER, limit=90),
    Column(
        "longitude",
        "Longitude",
        ("longitude", "lon", "lng", "long"),
        kind=columns.NUMBER,
        limit=180,
    ),
    Column("phone", "Phone", ("phone", "phonenumber", "telephone", "tel")),
)

TEXT_LIMITS = {"name": 200, "banner": 100, "address": 255, "city": 100, "state": 100,
               "postal_code": 20, "phone": 40}  # fmt: skip
COMPARED = ("name", "banner", "address", "city", "state", "postal_code", "country",
            "latitude", "longitude", "phone")  # fmt: skip


def clean_number(value: str) -> str:
    number = value.strip()
    if number.endswith(".0") and number[:-2].isdigit():
        number = number[:-2]  # "389.0" from a spreadsheet is store 389
    return number


class StoreImporter(Importer):
    model = Store
    unique_fields = ("organization", "number")
    written_models = (Store,)
    kind = "stores"
    label = "Stores"
    noun = "store"
    columns = STORE_COLUMNS
    key_field = "number"
    notes = {
        "zip_padded": "{count} US ZIP codes had lost their leading zeros (a spreadsheet read them "
        "as numbers) and were padded to 5 digits: 501 is stored as 00501. Other countries' "
        "postal codes are kept as written.",
        "country_defaulted": "{count} stores have no country in the file and are taken to be in "
        "the United States (US).",
    }

    def clean(self, values):
        number = clean_number(values.get("number", ""))
        if not number:
            raise RowInvalid("Store number", "the store number is missing")
        if len(number) > 50:
            raise RowInvalid("Store number", too_long(number, 50))
        if not NUMBER_PATTERN.match(number):
            odd = "".join(sorted({ch for ch in number if not NUMBER_CHARS.match(ch)}))
            raise RowInvalid(
                "Store number",
                f"{number!r} has characters a store number cannot have ({odd}); "
                "is the file's separator mixed?",
            )
        row = {"number": number}
        for field_name, limit in TEXT_LIMITS.items():
            if field_name in values:
                text = " ".join(values[field_name].split())
                if len(text) > limit:
                    raise RowInvalid(self.column(field_name).label, too_long(text, limit))
                row[field_name] = text
        if "state" in row:
            row["state"] = row["state"].upper() if len(row["state"]) <= 3 else row["state"]
        if "country" in values:
            row["country"] = self._country(values["country"])
        country = row.get("country", "US")
        postal = row.get("postal_code", "")
        if country == "US" and postal.isdigit() and len(postal) in (3, 4):
            row["postal_code"] = postal.zfill(5)  # a US ZIP that lost its leading zeros
            self.note("zip_padded")
        if "latitude" in values or "longitude" in values:
            row["latitude"] = self._coordinate(values, "latitude", 90)
            row["longitude"] = self._coordinate(values, "longitude", 180)
            if (row["latitude"] is None) != (row["longitude"] is None):
                raise RowInvalid("Latitude", "give both latitude and longitude, or neither")
        return row

    def _coordinate(self, values, field_name, limit):
        text = values.get(field_name, "")
        reading = self.readings.get(field_name)
        if PLAIN_COORDINATE.fullmatch(text) and (reading is None or reading.chosen == POINT):
            # The common case, read directly: each store has its own coordinates, so the
            # remembered readings that pay off for prices only fill up here.
            number = Decimal(text)
        else:
            number = self.number(values, field_name, places=None)
        if number is None:
            return None
        if not -limit <= number <= limit:
            raise RowInvalid(
                self.label_of(field_name),
                f"{values[field_name].strip()} is out of range (-{limit} to {limit})",
            )
        return number.quantize(MICRODEGREE)

    def _country(self, value):
        text = value.strip()
        if not text:
            self.note("country_defaulted")
            return "US"
        code = COUNTRIES.get("".join(ch for ch in text.lower() if ch.isalpha()))
        if code:
            return code
        if len(text) == 2 and text.isalpha():
            return text.upper()
        raise RowInvalid("Country", f"{text!r} is not a country name or two-letter code we know")

    def existing(self, organization, keys):
        rows = Store.objects.for_org(organization).filter(**in_one_parameter("number", keys))
        return {row["number"]: row for row in rows.values("number", *COMPARED)}


class StoreListImporter(Importer):
    """A CSV store list: the organization's stores it names, put into something (a custom
    region here, a partnership's geography in partners). A number that matches none of
    the stores is a row error, so the preview lists it and "Import the valid rows only"
    applies the rest. Subclasses say what the stores go into."""

    label = "Store list"
    noun = "store"
    key_field = "number"
    columns = (STORE_NUMBER,)
    bare_column = STORE_NUMBER.label  # a column of numbers: its first line is a store
    listed = False  # made from the page of what the stores go into, not from Imports
    updates_rows = False
    create_label = "Will be added"
    created_label = "Added"
    unchanged_label = "Already in"

    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.stores = dict(Store.objects.for_org(organization).values_list("number", "pk"))
        self.target = self.target_for(organization, self.options)
        self.already = set(self.stores_in_target())

    def clean(self, values):
        number = clean_number(values.get("number", ""))
        if not number:
            raise RowInvalid("Store number", "the store number is missing")
        store_id = self.stores.get(number)
        if store_id is None:
            raise RowInvalid("Store number", f"{number} is not one of your stores")
        return {"number": number, "store_id": store_id}

    def existing(self, organization, keys):
        return {
            number: {"number": number, "store_id": self.stores[number]}
            for number in keys
            if self.stores.get(number) in self.already
        }

    def write(self, organization, creates, updates):
        if creates:
            self.add(organization, [row["store_id"] for row in creates])

    # -- what subclasses provide -------------------------------------------------------
    def target_for(self, organization, options):
        raise NotImplementedError

    def stores_in_target(self):
        raise NotImplementedError

    def add(self, organization, store_ids):
        raise NotImplementedError

    def back_link(self, batch):
        """(url, text) of the page the list was uploaded from."""
        raise NotImplementedError


class RegionStoreListImporter(StoreListImporter):
    kind = "region_stores"
    label = "Region store list"

    def target_for(self, organization, options):
        region = Region.objects.for_org(organization).filter(pk=options.get("region_id")).first()
        if region is None:
            raise ImportRejected("The region this store list was for no longer exists.")
        return region

    def stores_in_target(self):
        return self.target.effective_stores().values_list("pk", flat=True)

    def add(self, organization, store_ids):
        from accounts.services import region_add_stores  # services import this module's kin

        region_add_stores(
            region=self.target,
            stores=Store.objects.filter(pk__in=store_ids).order_by("pk"),
            actor=self.applied_by,
        )

    def back_link(self, batch):
        region = Region.objects.filter(
            organization=batch.organization, pk=batch.options.get("region_id")
        ).first()
        return (region.get_absolute_url(), f"Region {region.name}") if region else None
