"""Word lists behind the WestGear data generator: categories, fictional brands, names, places.

Every brand, person and company here is invented; addresses use real Swedish towns and
postal-code ranges so they look right, with generated street numbers and `.example` e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Category:
    """One kind of product with what its variants vary by and how heavy and dear it is."""

    key: str
    noun_sv: str
    noun_en: str
    brands: tuple[str, ...]
    models: tuple[str, ...]
    price_range: tuple[int, int]  # list price incl. VAT, whole SEK
    weight_range: tuple[float, float]  # kg per variant
    dims_cm: tuple[int, int, int]  # typical length, width, height
    axes: tuple[tuple[str, tuple[str, ...]], ...]  # (attribute name, possible values)
    specs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    vat_rate: Decimal = Decimal(25)
    un_number: str | None = None  # dangerous goods (ADR), e.g. "UN2037"
    dg_class: str | None = None
    freight: bool = False  # too big or heavy for a parcel
    store_stock: bool = True  # also stocked in the Stockholm store
    weight: int = 10  # relative share of the catalog


SIZES = ("XS", "S", "M", "L", "XL", "XXL")
KID_SIZES = ("80-100 cm", "100-120 cm", "120-140 cm", "140-160 cm")
COLOURS = ("Röd", "Gul", "Orange", "Svart", "Marinblå", "Grön", "Grå", "Vit")
COLOUR_CODES = {
    "Röd": "RD",
    "Gul": "YE",
    "Orange": "OR",
    "Svart": "BK",
    "Marinblå": "NV",
    "Grön": "GN",
    "Grå": "GY",
    "Vit": "WH",
}

CATEGORIES: tuple[Category, ...] = (
    Category(
        "life_jacket",
        "flytväst",
        "life jacket",
        ("Havsörn", "Kustlinje", "Njord Gear"),
        ("Kust 150N", "Skärgård 50N", "Pro 275N", "Junior"),
        (399, 2899),
        (0.5, 1.4),
        (45, 35, 8),
        (("size", SIZES), ("color", ("Röd", "Gul", "Orange", "Svart"))),
        (("Flytkraft", ("50 N", "100 N", "150 N", "275 N")), ("Material", ("Nylon", "Polyester"))),
        weight=16,
    ),
    Category(
        "kayak",
        "kajak",
        "kayak",
        ("Valö Paddle", "Stormö"),
        ("Tour 480", "Explorer 520", "Lätt 390", "Fiske 410"),
        (5995, 28995),
        (14.0, 29.0),
        (480, 62, 35),
        (("color", ("Röd", "Gul", "Orange", "Grön", "Vit")),),
        (("Material", ("Polyeten", "Glasfiber", "Kolfiber")), ("Maxlast", ("120 kg", "150 kg"))),
        freight=True,
        store_stock=False,
        weight=5,
    ),
    Category(
        "paddle",
        "paddel",
        "paddle",
        ("Valö Paddle", "Tångvik"),
        ("Carbon", "Touring", "Allround"),
        (495, 4495),
        (0.7, 1.1),
        (230, 20, 5),
        (("length", ("210 cm", "215 cm", "220 cm", "230 cm")),),
        weight=6,
    ),
    Category(
        "wetsuit",
        "våtdräkt",
        "wetsuit",
        ("Kallbad", "Stormö"),
        ("Surf 4/3", "Dyk 7 mm", "Shorty 3/2"),
        (795, 5495),
        (1.2, 3.0),
        (50, 40, 12),
        (("size", SIZES),),
        (("Tjocklek", ("3 mm", "5 mm", "7 mm")),),
        weight=7,
    ),
    Category(
        "outboard",
        "utombordsmotor",
        "outboard engine",
        ("Brändö Marine", "Ålö Motor"),
        ("Lite", "Tour", "Pro"),
        (8995, 89995),
        (13.0, 60.0),
        (110, 45, 35),
        (("power", ("2,5 hk", "5 hk", "9,9 hk", "15 hk", "20 hk")),),
        (("Rigg", ("Kortrigg", "Långrigg")), ("Start", ("Manuell", "Elstart"))),
        freight=True,
        store_stock=False,
        weight=4,
    ),
    Category(
        "boat",
        "båt",
        "boat",
        ("Ålö Boats", "Västkust Marine"),
        ("Aluminium 410", "Konsol 500", "Jolle 310"),
        (24995, 249995),
        (90.0, 650.0),
        (500, 190, 90),
        (("color", ("Vit", "Grå", "Marinblå")),),
        (("CE-kategori", ("C", "D")), ("Max personer", ("3", "5", "6"))),
        freight=True,
        store_stock=False,
        weight=2,
    ),
    Category(
        "trailer",
        "båttrailer",
        "boat trailer",
        ("Brändö Trailers",),
        ("Basic", "Galv", "Tipp"),
        (9995, 59995),
        (140.0, 420.0),
        (550, 200, 80),
        (("total_weight", ("750 kg", "1000 kg", "1350 kg")),),
        freight=True,
        store_stock=False,
        weight=2,
    ),
    Category(
        "anchor",
        "ankare",
        "anchor",
        ("Bohus Outdoor", "Västkust Marine"),
        ("Plog", "Draggankare", "Bruce"),
        (249, 2995),
        (2.0, 16.0),
        (40, 25, 15),
        (("weight", ("3 kg", "5 kg", "8 kg", "12 kg", "16 kg")),),
        weight=5,
    ),
    Category(
        "rope",
        "förtöjningslina",
        "mooring line",
        ("Bohus Outdoor", "Tångvik"),
        ("Flätad 12 mm", "Tvinnad 10 mm", "Dyneema"),
        (149, 1495),
        (0.5, 4.0),
        (30, 30, 15),
        (("length", ("8 m", "10 m", "15 m", "20 m")), ("color", ("Svart", "Marinblå", "Vit"))),
        weight=6,
    ),
    Category(
        "navigation",
        "kompass",
        "compass",
        ("Njord Gear",),
        ("Kurs", "Pejl", "Kula"),
        (495, 5995),
        (0.3, 1.2),
        (15, 15, 12),
        (),
        weight=3,
    ),
    Category(
        "chart",
        "sjökort",
        "nautical chart",
        ("Kustlinje Förlag",),
        ("Bohuslän", "Stockholms skärgård", "Vänern", "Kalmarsund"),
        (199, 649),
        (0.2, 0.6),
        (40, 30, 1),
        (),
        vat_rate=Decimal(6),
        weight=3,
    ),
    Category(
        "book",
        "båtbok",
        "boating book",
        ("Kustlinje Förlag",),
        ("Navigation för nybörjare", "Sjövett", "Kajakguiden"),
        (179, 449),
        (0.3, 0.9),
        (25, 18, 3),
        (),
        vat_rate=Decimal(6),
        weight=2,
    ),
    Category(
        "clothing",
        "seglarjacka",
        "sailing jacket",
        ("Havsörn", "Bohus Outdoor", "Kallbad"),
        ("Offshore", "Kust", "Inshore", "Lätt"),
        (699, 6995),
        (0.4, 1.5),
        (40, 30, 8),
        (("size", SIZES), ("color", ("Röd", "Svart", "Marinblå", "Grå", "Gul"))),
        (("Vattenpelare", ("10 000 mm", "20 000 mm", "30 000 mm")),),
        weight=14,
    ),
    Category(
        "kids_clothing",
        "barnoverall",
        "kids overall",
        ("Havsörn",),
        ("Vind", "Regn"),
        (399, 1295),
        (0.3, 0.8),
        (35, 25, 6),
        (("size", KID_SIZES), ("color", ("Röd", "Gul", "Grön"))),
        weight=4,
    ),
    Category(
        "tent",
        "tält",
        "tent",
        ("Bohus Outdoor", "Stormö"),
        ("Tunnel 2", "Kupol 3", "Ultralätt 1", "Familj 4"),
        (995, 9995),
        (1.0, 6.0),
        (55, 20, 20),
        (("color", ("Grön", "Grå", "Orange")),),
        (("Personer", ("1", "2", "3", "4")),),
        weight=6,
    ),
    Category(
        "stove",
        "stormkök",
        "camping stove",
        ("Tångvik", "Bohus Outdoor"),
        ("Storm 27", "Mini", "Gasolkök"),
        (349, 2495),
        (0.3, 1.5),
        (25, 25, 15),
        (),
        weight=5,
    ),
    Category(
        "food",
        "frystorkad måltid",
        "freeze-dried meal",
        ("Fjällskafferiet",),
        ("Pasta bolognese", "Chili sin carne", "Gryta med ris"),
        (69, 159),
        (0.1, 0.2),
        (20, 15, 5),
        (("portion", ("1 portion", "2 portioner")),),
        vat_rate=Decimal(12),
        weight=4,
    ),
    Category(
        "flare",
        "nödraket",
        "distress rocket",
        ("Njord Gear",),
        ("Fallskärmsraket", "Handbloss", "Röksignal"),
        (249, 1495),
        (0.3, 1.2),
        (40, 8, 8),
        (),
        un_number="UN0505",
        dg_class="1.4G",
        store_stock=False,
        weight=3,
    ),
    Category(
        "gas_cartridge",
        "gaspatron",
        "gas cartridge",
        ("Tångvik",),
        ("Butan/propan 230 g", "Butan/propan 450 g", "Vintergas 230 g"),
        (59, 149),
        (0.35, 0.7),
        (11, 11, 10),
        (),
        un_number="UN2037",
        dg_class="2.1",
        weight=3,
    ),
)

DESCRIPTION_SV = (
    "Tillverkad för svenska förhållanden och testad längs västkusten.",
    "Ett tåligt val för både nybörjare och erfarna.",
    "Lätt att sköta och byggd för att hålla många säsonger.",
)
DESCRIPTION_EN = (
    "Made for Nordic conditions and tested along the Swedish west coast.",
    "A durable choice for beginners and experienced users alike.",
    "Easy to maintain and built to last many seasons.",
)

FIRST_NAMES = (
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Sara",
    "Anders",
    "Emma",
    "Per",
    "Linnea",
    "Oskar",
    "Elin",
    "Magnus",
    "Ida",
    "Henrik",
    "Klara",
    "Nils",
    "Maja",
    "Gustav",
)
LAST_NAMES = (
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Lindqvist",
    "Bergström",
    "Holm",
    "Sjöberg",
    "Ek",
)
COMPANY_SUFFIXES = (
    "Marin AB",
    "Båtservice AB",
    "Friluft AB",
    "Segling & Kajak AB",
    "Fritid HB",
    "Varv AB",
)
STREETS = (
    "Hamngatan",
    "Strandvägen",
    "Sjöbodsvägen",
    "Kaptensgatan",
    "Skepparvägen",
    "Ekvägen",
    "Storgatan",
    "Bryggvägen",
    "Fyrvaktarvägen",
    "Klippgatan",
)
# (city, first three postal-code digits)
CITIES = (
    ("Göteborg", "411"),
    ("Stockholm", "111"),
    ("Malmö", "211"),
    ("Uppsala", "753"),
    ("Kungälv", "442"),
    ("Strömstad", "452"),
    ("Lysekil", "453"),
    ("Varberg", "432"),
    ("Kalmar", "392"),
    ("Västervik", "593"),
    ("Norrtälje", "761"),
    ("Luleå", "972"),
)
CHANNELS = ("webshop", "webshop", "webshop", "cdon", "fyndiq", "tradera", "b2b-portal")
PAYMENT_METHODS = ("klarna", "klarna", "card", "swish", "invoice")
