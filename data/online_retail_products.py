"""Make online_retail_products.csv: a product -> category map for the online retail demo.

The UCI data has no categories, so each stock code gets one from keywords in its most frequent
description, by the first rule below that matches (rules are checked in order). Run from the
repository root: python data/online_retail_products.py
"""
import csv
import re
from collections import Counter
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
RULES = [  # (category, keywords): whole words of the upper-case description
    ("Christmas", "CHRISTMAS XMAS ADVENT SANTA REINDEER SNOWFLAKE SNOW NATIVITY BAUBLE"),
    ("Seasonal and Easter", "EASTER HALLOWEEN VALENTINE"),
    ("Lighting and candles", "LIGHT LIGHTS CANDLE CANDLES T-LIGHT LANTERN LAMP NIGHTLIGHT TEALIGHT WARMER"),
    ("Bags", "BAG BAGS SHOPPER TOTE"),
    ("Lunch and picnic", "LUNCH PICNIC SNACK BOTTLE FLASK"),
    ("Baking and kitchen", "CAKE CAKESTAND BAKING CUTTERS COOKIE KITCHEN APRON SPOON CUTLERY PANTRY JAM RECIPE "
     "TRAY TEA TEAPOT TEACUP SUGAR MILK COFFEE JAR BOWL PLATE MUG CUP SAUCER JUG NAPKINS DOILY DOILIES "
     "SCALES BISCUIT CHOPSTICKS DINNER TIN TINS LID"),
    ("Party and gift wrap", "PARTY WRAP RIBBON RIBBONS BUNTING GARLAND BALLOON BALLOONS CARD CARDS GIFT "
     "BIRTHDAY TISSUE TISSUES CONFETTI"),
    ("Stationery and craft", "PEN PENCIL PENCILS NOTEBOOK PAD STICKER STICKERS ERASER RUBBER CRAFT SEWING "
     "FELTCRAFT KIT PAPER CHALK CHALKBOARD BOOK STAMP TAPE CRAYONS"),
    ("Toys and children", "TOY TOYS CHILDRENS DOLLY DOLL SPACEBOY DINOSAUR GAME PUZZLE JIGSAW SOLDIER "
     "SKIPPING BLOCK BLOCKS PLAYHOUSE MAGIC CIRCUS"),
    ("Garden and outdoor", "GARDEN PLANT PLANTER HERB BIRD WATERING POT PARASOL DOORMAT FLOWER LAWN"),
    ("Jewellery and accessories", "NECKLACE BRACELET EARRINGS RING HAIR CLIP BANGLE JEWELLERY PURSE WALLET "
     "UMBRELLA BROOCH CHARM"),
    ("Home decor", "SIGN CLOCK FRAME MIRROR CUSHION HANGING HOOK HOOKS DRAWER KNOB WICKER DECORATION "
     "ORNAMENT HEART HEARTS DOORSTOP STORAGE BOX BOXES CABINET HANGER COAT VASE PHOTO WALL DOOR "
     "BASKET THROW BLANKET TIDY HOLDER"),
]


def category(description: str) -> str:
    words = set(re.findall(r"[A-Z][A-Z-]*", description.upper()))
    for name, keys in RULES:
        if words & set(keys.split()):
            return name
    return "Other"


def main() -> None:
    rows = duckdb.execute(
        "SELECT upper(trim(StockCode)), upper(trim(regexp_replace(Description, '\\s+', ' ', 'g'))), count(*) "
        "FROM read_csv(?, all_varchar = true) WHERE Description IS NOT NULL GROUP BY ALL",
        [str(HERE / "online_retail.csv.gz")]).fetchall()
    best: dict[str, tuple[int, str]] = {}
    for code, desc, n in rows:  # the most frequent description names the product
        if code not in best or (n, desc) > best[code]:
            best[code] = (n, desc)
    out = sorted((code, category(desc)) for code, (_, desc) in best.items())
    with (HERE / "online_retail_products.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["StockCode", "Category"])
        w.writerows(out)
    print(Counter(c for _, c in out).most_common())


if __name__ == "__main__":
    main()
