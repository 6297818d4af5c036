"""Column names as a reader would say them: 'Marital_Status' -> 'Marital status'.

Units in brackets are kept as written ('Annual Income (k$)' -> 'Annual income (k$)'), and a few
names that say nothing as words get a label of their own ('Z_CostContact' -> 'Cost per contact').
"""
from __future__ import annotations

import re
import unicodedata

KNOWN = {
    "z_costcontact": "Cost per contact",
    "z_revenue": "Revenue per answer",
    "dt_customer": "Date of signing up",
    "numwebvisitsmonth": "Web visits per month",
}


# ISO codes of currencies, as amounts and column names write them (cleaning and drafts read them too).
CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "BRL", "JPY", "INR", "RUB", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK",
                  "PLN", "CZK", "HUF", "RON", "MXN", "ZAR", "CNY", "HKD", "SGD", "TRY", "ILS", "KRW")
UNIT_CODES = set(CURRENCY_CODES) - {"TRY", "RON", "ILS"}  # as a name's last word these are words ('last_try')
UNITS = {"gb": "GB", "mb": "MB", "kb": "KB", "tb": "TB", "kg": "kg", "km": "km", "pct": "%", "qty": "quantity",
         "avg": "average", "num": "number of", "cnt": "count", "txn": "transactions", "txns": "transactions",
         "rev": "revenue", "disc": "discount", "tot": "total", "dt": "date", "acq": "acquisition"}  # ('nb' is French as often: 'nb_commandes' stays 'Nb commandes')
SIZE_UNITS = {"gb", "mb", "kb", "tb", "kg", "km", "pct"}  # units, in any language
KEEP_CAPITALS = {"ID", "SKU", "ARPU", "KPI", "VIP", "URL", "API", "EU", "UK", "US", "USA", "IBAN", "EAN", "UPC", "SIM", "IP",
                 "ISO", "GPS", "ATM", "POS", "ROI", "AOV", "CAC", "NPS", *CURRENCY_CODES}
# Acronyms a name may write in lower case ('mrr_usd' -> 'MRR (USD)'); two-letter ones are too often words.
SPOKEN_ACRONYMS = {"mrr", "arr", "ltv", "clv", "nps", "roi", "aov", "cac", "arpu", "sku", "kpi", "vip", "url", "api",
                   "iban", "ean", "upc", "gps", "atm"}
PERIODS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


# Yes and no as the drafts' languages write them (cleaning reads them as 1 and 0; pages show them as yes and no).
TRUE_WORDS = {"1", "1.0", "yes", "y", "true", "t", "ja", "wahr", "oui", "vrai", "si", "sí", "s", "verdadero",
              "sim", "verdadeiro", "waar", "sì", "vero"}
FALSE_WORDS = {"0", "0.0", "no", "n", "false", "f", "nein", "falsch", "non", "faux", "falso", "não", "nao", "nee",
               "onwaar"}

# Words of German column names: German writes its nouns with capitals, so a German name's capitals
# are kept even where every word has one ('Anzahl Bestellungen', not 'Anzahl bestellungen').
GERMAN = {"anzahl", "alter", "umsatz", "bestellung", "bestellungen", "kunde", "kunden", "kundin", "letzte", "letzter",
          "letztem", "letzten", "seit", "tage", "tagen", "jahr", "jahre", "jahres", "einkommen", "jahreseinkommen",
          "geschlecht", "bundesland", "retouren", "rucksendungen", "kauf", "kaufe", "einkaufe", "betrag", "summe",
          "durchschnitt", "durchschnittlicher", "gesamt", "gesamtumsatz", "monat", "monate", "monatlich", "und", "mit",
          "der", "die", "das", "des", "wert", "warenkorb", "besuche", "kundengruppe", "stadt", "datum", "ausgaben",
          "bestellwert", "kinder", "familienstand", "beruf", "zahlungsart", "kanal", "anmeldung", "registrierung",
          "haushalt", "haushaltsgrosse", "bildung", "wohnort", "kundennummer", "mitglied", "mitgliedschaft",
          # order lines: 'Bestellnummer;Kundennummer;Bestelldatum;Artikel;Warengruppe;Menge;Einzelpreis'
          "bestellnummer", "bestelldatum", "artikel", "artikelnummer", "artikelname", "warengruppe", "menge", "preis",
          "einzelpreis", "gesamtpreis", "stuckpreis", "rechnungsnummer", "rechnungsdatum", "filiale", "kategorie"}
# Words of column names in the other languages the drafts read: an English abbreviation beside them is
# theirs, not English ('num_hijos' stays 'Num hijos', not 'Number of hijos').
FOREIGN = GERMAN | {
    "hijos", "compras", "compra", "gasto", "gastos", "cliente", "clientes", "edad", "ingresos", "fecha", "numero",
    "visitas", "dias", "ultima", "ultimo", "meses", "ano", "anos", "tienda", "del", "los", "las", "por", "sexo",
    "ciudad", "pais", "importe", "pedidos", "pedido", "categoria", "producto", "productos", "cantidad", "precio",
    "antiguedad", "valor", "filhos", "idade", "renda", "loja", "dos", "das", "cidade", "quantidade", "preco", "nombre",
    "achats", "achat", "depenses", "revenu", "revenus", "enfants", "jours", "derniere", "dernier", "mois", "annee",
    "magasin", "du", "des", "les", "par", "commandes", "commande", "montant", "panier", "ville", "sexe", "anciennete",
    "figli", "acquisti", "spesa", "eta", "reddito", "giorni", "mesi", "anno", "negozio", "di", "della", "ordini",
    "importo", "citta", "aantal", "kinderen", "aankopen", "uitgaven", "klant", "leeftijd", "inkomen", "dagen",
    "laatste", "maanden", "jaar", "winkel", "van", "het", "bestellingen"}


def folded(text: str) -> str:
    """Words in lower case without accents or umlauts, one space between them ('Käufe' -> 'kaufe',
    'ß' -> 'ss', 'Très  élevé' -> 'tres eleve'): how names and level words are compared."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.lower().replace("ß", "ss").split()))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def german(words: list[str]) -> bool:
    return any("ß" in w or folded(w) in GERMAN for w in words)


def foreign(words: list[str]) -> bool:
    """A name in one of the other languages: a word of theirs or a letter English does not write."""
    return any(folded(w) in FOREIGN or re.search(r"[^\x00-\x7f]", w) for w in words if w[:1].isalpha())


# Words English title case leaves in lower case ('Time on App', 'Length of Membership'): no sign of capitals
# chosen word by word.
TITLE_SMALL = {"a", "an", "the", "and", "or", "nor", "of", "on", "in", "at", "to", "for", "per", "by", "with", "from",
               "vs", "via", "as"}


def deliberate_capitals(words: list[str]) -> bool:
    """Some later words capitalised and some not ('Tage seit letztem Kauf'), or capitals in a German
    name ('Anzahl Bestellungen', nouns): the capitals are the writer's. Every later word capitalised is
    otherwise title case ('Marital Status'), read in lower case."""
    later = [w for w in words[1:] if w[:1].isalpha() and not (len(w) > 1 and w.isupper()) and w not in TITLE_SMALL]
    return any(w[:1].isupper() for w in later) and (any(w[:1].islower() for w in later) or german(words))


# The period a measure covers ('12m', 'last 12 months', 'YTD'): the same for every column, no part of a label.
PERIOD_WORDS = re.compile(
    r"\b((l|last|past|letzte|laatste|derniers|ultimos|ultimi)\s)?\d+\s(m|mo|mon|month|months|mnd|maanden|monate|mois"
    r"|meses|mesi|y|yr|yrs|year|years|jahre|jaar|ans|anos|anni|w|wk|weeks|d|days)\b|\b(ytd|mtd|ltm|ttm)\b", re.IGNORECASE)


def readable(name: str) -> str:
    """A category or channel written in snake case ('cama_mesa_banho', 'Detergents_Paper') as words."""
    text = str(name).strip()
    return isolated(re.sub(r"_+", " ", text).strip() if "_" in text and " " not in text else text)


def isolated(text: str) -> str:
    """A name written right to left (Arabic, Hebrew) between Unicode's first-strong isolate and its end
    (U+2068, U+2069): in an English sentence the numbers after it stay after it ('حلويات: 51%', not
    '51 :حلويات%'), on the pages, in the PDF and in the charts alike. Other names as they are."""
    if text.startswith("\u2068") or not any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        return text
    return f"\u2068{text}\u2069"


def item_name(name: str, level: str) -> str:
    """A basket item as pages show it: a category as words, as its share of spend is labelled; a
    product as the data names it (a code such as 'SKU_0042' stays the code a catalogue lists)."""
    return readable(name) if level == "category" else isolated(name)


def items_text(names, level: str) -> str:
    """A rule's side as pages and charts write it: 'cama mesa banho + bebes'."""
    return " + ".join(item_name(x, level) for x in names)


def plain(column: str) -> str:
    """A readable label for a column name (see the module docstring)."""
    text = str(column).strip()
    if not text:
        return text
    known = KNOWN.get(re.sub(r"[\s_-]+", "_", text).lower())
    if known:
        return known
    unit = ""
    m = re.search(r"\s*([(\[][^)\]]*[)\]])\s*$", text)
    if m:
        text, unit = text[: m.start()], " " + m.group(1)
    # 'L12M', 'l90d' (after a separator, or L after a lower-case word): the last 12 months, the last 90 days
    text = re.sub(r"(?:(?<=[_\s-])[lL]|(?<=[a-z])L)(\d+)([dwmyDWMY])(?![A-Za-z])",
                  lambda m: f" last {m.group(1)} {PERIODS[m.group(2).lower()]}", text)
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)  # camelCase -> camel Case
    words = re.sub(r"[_\s]+", " ", words).strip()
    if not words:
        return str(column)
    parts = words.split(" ")
    # A name in capitals throughout (BALANCE_FREQUENCY, CUST_ID) is written loud, not in acronyms: there only
    # words without a vowel (TRX, MRR, LTV) and a few known ones stay capitals.
    loud = not re.search(r"[a-z]", words) and sum(ch.isalpha() for ch in words) >= 3

    def acronym(p: str) -> bool:
        return len(p) > 1 and p.isupper() and (not loud or p in KEEP_CAPITALS or not re.search(r"[AEIOUY]", p))
    # Lower case but for acronyms (two or more capitals) and the first word's first letter; a name that
    # capitalises some later words and not others (Tage_seit_letztem_Kauf) means its capitals: kept.
    mixed = not re.search(r"[a-z0-9][A-Z]", text) and deliberate_capitals(parts)  # camelCase capitals are no choice
    def cased(p: str) -> str:  # each part of a hyphenated word on its own: 'Kunden-ID' keeps its ID
        return "-".join(q if acronym(q) else q.lower() for q in p.split("-"))
    parts = [p if acronym(p) or (mixed and i) else p.upper() if p.lower() in SPOKEN_ACRONYMS else cased(p)
             for i, p in enumerate(parts)]
    # A currency code or a size unit at the end is a unit (monthly_fee_usd -> 'Monthly fee (USD)'),
    # units inside are written as units (data_gb_last_90d -> 'Data GB last 90 days').
    if not unit and len(parts) > 1 and parts[-1].upper() in UNIT_CODES:
        unit = f" ({parts.pop().upper()})"
    english = not foreign(parts)  # abbreviations spelt out in English names only
    parts = [UNITS.get(p, p) if english or p in SIZE_UNITS else p for p in parts]
    parts = [p for i, p in enumerate(parts) if not (p == "of" and i and parts[i - 1].endswith(" of"))]  # NumOfProducts
    if english and len(parts) > 1 and parts[0] == "n" and not parts[1][:1].isdigit():
        parts[0] = "number of"  # n_txn, n_orders: a count
    parts = [re.sub(r"^(\d+)([dwmy])$", lambda m: f"{m.group(1)} {PERIODS[m.group(2)]}", p) for p in parts]
    first = parts[0]
    parts[0] = first[:1].upper() + first[1:]
    return " ".join(parts) + unit
