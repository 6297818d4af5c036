"""Draft a config from order lines (and a product map): guess each column's role from its name and
a sample of its values, with the reason written beside every guess.

Only a sample of the lines is read into Python; counts over the whole file (codes that look like
postage or fees, a cancellation prefix) come from DuckDB.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .cleaning import guess_date_format, to_numbers
from ..config import CANCELLED_STATUSES, RETURNED_STATUSES, Baskets, Cleaning, Segmentation, TransactionsFile
from .drafting import (_comment, _config_path, _model_section, currency_of, mixed_date_formats, normalise, quote,
                       report_section, ways_said)
from ..errors import UserError
from ..config import DELIMITER_NAMES
from .loading import detect_encoding, head_fields, headerless, is_missing, line_delimiter
from .orders import EXCEL, _head, _lit, _q, _source, read_products, same_sheets, timestamp_formats

SAMPLE = 5000
# Role -> pattern searched in the normalised column name, best first.
NAMES = {
    "customer": r"^(customer|cust|client|cliente|member|user|account|buyer|shopper|kunden?|klant|musteri)(unique)?"
    r"(id|no|nr|num|number|nummer|numero|code|key|kodu|kod|ref|reference)?$|^(n|id|num|numero|numer|nr|no|code|codice|codigo|cod)(de|da|do|del|du)?(client|cliente"
    r"|klant|kunden?|klienta?)$|^kdn?r$"
    r"|^(customer|client|buyer|kunden?)?e?mail(address|adresse)?$"
    r"|^(顧客|会員|客户|客戶|用户|用戶|ユーザー?|고객|회원)(id|no|番号|コード|编号|編號|代码|번호|코드)?$",
    "order": r"^(n|no|nr|num|numer|numero|id|ref)?(de|da|do|del|du)?(invoice|order|receipt|transaction|txn|trx|basket|ticket|bill|bestellung|bestell|bestel|kassabon|bon|rechnungs?|belegs?|commande"
    r"|facture|pedido|factura|encomenda|bestelling|factuur|ordine|fattura|scontrino|zamowienia|zamowienie|faktura|faktury"
    r"|objednavka|objednavky|siparis|fatura|fis)"
    r"(id|no|nr|num|number|nummer|numero|code|key|ref|reference|kodu)?$|^orderref(erence)?$"
    r"|^(注文|受注|订单|訂單|伝票|주문)(id|no|番号|コード|编号|編號|号|번호|코드)?$",
    "timestamp": r"date|time|timestamp|^ts$|when|placed|datum|zeit|fecha|heure|hora|tijd|^data$|dataora|tarih|zaman"
    r"|^data(do|da|de|del|dell)?(pedido|compra|venda|emissao|encomenda|ordine|acquisto|vendita|fattura|zamowienia)$"
    r"|(order|purchas|creat|plac|book)edat$|日時|日付|日期|时间|時間|일시|일자|날짜|^(注文|購入|受注|订单|下单|주문)日$",
    "product": r"^(ref|reference|code|cod|codigo|codice|id|n|no|nr|num|numero)?(de|da|do|del|du)?(stockcode|sku|productid|productcode|itemid"
    r"|itemcode|articleid|article|ean|upc|barcode|product|item|artikel|artikelnummer|artikelnr|produkt|produit"
    r"|producto|produto|artigo|articulo|prodotto|articolo|produktu|towaru|zbozi|urun|stok)(id|code|ref|no|nr|num|number|nummer"
    r"|numero|kodu|kod)?$"
    r"|^kod(produktu|towaru|zbozi)?$|^(referencia|riferimento|referentie|referencja|referenz)$"
    r"|^(商品|产品|產品|製品|品番|品目|상품|제품)(id|no|コード|番号|代码|编号|编码|코드|번호)?$",
    "product_name": r"description|^desc$|productname|itemname|^name$|title"
    # a bare 'Item' or 'Product' beside the code another column holds (SKU): the names
    r"|^(item|product|article|artikel|produit|producto|produto|prodotto|articolo|articulo)$|bezeichnung|beschreibung|libelle"
    r"|descripcion|descricao|omschrijving|descrizione|designation|artikelname|productnaam"
    r"|^nom(du)?(produit|article)$|^nombre(del)?(producto|articulo)$|^nome(do|del)?(produto|prodotto|artigo|articolo)$"
    r"|^nazwa(produktu|towaru)?$|^opis(produktu|towaru)?$|^nazev(produktu|zbozi)?$|^urun(adi|ismi)$|aciklama|^(商品|产品|產品|製品|상품|제품)(名|名称|名稱|명)$|^品名$",
    "quantity": r"^(qty|quantity|units|unitsold|count|amount|number|menge|anzahl|quantite|cantidad|quantidade|aantal"
    r"|quantita|stuck|pieces|pcs|ilosc|liczba|mnozstvi|adet|miktar)$|quantity|qty|menge|数量|個数|수량",
    "unit_price": r"unitprice|^price$|priceperunit|price|unitcost|^cost$|costperunit|itemcost|costperitem|preis|prix|precio|preco|prijs"
    r"|prezzo|^cena|fiyat|単価|单价|單價|価格|价格|價格|値段|販売価格|단가|가격",
    # A line's total, not a unit price (checked on the money column's name, price words excluded).
    "amount": r"total|amount|value|sales|revenue|turnover|subtotal|betrag|umsatz|montant|importe|valor|bedrag"
    r"|importo|kwota|wartosc|castka|tutar|toplam|金額|金额|小計|小计|合計|合计|금액|합계",
    "category": r"category|department|^dept$|^dep$|family|productgroup|^group$|^section$|^aisle$|kategori"
    r"|warengruppe|categorie|categoria|afdeling|rayon|reparto|departamento|abteilung"
    r"|^(product|item|article)type$"
    r"|^rayon$|famille|familia|famiglia|abteilung|departamento|reparto|afdeling|^(product|produit|producto|prodotto)?"
    r"(groupe|grupo|gruppo|groep|gruppe)$|カテゴリー?|分類|分类|类别|類別|部門|카테고리|분류",
}
WHY = {
    "customer": "name looks like a customer id", "order": "name looks like an order or invoice id",
    "timestamp": "name looks like a date, and the values read as dates", "product": "name looks like a product code",
    "product_name": "name looks like a product description", "quantity": "name looks like a quantity; values are numbers",
    "unit_price": "name looks like a price; values are numbers", "category": "name looks like a product category",
    "amount": "name looks like a line's total (quantity x price), not a unit price; values are numbers",
}
# Optional roles no column was found for: what the report does without them.
WITHOUT = {"order": "no order id found: an order is a customer's lines at one date and time; name the column if "
                    "there is one",
           "quantity": "no quantity column found: each line counts as one unit",
           "product": "no product column found: customers and spend as usual, no baskets or rules",
           "product_name": "no column found", "category": "no column found"}
LISTED = 30  # most codes written under not_products
CURRENCY_NAME = r"(order|line)?(currency|currencycode|devise|moneda|moeda|wahrung|waehrung|valuta|munt)"
# Order numbers as shops write them (#1001): the order, even under a column called Name.
ORDER_NUMBER = r"#\d+"
# Small whole numbers under these names are no quantity: a customer's order number, a weekday, an hour,
# a position in the cart, days since the last order.
NOT_QUANTITY = r"^order|ordernumber|seq|dow|hour|day|week|month|year|rank|position|cart|since|prior|reorder|^id|id$"


def _pick(role: str, columns: list[str], used: set[str]) -> str | None:
    if role == "customer":  # a marketplace's customer_id may be per order; its customer_unique_id is the person
        columns = sorted(columns, key=lambda c: "unique" not in normalise(c))
    for col in columns:
        if col not in used and re.search(NAMES[role], normalise(col)):
            return col
    return None


EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
# Dates and times written year first, ISO 8601 with or without a T, seconds, fractions or a zone: the
# loader reads every such value without a format (the zone dropped: the time the shop's clock showed).
ISO_TIME = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?"


def _iso_times(values: pd.Series) -> bool:
    """Every value written ISO 8601 year first, in one way or several ('2022-07-02T09:33:00Z' beside
    '2022-07-02 10:25:00'): read as they are, however many ways."""
    present = values[~is_missing(values)].astype(str).str.strip()
    return len(present) > 0 and bool(present.str.fullmatch(ISO_TIME).all())


def _mixed_dates(sample: pd.DataFrame, columns: list[str]) -> tuple[str, list] | None:
    """The first column named like a date whose dates are written in several ways, and those ways."""
    for col in columns:
        if re.search(NAMES["timestamp"], normalise(col)) and (ways := mixed_date_formats(sample[col])):
            return col, ways
    return None


def guess_roles(sample: pd.DataFrame) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str]]]:
    """role -> (column, why), and the other columns with what to do about them."""
    cols, used, out = list(sample.columns), set(), {}
    for role in ("customer", "order", "timestamp", "product", "product_name", "quantity", "unit_price", "amount",
                 "category"):
        if role == "amount" and "unit_price" in out:  # a line's total by name only where no price is named
            continue
        col, why = _pick(role, cols, used), WHY[role]
        if role == "order" and col is None:
            col = next((c for c in cols if c not in used and _all_match(sample[c], ORDER_NUMBER)), None)
            why = "values are order numbers (#1001)"
        if role in ("quantity", "unit_price", "amount") and col is not None:
            present = sample[col][~is_missing(sample[col])]
            x = to_numbers(present)
            if len(present) and x.isna().mean() > 0.05:
                col = None  # a name like 'amount' over text is not a quantity
            elif role == "quantity" and normalise(col) == "amount" and (x != x.round()).mean() > 0.5:
                col = None  # 'Amount' over decimals is money (the line's total), not a count of units
        if role == "timestamp" and col is not None and guess_date_format(sample[col]) is None \
                and not _iso_times(sample[col]):
            col = None
        if col is not None:
            used.add(col)
            out[role] = (col, why)
    _by_values(sample, cols, used, out)
    price = out.get("unit_price", (None, ""))[0]
    if price is not None and re.search(NAMES["amount"], normalise(price)) and not re.search(
            NAMES["unit_price"], normalise(price)):  # picked by its values, but named like a total
        out["amount"] = (out.pop("unit_price")[0], WHY["amount"] + "; check")
    if "product" not in out and "product_name" in out:  # names alone identify the products
        out["product"] = out.pop("product_name")
    _price_or_total(sample, out)
    others = []
    for col in cols:
        if col in used:
            continue
        values = sample[col][~is_missing(sample[col])]
        distinct = values.nunique()
        if 1 < distinct <= 50 and to_numbers(values).isna().mean() > 0.5:
            others.append((col, f"text with {distinct} values in the sample: profiled per customer (its most frequent value)"))
        else:
            others.append((col, f"{distinct} distinct values in the sample: not used"))
    return out, others


CLEARLY = 0.1  # the money column is read against its name when one spread is this much below the other


def _pooled_sd(values: pd.Series, groups: pd.Series | None) -> float:
    """Standard deviation around each group's own mean (the whole's mean without groups)."""
    centred = values - (values.groupby(groups).transform("mean") if groups is not None else values.mean())
    return float(np.sqrt((centred ** 2).mean()))


def _price_or_total(sample: pd.DataFrame, out: dict) -> None:
    """Decide from the values whether the money column is a unit price or the line's total. A unit
    price belongs to the product: it varies less within a product than the money over the
    quantity does; a total grows with the quantity, so the money over the quantity varies less.
    (With quantities nearly all 1 the two readings agree and the name stands.)"""
    money = "amount" if "amount" in out else "unit_price" if "unit_price" in out else None
    if money is None or "quantity" not in out:
        return
    x, q = to_numbers(sample[out[money][0]]), to_numbers(sample[out["quantity"][0]])
    ok = x.notna() & q.notna() & (x > 0) & (q > 0)
    if ok.sum() < 20 or (q[ok] != 1).mean() < 0.05:
        return
    groups = sample.loc[ok, out["product"][0]] if "product" in out else None
    as_is, per_unit = (_pooled_sd(v, groups) for v in (np.log(x[ok]), np.log(x[ok] / q[ok])))
    if max(as_is, per_unit) < 1e-9 or abs(as_is - per_unit) < CLEARLY * max(as_is, per_unit):
        return  # no quantity varies within a product, or too close to call: the name stands
    total = per_unit < as_is
    if total != (money == "amount"):
        role = "amount" if total else "unit_price"
        col = out.pop(money)[0]
        out[role] = (col, ("values grow with the quantity: a line's total, not a unit price" if total else
                           "values do not grow with the quantity: a unit price, not a line's total") + "; check")


STATUS_NAME = (r"(order|financial|payment|fulfillment|siparis)?(status|state|estado|statut|zustand|bestellstatus|bestelstatus"
               r"|stato|durum|durumu)"
               r"|(注文|订单|訂單|交易)?(ステータス|状態|状况|狀態|状态)|(주문)?상태")


def _status_values(con, free: list[str]) -> dict[str, set[str]]:
    """The values of each column named like a status, over the whole file: one cancelled order in
    a hundred thousand lines is rarely in the sample."""
    return {c: {str(v).strip().replace("İ", "i").lower() for (v,) in con.execute(
        f"SELECT DISTINCT CAST({_q(c)} AS VARCHAR) FROM src WHERE {_q(c)} IS NOT NULL LIMIT 1000").fetchall()}
        for c in free if re.fullmatch(STATUS_NAME, normalise(c))}


def _status_column(values: dict[str, set[str]]) -> tuple[str, str] | None:
    """A status column holding some of CANCELLED_STATUSES or RETURNED_STATUSES, and what its values
    mean: (column, "values include refunded: orders with such a line are cancellations ...")."""
    for col, seen in values.items():
        cancelled, returned = sorted(seen & set(CANCELLED_STATUSES)), sorted(seen & set(RETURNED_STATUSES))
        said = []
        if cancelled:
            said.append(f"{', '.join(cancelled)}: orders with such a line are cancellations (cancelled_statuses)")
        if returned:
            said.append(f"{', '.join(returned)}: lines sent back, not bought (returned_statuses)")
        others = sorted(seen - set(CANCELLED_STATUSES) - set(RETURNED_STATUSES))
        if said and others:  # a word of a language not listed would count its cancelled orders as sales
            said.append(f"other values, counted as sales: {', '.join(others[:6])}{', ...' if len(others) > 6 else ''} "
                        f"(list any that mean cancelled under cancelled_statuses)")
        if said:
            return col, "values include " + "; ".join(said)
    return None


def _all_match(values: pd.Series, pattern: str) -> bool:
    present = values[~is_missing(values)].astype(str).str.strip()
    return bool(len(present)) and bool(present.str.fullmatch(pattern).all())


# Why a draft of lines with no column of numbers left writes unit_price: null.
NO_PRICE = ("no column of prices or line totals: what customers bought is counted in units, "
            "and no spend is measured; name the column if there is one")


def _numbers(values: pd.Series) -> pd.Series | None:
    """A sample's values as numbers (the missing ones aside) when nearly all of them read as numbers."""
    present = values[~is_missing(values)]
    x = to_numbers(present)
    return x if len(present) and x.notna().mean() >= 0.99 else None


def _headerless(path: Path) -> bool:
    """Whether a text file's first line is data (numbers and dates only) rather than column names."""
    head = _head(path)
    if head[:4] == b"PAR1" or not head.strip():
        return False
    text = head.decode(detect_encoding(head), errors="replace")
    return headerless(head_fields(text, line_delimiter(text, "auto")))


def _compact_dates(values: pd.Series) -> bool:
    """Dates written as eight digits, year first (19970101): numbers that are dates."""
    v = values[~is_missing(values)].astype(str).str.strip()
    return bool(len(v)) and bool(v.str.fullmatch(r"(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])").all())


def _by_values(sample: pd.DataFrame, cols: list[str], used: set[str], out: dict) -> None:
    """Roles the names left undecided, guessed from the values: a column holding nothing but dates
    and times is the timestamp, one of positive decimals the unit price, one of small positive whole
    numbers the quantity."""
    def numbers(col):
        return _numbers(sample[col])

    def timestamp(col):
        if is_missing(sample[col]).all():  # an empty column reads as dates of any format: none
            return None
        fmt = guess_date_format(sample[col]) if numbers(col) is None or _compact_dates(sample[col]) else None
        if fmt is not None:
            timed = "%H" in fmt or "%I" in fmt or "T" in fmt
            return f"values are all dates{' and times' if timed else ''} ({fmt}); check"

    def customer(col):
        x = sample[col][~is_missing(sample[col])]
        whole = numbers(col)
        if (whole is None or (whole == whole.round()).all()) and 1 < x.nunique() < 0.9 * len(x):
            return "values are codes or whole numbers that repeat over lines, like customer ids; check"

    def unit_price(col):
        x = numbers(col)
        if x is not None and (x >= 0).mean() > 0.95 and (x != x.round()).mean() > 0.5:
            return "values are positive decimals, like prices; check"

    def quantity(col):
        if re.search(NOT_QUANTITY, normalise(col)):  # order_number 1, 2, 3 ... counts orders, not units
            return None
        x = numbers(col)
        if x is not None and (x == x.round()).all() and x.median() <= 100 and 1 < x.nunique() < 0.5 * len(x):
            return "values are small whole numbers, like quantities; check"

    def email(col):
        x = sample[col][~is_missing(sample[col])].str.strip()
        if len(x) and x.str.fullmatch(EMAIL).mean() >= 0.95 and 1 < x.str.lower().nunique() < 0.9 * len(x):
            return "values are e-mail addresses that repeat over lines: the customer's; check"

    free = [c for c in cols if c not in used]
    # The customer only where no name says anything (a file without a header): the first such column;
    # else a column of e-mail addresses, whatever its name ('Courriel client').
    customers = (("customer", customer),) if all(re.fullmatch(r"column \d+", c) for c in cols) else (
        ("customer", email),)
    for role, guess in (("timestamp", timestamp), *customers, ("unit_price", unit_price), ("quantity", quantity)):
        if role in out or (role == "unit_price" and "amount" in out):
            continue
        for col in free:
            why = guess(col)
            if why:
                out[role] = (col, why)
                used.add(col)
                free.remove(col)
                break


def _whole_file_hints(con, roles: dict) -> tuple[list[str], str | None, str]:
    """Product codes without a digit (postage, fees...) and a cancellation prefix, over the whole file."""
    codes, prefix = [], None
    why = "no order id starts with a letter followed by digits" if "order" in roles else "no order column"
    if "product" in roles:
        p = f"CAST({_q(roles['product'][0])} AS VARCHAR)"  # Parquet codes may be integers
        rows = con.execute(f"""SELECT upper(trim({p})) AS code, count(*) AS n FROM src
                               WHERE {p} IS NOT NULL AND NOT regexp_matches({p}, '[0-9]') AND trim({p}) <> ''
                               GROUP BY code ORDER BY n DESC, code LIMIT {LISTED}""").fetchall()
        # Judged on distinct codes, not lines: postage is on most orders (14% of a shop's lines), yet one code.
        digits, total = con.execute(f"""SELECT count(DISTINCT upper(trim({p}))) FILTER (WHERE regexp_matches({p}, '[0-9]')),
                                               count(DISTINCT upper(trim({p}))) FROM src WHERE trim({p}) <> ''""").fetchall()[0]
        if total and digits / total > 0.9:  # codes are mostly numbers: the few without a digit are not goods
            codes = [r[0] for r in rows]
    if "order" in roles:
        o = f"CAST({_q(roles['order'][0])} AS VARCHAR)"  # ... and order ids too
        rows = con.execute(f"""SELECT left(trim({o}), 1) AS c, count(*) FROM src
                               WHERE regexp_matches(trim({o}), '^[A-Za-z][0-9]+$') GROUP BY c ORDER BY 2 DESC""").fetchall()
        numeric = con.execute(f"SELECT count(*) FROM src WHERE regexp_matches(trim({o}), '^[0-9]+$')").fetchall()[0][0]
        if rows and numeric > rows[0][1]:
            prefix = rows[0][0]
            why = f"{rows[0][1]:,} lines have order ids like '{prefix}123' where most are numbers: likely cancellations"
            if "quantity" in roles:
                # Orders of negative quantities only are credit notes for goods given back: read as returns,
                # they take their money off the customers' spend; as cancellations they would be dropped.
                q = f"trim(CAST({_q(roles['quantity'][0])} AS VARCHAR))"
                positive = con.execute(f"""SELECT count(*) FROM src WHERE left(trim({o}), 1) = {_lit(prefix)}
                                           AND regexp_matches(trim({o}), '^[A-Za-z][0-9]+$')
                                           AND NOT regexp_matches(coalesce({q}, ''), '^[-(]')""").fetchall()[0][0]
                if positive == 0:
                    why = (f"orders like '{prefix}123' ({rows[0][1]:,} lines) hold negative quantities only: returns, "
                           f"taken off the customers' spend; set '{prefix}' here to leave them out instead")
                    prefix = None
    return codes, prefix, why


def _format_line(formats: list[str | None]) -> str:
    """The timestamp_format line: the format that reads every value, and any other that does too."""
    if not formats:
        return "  timestamp_format: ???  # no known format reads every value: write the strftime format"
    if formats[0] is None:
        return "  # timestamp_format:  # not needed: the values are dates and times written year first"
    why = "reads every value in the file"
    others = [f for f in formats[1:] if f is not None]
    if others:
        why += f"; so does {others[0]!r}: check which one the file means (day and month can swap)"
    return f"  timestamp_format: {quote(formats[0])}{_comment(why)}"


def _products_section(path: Path | None, lines_sample: pd.Series | None, config_dir: Path | None) -> list[str]:
    if path is None:
        return ["# products:  # a product -> category map (CSV, TSV, Parquet or Excel); none given",
                "#   path: products.csv", "#   product: StockCode", "#   category: Category"]
    frame = read_products(path)
    cols = [str(c) for c in frame.columns]
    product = category = None
    if lines_sample is not None:  # the column sharing most values with the lines' products
        wanted = set(lines_sample.str.strip().str.upper())
        overlap = {c: frame[c].astype(str).str.strip().str.upper().isin(wanted).mean() for c in cols}
        best = max(cols, key=lambda c: (overlap[c], -cols.index(c)))
        product = best if overlap[best] > 0 else None
    category = next((c for c in cols if c != product and re.search(NAMES["category"], normalise(c))), None)
    out = ["products:", f"  path: {quote(_config_path(path, config_dir))}"]
    out.append(f"  product: {quote(product)}  # shares the most values with the lines' products" if product
               else f"  product: ???  # no column matches the lines' products; pick one of: {', '.join(cols)}")
    out.append(f"  category: {quote(category)}  # name looks like a category" if category
               else f"  category: ???  # pick one of: {', '.join(cols)}")
    return out


def draft_orders_config(lines_path: str | Path, products_path: str | Path | None = None,
                        config_dir: Path | None = None) -> str:
    """The text of a YAML config for order lines, with every guess commented."""
    path = Path(lines_path)
    sheets = same_sheets(pd.ExcelFile(path)) if path.suffix.lower() in EXCEL and path.is_file() else []
    sheet = sheets[0] if len(sheets) == 1 else None  # several of the same columns: read together, none named
    header = not (path.suffix.lower() not in EXCEL and path.is_file() and _headerless(path))
    defaults = TransactionsFile.model_construct(path=str(path), delimiter="auto", encoding="auto", sheet=sheet,
                                                header=header)
    with tempfile.TemporaryDirectory(prefix="segments-draft-") as tmp:  # for a UTF-8 or Parquet copy, if needed
        con = duckdb.connect()
        try:
            kind, delim, enc = _source(con, path, defaults, tmp)
            # object first: a nullable integer column (Parquet ids with gaps) cannot hold ""
            sample = con.execute(f"SELECT * FROM src LIMIT {SAMPLE}").df().astype(object).fillna("").astype(str)
            if sample.empty:
                raise UserError(f"{path}: has a header but no rows")
            n_lines = con.execute("SELECT count(*) FROM src").fetchall()[0][0]
            dupes = n_lines - con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM src)").fetchall()[0][0]
            roles, others = guess_roles(sample)
            statuses = _status_values(con, [c for c, _ in others])
            codes, prefix, prefix_why = _whole_file_hints(con, roles)
            formats = timestamp_formats(con, roles["timestamp"][0]) if "timestamp" in roles else []
        finally:
            con.close()
    head = [
        f"# Draft config written by inspecting{_comment(path)[3:]}",
        f"# {n_lines:,} order lines and {sample.shape[1]} columns; " + (
            "read as Parquet." if kind == "parquet" else f"read from the Excel sheet {sheet!r}." if sheet else
            f"read from the Excel sheets {', '.join(map(repr, sheets))}, which have the same columns." if kind == "excel" else
            f"delimiter {DELIMITER_NAMES.get(delim, repr(delim))} and encoding {enc} detected."),
        "# Every role below is a guess from the column names and a sample of values, with the reason beside it.",
        "# Check every guess, then run: segments report --config THIS.yml",
        "",
        "transactions:",
        f"  path: {quote(_config_path(path, config_dir))}",
    ]
    if kind == "csv":
        head += [f"  delimiter: {quote(delim)}  # detected", f"  encoding: {quote(enc)}  # detected"]
        if not header:
            head.append("  header: false  # the first line holds numbers and dates only, no column names: the columns "
                        "are named column 1, column 2, ...")
    elif kind == "excel" and sheet:
        head.append(f"  sheet: {quote(sheet)}  # the sheet with the most filled cells; name another here")
    elif kind == "excel":
        head.append(f"  # sheet: {quote(sheets[0])}  # left out: every sheet with the same columns is read, one after "
                    "another; name one here to read it alone")
    money = "amount" if "amount" in roles else "unit_price"
    for role in ("customer", "order", "timestamp", "product", "product_name", "quantity", money, "category"):
        if role in roles:
            col, why = roles[role]
            head.append(f"  {role}: {quote(col)}{_comment(why)}")
            if role == "timestamp":
                head.append(_format_line(formats))
        elif role in WITHOUT:
            head.append(f"  # {role}:  # {WITHOUT[role]}")
        elif role == "unit_price" and all(_numbers(sample[c]) is None for c, _ in others):
            head.append(f"  unit_price: null  # {NO_PRICE}")
        elif role == "unit_price":  # columns of numbers, none named or valued like a price: the user knows
            numeric = [c for c, _ in others if _numbers(sample[c]) is not None]
            head.append(f"  unit_price: ???  # required: no column named like a price; name it among {', '.join(numeric)}, "
                        "or write null if there is none (what customers bought is then counted in units)")
        elif role == "timestamp" and (mixed := _mixed_dates(sample, [c for c, _ in others])):
            col, ways = mixed
            head.append(f"  timestamp: ???  # required: {col!r} is named like a date and holds {ways_said(ways)} in the "
                        f"first {len(sample):,} lines; write them one way, then name it here with its timestamp_format")
        elif role == "timestamp":
            head.append("  timestamp: ???  # required: no column of dates found; the report needs each order's date "
                        "(recency, tenure and the time habits are measured from it): name its column")
        else:
            head.append(f"  {role}: ???  # required: no column found; pick one of: {', '.join(sample.columns)}")
    head.append(f"  cancelled_prefix: {quote(prefix) if prefix else 'null'}{_comment(prefix_why)}")
    status = _status_column(statuses)
    if status is not None:
        col, meaning = status
        head.append(f"  status: {quote(col)}{_comment(meaning)}")
        others = [(c, why) for c, why in others if c != col]
    if codes:
        head.append("  not_products:  # product codes without a digit where nearly all have one: postage, fees? check each")
        head += [f"    - {quote(c)}" for c in codes]
    else:
        head.append("  not_products: []  # codes of postage, fees or adjustments, if any")
    # A repeated scan of one item is a line equal to another too: the count lets the user judge.
    if dupes and "order" not in roles:  # no order id to tell a second purchase from a second export
        head.append(f"  duplicate_lines: keep  # lines equal to an earlier line in every column: {dupes:,} of "
                    f"{n_lines:,} here; without an order id they may be second purchases the same day: set drop if "
                    "the file holds lines exported twice")
    else:
        head.append("  duplicate_lines: drop  # lines equal to an earlier line in every column: " + (
            f"{dupes:,} of {n_lines:,} here; set keep if these are real (an item scanned twice)" if dupes else
            "none here"))
    texts = [(c, why) for c, why in others if why.startswith("text")]
    if texts:
        head.append("  customer_columns:  # per-customer categorical columns, profiled (not clustered)")
        head += [f"    - {quote(c)}{_comment(why)}" for c, why in texts]
    else:
        head.append("  customer_columns: []")
    head += [f"  # not used: {quote(c)}{_comment(why)}" for c, why in others if not why.startswith("text")]
    product_values = sample[roles["product"][0]] if "product" in roles else None
    body = ["", *_products_section(Path(products_path) if products_path else None, product_values, config_dir), ""]
    body += _model_section("baskets", Baskets) + [""]
    body += _model_section("cleaning", Cleaning) + [""]
    body += _model_section("segmentation", Segmentation) + [""]
    prices = sample[roles[money][0]] if money in roles else None
    what = "the amounts" if money == "amount" else "the unit prices"
    if prices is None or currency_of(prices) is None:  # a line total left unused may carry it ('R$ 1.074,48')
        signed = next((c for c, _ in others if currency_of(sample[c]) is not None), None)
        if signed is not None:
            prices, what = sample[signed], f"the values of {signed!r}"
    currency = next((c for c in sample.columns if re.fullmatch(CURRENCY_NAME, normalise(c))), None)
    # Without a sign beside the amounts, the money column's name may carry it ('Prix unitaire (€)').
    body += report_section(path, prices, what, sample[currency] if currency else None,
                           [roles[money][0]] if money in roles else None, [str(c) for c in sample.columns]) + [""]
    body += ["seed: 42  # same seed and data, same segments", ""]
    return "\n".join(head + body)

