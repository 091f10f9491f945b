"""A CSV store list → the organization's stores it names. One component with one behaviour,
used by custom regions, partnership geographies and task campaigns: the stores found apply,
and the numbers that match none of the organization's stores are listed back to the user."""

from dataclasses import dataclass

from accounts.imports import StoreListImporter, clean_number
from accounts.models import Store
from core.imports.reading import ImportRejected
from core.imports.service import read_upload

SHOWN = 30


@dataclass
class StoreList:
    stores: list  # the organization's stores named in the list, by store number
    unknown: list[str]  # numbers in the list that match none of them, in file order

    def unknown_message(self) -> str:
        """What to tell the user about the numbers that were left out ("" if none were)."""
        if not self.unknown:
            return ""
        count = len(self.unknown)
        shown = ", ".join(self.unknown[:SHOWN]) + (" …" if count > SHOWN else "")
        return (
            f"{count} number{'s' if count != 1 else ''} matched none of your stores and "
            f"{'were' if count != 1 else 'was'} left out: {shown}"
        )


def read_store_list(organization, uploaded_file) -> StoreList:
    """The stores of `organization` that a CSV store list names. Raises ImportRejected when
    the file cannot be read or names no store at all."""
    numbers = store_numbers(uploaded_file)
    if not numbers:
        raise ImportRejected("The store list has no store numbers in it.")
    stores = list(Store.objects.for_org(organization).filter(number__in=numbers).by_number())
    found = {store.number for store in stores}
    unknown = [number for number in numbers if number not in found]
    if not stores:
        raise ImportRejected(
            "None of the numbers in the store list is one of your stores: "
            + ", ".join(unknown[:SHOWN])
            + (" …" if len(unknown) > SHOWN else "")
        )
    return StoreList(stores=stores, unknown=unknown)


def store_numbers(uploaded_file) -> list[str]:
    """The store numbers of a CSV store list, in file order, without repeats."""
    importer = StoreListImporter()  # a bare column of numbers reads as numbers, one or many
    table = importer.read(read_upload(uploaded_file))
    mapping = importer.guess_mapping(table.header)
    if "number" not in mapping:
        raise ImportRejected(
            "No column of store numbers was found. Name it 'Store number' (or 'store #', "
            "'storenum', 'ID') and upload again."
        )
    index = mapping["number"]
    numbers = (
        clean_number(cells[index]) if index < len(cells) else "" for _line, cells in table.rows()
    )
    return list(dict.fromkeys(n for n in numbers if n))
