"""Store lists: the first kind of import, and the one custom regions and
partnership geographies reuse for CSV store lists."""

import re
from decimal import Decimal, InvalidOperation

from accounts.models import Store
from core.imports.base import Importer, RowInvalid
from core.imports.bulk import bulk_upsert
from core.imports.columns import Column

NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$")
NUMBER_CHARS = re.compile(r"[A-Za-z0-9 ._/-]")

COUNTRIES = {
    "us": "US", "usa": "US", "unitedstates": "US", "unitedstatesofamerica": "US",
    "ca": "CA", "canada": "CA", "mx": "MX", "mexico": "MX", "gb": "GB", "uk": "GB",
    "unitedkingdom": "GB", "greatbritain": "GB", "ie": "IE", "ireland": "IE",
    "de": "DE", "germany": "DE", "fr": "FR", "france": "FR", "au": "AU", "australia": "AU",
}  # fmt: skip

NUMBER = Column(
    "number",
    "Store number",
    ("storenumber", "storenum", "storeno", "store", "storeid", "storecode", "id",
     "locationid", "locationnumber", "sitenumber", "siteid", "shopnumber", "number"),
    required=True,
)  # fmt: skip

STORE_COLUMNS = (
    NUMBER,
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
    Column("latitude", "Latitude", ("latitude", "lat")),
    Column("longitude", "Longitude", ("longitude", "lon", "lng", "long")),
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


def _coordinate(value, label, limit):
    text = value.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowInvalid(label, f"{text!r} is not a number") from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise RowInvalid(label, f"{text} is out of range (-{limit} to {limit})")
    return number.quantize(Decimal("0.000001"))


class StoreImporter(Importer):
    kind = "stores"
    label = "Stores"
    noun = "store"
    columns = STORE_COLUMNS
    key_field = "number"

    def clean(self, values):
        number = clean_number(values.get("number", ""))
        if not number:
            raise RowInvalid("Store number", "the store number is missing")
        if len(number) > 50:
            raise RowInvalid("Store number", "the store number is longer than 50 characters")
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
                    raise RowInvalid(
                        self.column(field_name).label, f"is longer than {limit} characters"
                    )
                row[field_name] = text
        if "state" in row:
            row["state"] = row["state"].upper() if len(row["state"]) <= 3 else row["state"]
        if (
            "postal_code" in row
            and row["postal_code"].isdigit()
            and len(row["postal_code"]) in (3, 4)
        ):
            row["postal_code"] = row["postal_code"].zfill(5)  # US ZIPs that lost leading zeros
        if "country" in values:
            row["country"] = self._country(values["country"])
        if "latitude" in values or "longitude" in values:
            row["latitude"] = _coordinate(values.get("latitude", ""), "Latitude", 90)
            row["longitude"] = _coordinate(values.get("longitude", ""), "Longitude", 180)
            if (row["latitude"] is None) != (row["longitude"] is None):
                raise RowInvalid("Latitude", "give both latitude and longitude, or neither")
        return row

    def _country(self, value):
        text = value.strip()
        if not text:
            return "US"
        code = COUNTRIES.get("".join(ch for ch in text.lower() if ch.isalpha()))
        if code:
            return code
        if len(text) == 2 and text.isalpha():
            return text.upper()
        raise RowInvalid("Country", f"{text!r} is not a country name or two-letter code we know")

    def existing(self, organization, keys):
        rows = Store.objects.for_org(organization).values("number", *COMPARED)
        return {row["number"]: row for row in rows.iterator(chunk_size=5000)}

    def write(self, organization, creates, updates):
        rows = [{"organization_id": organization.pk, **row} for row in creates] + [
            {"organization_id": organization.pk, **row} for _, row in updates
        ]
        if not rows:
            return
        # New and changed stores in one upsert; only the file's columns are updated.
        bulk_upsert(
            Store,
            rows,
            unique_fields=["organization", "number"],
            update_fields=[f for f in rows[0] if f not in ("organization_id", "number")],
        )
