"""Writes the import corpus: small files shaped byte for byte like the ones real programs
write (Excel's "CSV UTF-8" with its BOM, German and French Excel with semicolons, decimal
commas and no-break spaces, Windows-1252 from old Windows programs, a UTF-8 file with one
line pasted in from a Latin-1 one).

The files are committed; tests/imports/test_corpus.py checks they are still exactly what
this script writes. Run it after changing a file here:

    python -m tests.imports.corpus.make_corpus
"""

import codecs
from pathlib import Path

HERE = Path(__file__).resolve().parent
NBSP = "\u00a0"  # Excel's thousands separator in French and other locales
NNBSP = "\u202f"  # the narrow one LibreOffice and newer French locales write


def text(lines, *, encoding="utf-8", bom=b"", newline="\r\n"):
    return bom + "".join(line + newline for line in lines).encode(encoding)


WORLD_STORES = [
    "Store number,Name,City,Country",
    "1,北京王府井店,北京,CN",
    "2,東京銀座ショップ,東京,JP",
    "3,متجر دبي مول,دبي,AE",
    "4,Café Zürich,Zürich,CH",
    "5,São Paulo Centro,São Paulo,BR",
    "6,Kraków Główny,Kraków,PL",
    "7,서울 강남점,서울,KR",
    "8,Москва Центр,Москва,RU",
]
LATIN1_LINE = 5  # the Café Zürich line, pasted in from a Latin-1 file


def _one_latin1_line():
    lines = [line.encode("utf-8") for line in WORLD_STORES]
    lines[LATIN1_LINE - 1] = WORLD_STORES[LATIN1_LINE - 1].encode("latin-1")
    return b"".join(line + b"\n" for line in lines)


FILES = {
    # Excel "CSV UTF-8" in a German locale: BOM, semicolons, day-first dates with dots,
    # decimal commas, points and no-break spaces grouping thousands, CRLF.
    "sales_semicolon_decimal_comma.csv": text(
        [
            "Date;Store;SKU;Quantity;Amount",
            "31.01.2024;101;A-100;3;45,06",
            "01.02.2024;101;B-200;12;1.234,56",
            f"02.02.2024;102;A-100;10;1{NBSP}234,56",
            "15.02.2024;102;C-300;1;0,99",
            "16.02.2024;101;C-300;-2;-1,98",
            f"20.02.2024;101;A-100;25;1{NNBSP}234,50",
            "21.02.2024;102;B-200;1000;12.345.678,90",
        ],
        bom=codecs.BOM_UTF8,
    ),
    # LibreOffice in a French locale: UTF-8 without BOM, semicolons, no-break spaces.
    "products_decimal_comma.csv": text(
        [
            "SKU;Name;Vendor;Category;Unit cost;Retail price",
            "A-100;Café moulu 500 g;Torréfaction Dupont;Épicerie;45,06;59,90",
            f"B-200;Machine à expresso;Cafés Martin;Électroménager;1{NBSP}234,56;1.599,00",
            "C-300;Tasse;Cafés Martin;Vaisselle;0,45;0,99",
            f"D-400;Torréfacteur pro;Torréfaction Dupont;Électroménager;12{NNBSP}345,67;15 000,00",
        ],
        newline="\n",
    ),
    # French Excel on Windows, "CSV (séparateur: point-virgule)": Windows-1252, and the
    # no-break space grouping thousands is the single byte A0.
    "products_fr_excel_cp1252.csv": text(
        [
            "SKU;Name;Vendor;Category;Unit cost;Retail price",
            "A-100;Café moulu 500 g;Torréfaction Dupont;Épicerie;45,06;59,90",
            f"B-200;Machine à expresso;Cafés Martin;Électroménager;1{NBSP}234,56;1{NBSP}599,00",
            "C-300;Tasse à café;Cafés Martin;Vaisselle;0,45;0,99",
        ],
        encoding="cp1252",
    ),
    # US Excel with a thousands format on the money columns: the grouped values are quoted.
    "products_thousands_point.csv": text(
        [
            "SKU,Name,Vendor,Category,Unit cost,Retail price",
            "A-100,Ground coffee 500 g,Dupont Roasters,Grocery,45.06,59.90",
            'B-200,Espresso machine,Martin Coffee,Appliances,"1,234.56","1,599.00"',
            "C-300,Cup,Martin Coffee,Tableware,0.45,0.99",
            'D-400,Pro roaster,Dupont Roasters,Appliances,"12,345.67","15,000.00"',
        ]
    ),
    # Dates: day-first (a day above 12 decides), month-first, and neither.
    "sales_day_first.csv": text(
        [
            "Date,Store,SKU,Quantity,Amount",
            "13/01/2024,101,A-100,1,10.00",
            "02/03/2024,101,B-200,2,20.00",
            "25/12/2023,102,A-100,3,30.00",
        ]
    ),
    "sales_month_first.csv": text(
        [
            "Date,Store,SKU,Quantity,Amount",
            "01/13/2024,101,A-100,1,10.00",
            "03/02/2024,101,B-200,2,20.00",
            "12/25/2023,102,A-100,3,30.00",
        ]
    ),
    "sales_ambiguous_dates.csv": text(
        [
            "Date,Store,SKU,Quantity,Amount",
            "03/04/2024,101,A-100,1,10.00",
            "05/06/2024,101,B-200,2,20.00",
            "11/12/2024,102,A-100,3,30.00",
        ]
    ),
    # Names in many scripts, UTF-8 without BOM, LF.
    "stores_world_utf8.csv": text(WORLD_STORES, newline="\n"),
    "stores_world_utf8_one_latin1_line.csv": _one_latin1_line(),
    # An old Windows program: Windows-1252, with € and Œ (which Latin-1 does not have).
    "stores_windows1252.csv": text(
        [
            "Store number,Name,City,Country",
            "10,Café de Flore,Paris,FR",
            "11,Zürich Hauptbahnhof,Zürich,CH",
            "12,Crème & Brûlée,Montréal,CA",
            "13,Feinkost an der Straße,München,DE",
            "14,Œufs & Co — 1 € Shop,Liège,BE",
        ],
        encoding="cp1252",
    ),
    # Short Windows-1252 files: too little text for statistics, which read these as Korean
    # (Johab) and as Mac Central European.
    "stores_windows1252_short.csv": text(
        [
            "Store number,Name,City,Country",
            "70,Loja São João,Porto,PT",
            "71,Shop Élysée,Paris,FR",
        ],
        encoding="cp1252",
    ),
    "stores_windows1252_capitals.csv": text(
        [
            "Store number,Name,City,Country",
            "72,CARNICERÍA NÚÑEZ,MADRID,ES",
            "73,PROMOÇÃO,LISBOA,PT",
        ],
        encoding="cp1252",
    ),
    # Postal codes as each country writes them; the US ZIPs lost their leading zeros in a
    # spreadsheet. Phones in international form.
    "stores_postal_codes.csv": text(
        [
            "Store number,Name,City,State,Postal code,Country,Phone",
            "20,Holtsville,Holtsville,NY,501,US,+1 631 555 0100",
            "21,Back Bay,Boston,MA,2116,US,(617) 555-0199",
            "22,Aarau Bahnhof,Aarau,AG,5001,CH,+41 62 555 12 12",
            "23,Bruxelles Centre,Bruxelles,,1000,BE,+32 2 555 12 12",
            "24,Westminster,London,,SW1A 1AA,GB,+44 20 7946 0958",
            "25,Ottawa Centre,Ottawa,ON,K1A 0B1,CA,+1 613 555 0142",
            "26,Chiyoda,Tokyo,,100-0001,JP,+81 3 5555 1234",
            "27,Paulista,São Paulo,SP,01310-100,BR,+55 11 5555 1234",
            "28,Wangfujing,Beijing,,100000,CN,+86 10 1234 5678",
            "29,Sydney CBD,Sydney,NSW,2000,AU,+61 2 5555 1234",
            "30,Altstadt,Dresden,,01067,DE,+49 351 555 1234",
            "31,Grafton Street,Dublin,,D02 X285,IE,+353 1 555 1234",
            "32,Centrum,Amsterdam,,1012 JS,NL,+31 20 555 1234",
        ]
    ),
    # The same key twice with other values.
    "products_repeated_sku.csv": text(
        [
            "SKU,Name,Unit cost,Retail price",
            "A-100,Coffee 500 g,4.00,6.00",
            "B-200,Tea,2.00,3.00",
            "A-100,Coffee 1 kg,4.00,6.00",
        ]
    ),
    "stores_repeated_number.csv": text(
        [
            "Store number,Name,City",
            "40,Main Street,Springfield",
            "41,Harbour,Portland",
            "40,Main Street,Shelbyville",
        ]
    ),
}


def main():
    for name, data in FILES.items():
        with open(HERE / name, "wb") as handle:
            handle.write(data)


if __name__ == "__main__":
    main()
