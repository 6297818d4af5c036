"""The drafted config: it must load as it is, and its guesses must be the ones an analyst would make."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.config import load_config, parse_config
from analysis.ingest.drafting import draft_config
from analysis.errors import UserError
from analysis.ingest.loading import load_customers, read_table

REPO = Path(__file__).resolve().parents[1]
MARKETING = REPO / "data" / "marketing_campaign.csv"


def parse(text: str, base_dir: Path):
    return parse_config(yaml.safe_load(text), "draft", base_dir)


def named_columns(cfg) -> list[str]:
    return [col for _, col in cfg.columns.named()]


def assert_each_column_once(cfg, columns) -> None:
    counts = Counter(named_columns(cfg))
    assert sorted(counts) == sorted(columns), "every column of the file must be in the draft"
    assert [c for c, n in counts.items() if n > 1] == [], "no column may have two roles"


# --- the sample data ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def marketing_draft(tmp_path_factory):
    base = tmp_path_factory.mktemp("cfg")
    return base, draft_config(MARKETING, config_dir=base)


def test_marketing_draft_loads_and_points_at_the_file(marketing_draft):
    base, text = marketing_draft
    cfg = parse(text, base)
    assert cfg.customers_path.resolve() == MARKETING.resolve()  # outside the config folder: absolute
    assert cfg.customers.delimiter == "\t"
    assert cfg.customers.encoding == "utf-8"
    assert 'delimiter: "\\t"  # detected' in text


def test_marketing_draft_roles(marketing_draft):
    base, text = marketing_draft
    c = parse(text, base).columns
    assert c.id == "ID"
    assert c.birth_year == "Year_Birth"
    assert c.income == "Income"
    assert c.household == ["Kidhome", "Teenhome"]
    assert (c.signup_date, c.signup_date_format) == ("Dt_Customer", "%d-%m-%Y")
    assert c.recency_days == "Recency"
    assert c.spend == {
        "Wines": "MntWines", "Fruits": "MntFruits", "Meat products": "MntMeatProducts",
        "Fish products": "MntFishProducts", "Sweet products": "MntSweetProducts", "Gold products": "MntGoldProds",
    }
    assert c.purchases == {"Web": "NumWebPurchases", "Catalog": "NumCatalogPurchases", "Store": "NumStorePurchases"}
    assert c.deal_purchases == "NumDealsPurchases"
    assert c.web_visits == "NumWebVisitsMonth"
    # Oldest first, whatever the file's order (AcceptedCmp3 comes first there); the latest last.
    assert list(c.campaigns.values()) == [f"AcceptedCmp{i}" for i in range(1, 6)] + ["Response"]
    assert list(c.campaigns)[-1] == "Latest campaign"
    assert c.complaints == "Complain"
    assert c.contact_cost == "Z_CostContact"
    assert c.revenue_per_answer == "Z_Revenue"
    assert c.categorical == ["Education", "Marital_Status"]
    assert c.numeric == [] and c.ignore == []
    assert (c.age, c.birth_date, c.gender, c.loyalty_card) == (None, None, None, None)
    assert_each_column_once(parse(text, base), read_table(MARKETING).frame.columns)


def test_marketing_draft_layout(marketing_draft):
    _, text = marketing_draft
    data = yaml.safe_load(text)
    assert list(data) == ["customers", "columns", "cleaning", "segmentation", "report", "labels", "seed"]
    # One readable label per input column, in the file's order.
    assert list(data["labels"]) == list(read_table(MARKETING).frame.columns)
    assert data["labels"]["Dt_Customer"] == "Date of signing up"
    assert "features" not in data and "# features:" in text and "default features" in text
    assert data["seed"] == 42
    assert "marketing" in data["report"]["title"].lower()
    header = text.split("customers:")[0]
    assert "2240 rows" in header and "29 columns" in header
    assert "segments report --config" in header
    assert "  income: Income  # " in text and "24 missing" in text
    assert "  # age:  # no column found" in text


def test_relative_path_when_the_table_is_under_the_config_folder(tmp_path):
    (tmp_path / "data").mkdir()
    shutil.copy(MARKETING, tmp_path / "data" / "customers.tsv")
    text = draft_config(tmp_path / "data" / "customers.tsv", config_dir=tmp_path)
    assert yaml.safe_load(text)["customers"]["path"] == "data/customers.tsv"
    # The file as the CLI would save it, read back by the real loader.
    (tmp_path / "draft.yml").write_text(text, encoding="utf-8")
    table = load_customers(load_config(tmp_path / "draft.yml"))
    assert table.frame.shape == (2240, 29)


# --- other shapes of customer table ------------------------------------------------------------------------

FIRST_NAMES = ["Hélène", "Chloé", "Amélie", "Renée", "Cécile", "Jérémie", "Léa", "Mélanie", "Anne", "Marc"]
CITIES = ["Paris", "Lyon", "Nantes", "Lille"]


def write_semicolon_latin1(path: Path) -> None:
    lines = ["cust_no;Gender;Age;Annual Income (k$);Spending Score (1-100);city;joined;name"]
    for i in range(40):
        day, month = 1 + (i * 7) % 28, 1 + i % 12  # days above 12 make the order day/month certain
        lines.append(
            f"{1001 + i};{'Female' if i % 3 else 'Male'};{18 + (i * 13) % 50};{15 + (i * 17) % 120};"
            f"{1 + (i * 29) % 99};{CITIES[i % 4]};{day:02d}/{month:02d}/{2015 + i % 5};{FIRST_NAMES[i % 10]} Martin {i}"
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def test_semicolon_latin1_file_with_other_names(tmp_path):
    path = tmp_path / "clients.csv"
    write_semicolon_latin1(path)
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert cfg.customers.path == "clients.csv"
    assert cfg.customers.delimiter == ";"
    assert cfg.customers.encoding.replace("_", "-").lower() not in ("utf-8", "ascii", "auto")
    # The written encoding reads the accents back.
    decoded = path.read_bytes().decode(cfg.customers.encoding)
    assert "Hélène Martin 0" in decoded
    c = cfg.columns
    assert c.id == "cust_no"
    assert c.gender == "Gender"
    assert c.age == "Age"
    assert c.income == "Annual Income (k$)"
    assert c.spend == {}  # a spending score is not money spent: it sizes the offers where there is no spend
    assert c.numeric == [] and c.spending_score == "Spending Score (1-100)"
    assert c.categorical == ["city"]
    assert (c.signup_date, c.signup_date_format) == ("joined", "%d/%m/%Y")
    assert c.ignore == ["name"]  # free text
    assert_each_column_once(cfg, read_table(path).frame.columns)
    assert '"Annual Income (k$)"' in text


def test_no_id_like_column_leaves_id_unset(tmp_path):
    path = tmp_path / "shop.csv"
    pd.DataFrame({
        "Age": [30, 30, 41, 52, 23, 30, 41, 60],
        "City": ["a", "b", "a", "b", "a", "a", "b", "a"],
        "Income": [100, 200, 300, 400, 500, 600, 700, 800],
        "zip_code": [75001, 75002, 75003, 75004, 75005, 75006, 75007, 75008],
        "Note": ["x y", "z", "w", "v v", "u", "t", "s", "r"],
    }).to_csv(path, index=False)
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert "id" not in yaml.safe_load(text)["columns"]
    assert cfg.columns.id is None
    assert "  # id:" in text
    assert cfg.columns.age == "Age" and cfg.columns.income == "Income"
    assert set(cfg.columns.ignore) == {"zip_code", "Note"}  # distinct values, but not customer ids
    assert_each_column_once(cfg, ["Age", "City", "Income", "zip_code", "Note"])


def test_parquet_input(tmp_path):
    frame = pd.read_csv(MARKETING, sep="\t")
    path = tmp_path / "customers.parquet"
    frame.to_parquet(path)
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert cfg.customers.path == "customers.parquet"
    assert "delimiter" not in yaml.safe_load(text)["customers"]  # not used for Parquet
    c = cfg.columns
    assert c.id == "ID" and c.income == "Income"  # Income is float with NaN in Parquet: still found
    assert (c.signup_date, c.signup_date_format) == ("Dt_Customer", "%d-%m-%Y")
    assert list(c.campaigns.values())[-1] == "Response"
    assert_each_column_once(cfg, frame.columns)


def test_ambiguous_day_month_order_is_flagged(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("customer_id,signup_date,spend_total\n1,01/02/2020,5\n2,03/04/2021,6\n3,12/11/2019,7\n")
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert cfg.columns.signup_date_format == "%d/%m/%Y"  # the first candidate that parses all
    line = next(l for l in text.splitlines() if l.strip().startswith("signup_date_format:"))
    assert "AMBIGUOUS" in line and "%m/%d/%Y" in line
    # Times with or without a zone read the same dates: no day/month question to ask.
    path.write_text("customer_id,signup_date,spend_total\n1,2020-07-30 00:00:00,5\n2,2021-05-06 00:00:00,6\n"
                    "3,2019-11-12 00:00:00,7\n")
    line = next(l for l in draft_config(path, config_dir=tmp_path).splitlines()
                if l.strip().startswith("signup_date_format:"))
    assert "AMBIGUOUS" not in line and "detected: all 3 values parse" in line


def test_only_zero_one_columns_are_campaigns_and_totals_are_not_spend(tmp_path):
    path = tmp_path / "c.csv"
    rows = ["id,MntWine,MntMeat,MntTotal,AcceptedCmp2,AcceptedCmp1,Campaign3,Response"]
    rows += [f"{i},{i},{2 * i},{3 * i},{i % 2},{(i + 1) % 2},{i % 3},{i % 2}" for i in range(10)]
    path.write_text("\n".join(rows) + "\n")
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert cfg.columns.campaigns == {"Campaign 1": "AcceptedCmp1", "Campaign 2": "AcceptedCmp2", "Latest campaign": "Response"}
    assert cfg.columns.spend == {"Wine": "MntWine", "Meat": "MntMeat"}
    assert "MntTotal" in cfg.columns.ignore
    assert "Campaign3" in cfg.columns.numeric  # 0/1/2: not a campaign answer


def test_a_footer_of_sums_and_a_blank_line_cost_neither_the_id_nor_the_ranges(tmp_path):
    """An ERP export ends with a blank line and a totals row labelled 'Razem': the draft judges the
    customers only, as cleaning will (the id is unique among them, the amounts end at the largest)."""
    rng = np.random.default_rng(2)
    spend = np.round(rng.uniform(100, 5000, 60), 2)
    orders = rng.integers(1, 40, 60)
    lines = ["nr_klienta;obrot;liczba_zamowien"] + [f"K{i:03d};{v:.2f};{o}".replace(".", ",")
                                                   for i, (v, o) in enumerate(zip(spend, orders))]
    lines += [";;", f"Razem;{spend.sum():.2f};{orders.sum()}".replace(".", ",")]
    path = tmp_path / "konta.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    assert parse(text, tmp_path).columns.id == "nr_klienta"
    assert f"to {orders.max()}" in text and str(orders.sum()) not in text


def test_yes_no_answers_are_profiled_not_clustered_and_named_campaigns_are_campaigns(tmp_path):
    """A 0/1 column standardised is two points 2 or more standard deviations apart: as a feature it
    splits every segment in two. Opt-ins and flags are drafted as categories; answers to campaigns
    named before the word ('spring_campaign') are campaigns; a tier is no yes/no loyalty card."""
    rng = np.random.default_rng(3)
    n = 80
    frame = pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(n)],
        "total_spend": np.round(rng.uniform(10, 900, n), 2),
        "orders": rng.integers(1, 30, n),
        "newsletter_opt_in": (rng.random(n) < 0.11).astype(int),
        "SeniorCitizen": (rng.random(n) < 0.2).astype(int),
        "spring_campaign": (rng.random(n) < 0.1).astype(int),
        "autumn_campaign": (rng.random(n) < 0.1).astype(int),
        "loyalty_tier": rng.choice(["Bronze", "Silver", "Gold"], n),
        "satisfaction": rng.integers(1, 6, n),
    })
    path = tmp_path / "shop.csv"
    frame.to_csv(path, index=False)
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert {"newsletter_opt_in", "SeniorCitizen", "loyalty_tier"} <= set(c.categorical)
    assert "satisfaction" in c.numeric and not {"newsletter_opt_in", "SeniorCitizen"} & set(c.numeric)
    assert set(c.campaigns.values()) == {"spring_campaign", "autumn_campaign"}
    assert c.loyalty_card is None
    yes_no = frame.assign(loyalty_tier=rng.choice(["yes", "no"], n))
    yes_no.to_csv(path, index=False)
    assert parse(draft_config(path, config_dir=tmp_path), tmp_path).columns.loyalty_card == "loyalty_tier"


# --- errors ------------------------------------------------------------------------------------------------

def test_missing_file_is_a_one_line_error_naming_it(tmp_path):
    with pytest.raises(UserError, match="nothere.csv") as err:
        draft_config(tmp_path / "nothere.csv")
    assert "\n" not in str(err.value)


def test_header_only_file_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("a,b,c\n")
    with pytest.raises(UserError, match="empty.csv"):
        draft_config(path)


# --- any column names --------------------------------------------------------------------------------------

column_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(column_names, min_size=1, max_size=6, unique=True))
def test_any_column_names_round_trip(tmp_path, names):
    """Quotes, colons, '#', accents, YAML words like 'yes' or 'null': the draft still loads, each name once."""
    kinds = [
        [str(i) for i in range(12)],
        ["a", "b"] * 6,
        [str(i % 2) for i in range(12)],
        [f"{1 + i % 28:02d}-0{1 + i % 9}-2020" for i in range(12)],
        [f"{i * 1.5}" for i in range(12)],
        ["same"] * 12,
    ]
    frame = pd.DataFrame({name: kinds[i % len(kinds)] for i, name in enumerate(names)})
    path = tmp_path / "any.parquet"
    frame.to_parquet(path)
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert_each_column_once(cfg, names)


# --- real-world tables: other languages, number formats, duplicates, coordinates, Excel ----------------------

GERMAN = (
    "Kundennummer;Geschlecht;Alter;Jahreseinkommen;Breitengrad;Längengrad;lifetime_spend_groceries;Käufe_Web;"
    "Anmeldedatum;Anteil_Aktion\n"
    + "".join(f"{i};{'MW'[i % 2]};{20 + i};{15 + i}.000,50;52,{i:02d};13,{i:02d};{i}.234,50;{i % 7};"
              f"{1 + i % 12}/14/2019 {1 + i % 12}:00:00 {'AP'[i % 2]}M;0,{i % 10}\n" for i in range(1, 31))
)


@pytest.fixture
def german(tmp_path):
    path = tmp_path / "kunden.csv"
    # five exact duplicate rows: the id still identifies customers
    path.write_text(GERMAN + "".join(GERMAN.splitlines(keepends=True)[1:6]), encoding="utf-8")
    return tmp_path, draft_config(path, config_dir=tmp_path)


def test_german_headers_get_their_roles(german):
    base, text = german
    c = parse(text, base).columns
    assert (c.id, c.gender, c.age, c.income) == ("Kundennummer", "Geschlecht", "Alter", "Jahreseinkommen")
    assert c.spend == {"Groceries": "lifetime_spend_groceries"}
    # One channel's purchases alone are no total of purchases: a number like any other.
    assert c.purchases == {} and "Käufe_Web" in c.numeric
    assert (c.signup_date, c.signup_date_format) == ("Anmeldedatum", "%m/%d/%Y %I:%M:%S %p")


def test_duplicated_rows_do_not_cost_the_id(german):
    _, text = german
    assert "values repeat only in 5 exact duplicate rows" in text


def test_coordinates_are_left_out_and_shares_are_not_counts(german):
    base, text = german
    c = parse(text, base).columns
    assert {"Breitengrad", "Längengrad"} <= set(c.ignore) and "coordinates" in text
    assert c.deal_purchases is None and "Anteil_Aktion" in c.numeric and "Anteil_Aktion" not in (c.purchases or {}).values()


def test_accented_names_keep_their_letters():
    from analysis.ingest.drafting import normalise

    assert normalise("Âge") == "age" and normalise("Straße") == "strasse" and normalise("Käufe") == "kaufe"


@pytest.mark.parametrize("header", ["Rabatt_Prozent", "discount_pct", "taux_remise", "deal_rate"])
def test_a_discount_percentage_is_no_count_of_deal_purchases(tmp_path, header):
    path = tmp_path / "t.csv"
    path.write_text(f"id,{header},Rabattkäufe\n" + "".join(f"{i},{(i * 7) % 40},{i % 6}\n" for i in range(40)),
                    encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.deal_purchases == "Rabattkäufe" and header in c.numeric


@pytest.mark.parametrize("header, role", [
    ("Geschlecht", "gender"), ("Sexe", "gender"), ("Sexo", "gender"), ("Geslacht", "gender"), ("Sesso", "gender"),
    ("Âge", "age"), ("Edad", "age"), ("Idade", "age"), ("Leeftijd", "age"), ("Età", "age"),
    ("Revenu", "income"), ("Ingresos", "income"), ("Renda", "income"), ("Inkomen", "income"), ("Reddito", "income"),
    ("Kundennummer", "id"), ("ID_Client", "id"), ("Numero_Cliente", "id"), ("Klantnummer", "id"),
    ("Codice_Cliente", "id"), ("id_klienta", "id"),
    ("dias_ultima_compra", "recency_days"), ("giorni_dall_ultimo_acquisto", "recency_days"),
    ("jours_depuis_dernier_achat", "recency_days"), ("ingreso_respuesta", "revenue_per_answer"),
    ("pedidos_con_cupon", "deal_purchases"), ("compras_com_cupom", "deal_purchases"),
    ("Bestellungen_mit_Gutschein", "deal_purchases"),
])
def test_role_names_in_seven_languages(tmp_path, header, role):
    values = {"gender": lambda i: "FM"[i % 2], "age": lambda i: str(20 + i), "income": lambda i: str(20000 + 97 * i),
              "id": lambda i: str(500 + i), "recency_days": lambda i: str(3 * i),
              "revenue_per_answer": lambda i: "11", "deal_purchases": lambda i: str(i % 7)}[role]
    path = tmp_path / "t.csv"
    path.write_text(f"{header},other\n" + "".join(f"{values(i)},{i % 5}\n" for i in range(40)), encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert getattr(c, role) == header


def test_excel_customer_table_names_its_sheet(tmp_path):
    frame = pd.DataFrame({"customer_id": range(1, 31), "income": [20000 + 50 * i for i in range(30)]})
    path = tmp_path / "c.xlsx"
    with pd.ExcelWriter(path) as w:
        frame.to_excel(w, sheet_name="Kunden", index=False)
        frame.head(2).to_excel(w, sheet_name="Old", index=False)
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert cfg.customers.sheet == "Kunden" and "other sheets: Old" in text
    assert cfg.columns.id == "customer_id" and cfg.columns.income == "income"
    assert len(load_customers(cfg).frame) == 30


def test_a_workbook_whose_first_sheet_is_a_cover_is_drafted_from_its_table(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config
    frame = pd.DataFrame({"Kundennummer": range(1, 31), "Umsatz": [2000 + 50 * i for i in range(30)]})
    path = tmp_path / "k.xlsx"
    with pd.ExcelWriter(path) as w:
        pd.DataFrame({"Hinweise": ["Stand: 31.12.2024", "Vertraulich"]}).to_excel(w, sheet_name="Hinweise", index=False)
        frame.to_excel(w, sheet_name="Kunden", index=False)
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert cfg.customers.sheet == "Kunden" and "(the largest); other sheets: Hinweise" in text
    assert cfg.columns.id == "Kundennummer" and len(load_customers(cfg).frame) == 30
    lines = tmp_path / "l.xlsx"
    rows = pd.DataFrame({"order": [f"A{i // 2}" for i in range(40)], "customer": [f"C{i % 7}" for i in range(40)],
                         "date": ["2024-03-01 10:00"] * 40, "price": ["3.50"] * 40})
    with pd.ExcelWriter(lines) as w:
        pd.DataFrame({"About": ["order lines of 2024"]}).to_excel(w, sheet_name="About", index=False)
        rows.to_excel(w, sheet_name="Lines", index=False)
    text = draft_orders_config(lines, config_dir=tmp_path)
    assert parse(text, tmp_path).transactions.sheet == "Lines" and parse(text, tmp_path).transactions.customer == "customer"


def test_what_could_not_be_decided_is_written(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,joined\n" + "".join(f"{i % 3},0{1 + i % 9}-0{1 + i % 9}-2020\n" for i in range(30)))
    text = draft_config(path, config_dir=tmp_path)
    assert "# NOT DECIDED, check these:" in text
    assert "id: no column identifies a customer" in text
    assert "'joined': day and month order undecided" in text


def _odd_lines(tmp_path, header: str, timed: bool = True):
    rows = [header]
    for o in range(200):
        for j in range(3):
            p = (o * 7 + j) % 40
            when = f"2021-03-{1 + o % 28:02d} {8 + o % 12}:{o % 60:02d}" if timed else f"{1 + o % 28:02d}/03/2021"
            rows.append(f"R{1000 + o},{when},{500 + o % 60},S{p:03d},{1 + j},{p * 0.37 + 1:.2f}")
    path = tmp_path / "lines.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("header", ["Bestellnummer,Zeitpunkt,Kundennummer,Artikel,Menge,Preis",
                                    "NumeroOrdine,DataOra,CodiceCliente,CodiceArticolo,Quantita,Prezzo",
                                    "nr_zamówienia,data,id_klienta,kod,ilość,cena_netto",
                                    "Nº Pedido,Fecha,Nº Cliente,Código artículo,Cantidad,Precio",
                                    "N° commande,Date,N° client,Réf produit,Quantité,Prix",
                                    "Bestellnr,Bestelldatum,Kd.-Nr.,Artikelnummer,Menge,Einzelpreis",
                                    "id_pedido,data_pedido,cod_cliente,produto,quantidade,preco_unitario",
                                    "numero_ordine,data_ordine,codice_cliente,codice_articolo,quantita,prezzo",
                                    # invoice numbers and ids written with their joining words
                                    "Rechnungsnummer,Rechnungsdatum,Kundennummer,Artikelnummer,Menge,Einzelpreis",
                                    "Numéro de facture,Date de facture,Numéro client,Code article,Quantité,Prix unitaire",
                                    "Número de factura,Fecha de factura,ID cliente,Código de producto,Cantidad,Precio unitario",
                                    "Número da fatura,Data da fatura,ID do cliente,Código do produto,Quantidade,Preço unitário",
                                    "Numer faktury,Data faktury,ID klienta,Kod produktu,Ilość,Cena jednostkowa"])
def test_order_lines_roles_from_other_names(tmp_path, header):
    from analysis.ingest.drafting_orders import draft_orders_config

    text = draft_orders_config(_odd_lines(tmp_path, header), config_dir=tmp_path)
    t = parse(text, tmp_path).transactions
    assert (t.order, t.timestamp, t.customer, t.product, t.quantity, t.unit_price) == tuple(header.split(","))


@pytest.mark.parametrize("customer", ["Courriel client", "E-mail client", "Adresse e-mail", "Kontakt"])
def test_order_lines_customers_written_as_e_mail_addresses_and_iso_times_in_several_ways(tmp_path, customer):
    """A French shop's export: the customer is an e-mail address (in upper and lower case), whatever the
    column's name; its times are ISO 8601 in three ways (Z, +02:00, none), which the loader reads as they
    are: no '???' to fill in. 'Client Ref', 'Txn' and a bare 'Item' beside the SKU name their roles."""
    from analysis.ingest.drafting_orders import draft_orders_config

    ways = ["2022-07-{d:02d}T09:{m:02d}:00Z", "2022-07-{d:02d}T10:{m:02d}:00+02:00", "2022-07-{d:02d} 11:{m:02d}:00"]
    rows = [f"{customer},N° commande,Date de commande,Réf produit,Quantité,Prix unitaire"]
    for o in range(150):
        mail = f"client.{500 + o % 50}@exemple.fr"
        mail = mail.upper() if o % 3 == 0 else mail
        when = ways[o % 3].format(d=1 + o % 28, m=o % 60)
        rows += [f"{mail},{1000 + o},{when},F{(o + j) % 20:02d},{1 + j},{10 + j}.50" for j in range(2)]
    (tmp_path / "commandes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = draft_orders_config(tmp_path / "commandes.csv", config_dir=tmp_path)
    t = parse(text, tmp_path).transactions
    assert (t.customer, t.timestamp, t.timestamp_format) == (customer, "Date de commande", None)
    assert "values are e-mail addresses" in text and "# timestamp_format:  # not needed" in text

    rows = ["Client Ref\tTxn\tWhen\tSKU\tItem\tUnits\tPrice"] + [
        f"{11000 + o % 40}\t{109000 + o}\t7/{1 + o % 28}/2022 12:{o % 60:02d}:00 PM\tG{o % 9:02d}\tGrocery item {o % 9}"
        f"\t{1 + o % 3}\t$2.{o % 90 + 10}" for o in range(300)]
    (tmp_path / "export.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    t = parse(draft_orders_config(tmp_path / "export.txt", config_dir=tmp_path), tmp_path).transactions
    assert (t.customer, t.order, t.product, t.product_name) == ("Client Ref", "Txn", "SKU", "Item")


def test_iso_times_are_read_as_they_are_but_other_mixed_ways_are_asked_for():
    from analysis.ingest.drafting_orders import _iso_times

    assert _iso_times(pd.Series(["2022-07-02T09:33:00Z", "2022-07-02T09:33:00+02:00", "2022-07-02 10:25", "2022-07-03",
                                 "2022-07-02T09:33:00.125+0200", ""]))
    assert not _iso_times(pd.Series(["2022-07-02T09:33:00Z", "02/07/2022 10:25"]))
    assert not _iso_times(pd.Series(["2022-07-02T09:33:00Z", "2022-7-2"]))


def test_an_empty_column_is_not_taken_for_the_timestamp(tmp_path):
    """An empty column (a spreadsheet's trailing separator, 'c0' before the dates here) reads as dates
    in any format, having none: the dates are in the column that holds some."""
    from analysis.ingest.drafting_orders import draft_orders_config

    lines = _odd_lines(tmp_path, "order_ref,c2,customer,sku,c5,c6")
    text = lines.read_text(encoding="utf-8").splitlines()
    lines.write_text("\n".join(["c0," + text[0]] + ["," + r for r in text[1:]]) + "\n", encoding="utf-8")
    t = parse(draft_orders_config(lines, config_dir=tmp_path), tmp_path).transactions
    assert (t.timestamp, t.quantity, t.unit_price) == ("c2", "c5", "c6")


def test_order_lines_roles_from_values_when_names_say_nothing(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config

    text = draft_orders_config(_odd_lines(tmp_path, "order_ref,c2,customer,sku,c5,c6"), config_dir=tmp_path)
    t = parse(text, tmp_path).transactions
    assert (t.timestamp, t.quantity, t.unit_price) == ("c2", "c5", "c6")
    assert "values are all dates and times" in text and "like prices; check" in text
    # Dates without times, under a name that says nothing, are the order date too.
    text = draft_orders_config(_odd_lines(tmp_path, "order_ref,c2,customer,sku,c5,c6", timed=False), config_dir=tmp_path)
    assert parse(text, tmp_path).transactions.timestamp == "c2" and "values are all dates (%d/%m/%Y); check" in text


def test_init_drafts_a_readable_label_for_every_column(tmp_path):
    path = tmp_path / "mall.csv"
    rows = "\n".join(f"{i},{20 + i % 50},{i % 100},{'Male' if i % 2 else 'Female'}" for i in range(60))
    path.write_text("CustomerID,Annual Income (k$),Spending_Score,Genre\n" + rows + "\n", encoding="utf-8")
    text = draft_config(path, tmp_path)
    cfg = load_config_text(tmp_path, text)
    assert cfg.labels == {"CustomerID": "Customer ID", "Annual Income (k$)": "Annual income (k$)",
                          "Spending_Score": "Spending score", "Genre": "Genre"}


def load_config_text(folder: Path, text: str):
    (folder / "draft.yml").write_text(text, encoding="utf-8")
    return load_config(folder / "draft.yml")


FRENCH_LINES = "N° commande;Client;Date;Réf produit;Désignation;Quantité;Prix unitaire;Rayon;Ville\r\n" + "".join(
    f"{5000 + o};CL-{100 + o % 40};{1 + o % 28:02d}/03/2024 {8 + o % 12}:{o % 60:02d};P{(o * 7 + j) % 30:02d};"
    f"Œufs frais n°{(o * 7 + j) % 30};{1 + j};{(o * 7 + j) % 30 * 0.37 + 1:.2f} €;{'Crèmerie' if j else 'Épicerie'};"
    f"{'Besançon' if o % 2 else 'Lyon'}\r\n".replace(".", ",") for o in range(200) for j in range(3))


def test_french_windows_1252_order_lines_get_their_roles_and_currency(tmp_path):
    """A French Excel export: `;`, Windows-1252 with euro signs after the prices, decimal commas."""
    from analysis.ingest.drafting_orders import draft_orders_config

    path = tmp_path / "lignes.csv"
    path.write_bytes(FRENCH_LINES.encode("cp1252"))
    text = draft_orders_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    t = cfg.transactions
    assert (t.order, t.customer, t.timestamp, t.product, t.product_name, t.quantity, t.unit_price, t.category) == (
        "N° commande", "Client", "Date", "Réf produit", "Désignation", "Quantité", "Prix unitaire", "Rayon")
    assert (t.encoding, t.delimiter, t.timestamp_format) == ("cp1252", ";", "%d/%m/%Y %H:%M")
    assert t.customer_columns == ["Ville"]
    assert cfg.report.currency == "€"


@pytest.mark.parametrize("names, language", [
    (["Kunden-ID", "Alter", "Umsatz 2023", "Anzahl Bestellungen"], "German"),
    (["klantnummer", "leeftijd", "totale_omzet", "aantal_bestellingen"], "Dutch"),
    (["id_zamowienia", "id_klienta", "cena_jednostkowa", "ilosc"], "Polish"),
    (["Numero ordine", "Prezzo unitario", "Quantità", "Provincia"], "Italian"),
    (["顧客ID", "年間購入金額", "会員ランク"], "Japanese"), (["客户ID", "消费金额"], "Chinese"),
    (["customer_id", "total_spend", "orders"], None),  # English: written in many currencies
    (["id_cliente", "gasto_total", "pedidos"], None),  # Spanish: pesos, euros, dollars ...
    (["Alter", "customer_id", "spend"], None),  # one word is no language
])
def test_the_language_of_the_column_names_implies_a_currency_only_where_it_tells_one(names, language):
    from analysis.ingest.drafting import language_of
    assert language_of(names) == language


def test_order_lines_whose_price_column_names_its_currency_are_in_that_currency(tmp_path):
    """'Prix unitaire (€)' with bare decimal-comma prices: the name gives the currency. With no sign
    anywhere the French names imply the euro, said to be a guess; English names imply none."""
    from analysis.ingest.drafting_orders import draft_orders_config

    def drafted(price_header: str) -> tuple[str, str]:
        rows = [f"N° facture;Date;Code client;Désignation;Quantité;{price_header};Pays"]
        rows += [f"F{o:05d};{1 + o % 28:02d}/03/2024 10:{o % 60:02d};C{o % 40:03d};Article {(o * 7) % 30};"
                 f"{1 + o % 5};{3 + (o * 13) % 40},{o % 100:02d};France" for o in range(200)]
        path = tmp_path / "lignes.csv"
        path.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
        text = draft_orders_config(path, config_dir=tmp_path)
        return parse(text, tmp_path).report.currency, text
    currency, text = drafted("Prix unitaire (€)")
    assert currency == "€" and "currency € as written in the money columns' names" in text
    currency, text = drafted("Prix unitaire")
    assert currency == "€" and "no currency sign found beside the unit prices: € guessed from the French" in text


def test_brazilian_order_lines_get_their_date_and_the_currency_of_their_line_totals(tmp_path):
    """A wholesaler's export: `;`, Windows-1252, dd/mm/yyyy dates under 'data_pedido', unit prices without a
    sign and line totals written 'R$ 1.074,48'."""
    from analysis.ingest.drafting_orders import draft_orders_config

    rows = ["id_pedido;cod_cliente;data_pedido;produto;categoria;quantidade;preco_unitario;valor_total;uf"]
    for o in range(120):
        for j in range(2):
            q, price = 1 + (o + j) % 9, 10 + (o * 3 + j) % 40 + 0.5
            total = f"{q * price:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
            rows.append(f"PED-{o:06d};CLI{o % 30:05d};{1 + o % 28:02d}/0{1 + o % 9}/2024;Produto {(o + j) % 25};"
                        f"Hortifrúti;{q};{str(price).replace('.', ',')};R$ {total};MG")
    path = tmp_path / "pedidos.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
    text = draft_orders_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    t = cfg.transactions
    assert (t.order, t.customer, t.timestamp, t.quantity, t.unit_price) == (
        "id_pedido", "cod_cliente", "data_pedido", "quantidade", "preco_unitario")
    assert t.timestamp_format == "%d/%m/%Y"
    assert cfg.report.currency == "R$" and "as written beside the values of 'valor_total'" in text


def test_currency_is_the_sign_beside_most_prices():
    from analysis.ingest.drafting import currency_of

    assert currency_of(pd.Series(["4,90 €", "€5", "12,00 €", ""])) == "€"
    assert currency_of(pd.Series(["£3.50", "£1", "2.00"])) == "£"
    assert currency_of(pd.Series(["3.50", "1", "$2.00"])) is None  # one price in three: not the column's currency
    # A few amounts of many carry a sign, all the same: the currency (an export writing it on some cells).
    some = pd.Series([f"{1000 + i}" for i in range(100)] + ["15.000,50 €", "2.300 €", "880 €"])
    assert currency_of(some) == "€"
    assert currency_of(some.iloc[:-1]) is None  # two are too few to name it
    assert currency_of(pd.concat([some, pd.Series(["$5", "$6", "$7"])])) is None  # two signs: undecided
    assert currency_of(pd.Series(["US$ 3", "10 $US"])) is None  # a sign inside the text is not read


def test_spanish_table_with_euro_amounts_and_si_no_answers(tmp_path):
    rows = ["ID Cliente;Fecha de alta;Ingresos anuales;Gasto en moda;Gasto en hogar;Compras online;Respondió campaña"]
    rows += [f"C{i:04d};{1 + i % 28:02d}/0{1 + i % 9}/2021;{20000 + 37 * i:,}.{i % 100:02d} €;{5 + i % 70},{i % 100:02d} €;"
             f"1.{100 + i % 800},50 €;{i % 9};{'sí' if i % 4 == 0 else 'no'}".replace(",", "X").replace(".", ",")
             .replace("X", ".") for i in range(120)]
    path = tmp_path / "clientes.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert cfg.columns.campaigns == {"Latest campaign": "Respondió campaña"}
    assert cfg.columns.income == "Ingresos anuales" and set(cfg.columns.spend.values()) == {"Gasto en moda", "Gasto en hogar"}
    assert cfg.report.currency == "€"
    from analysis.ingest.cleaning import clean
    data = clean(load_customers(cfg), cfg)
    assert data.customers["Respondió campaña"].sum() == 30  # every fourth customer said sí
    assert data.customers["Ingresos anuales"].iloc[0] == 20000.0 and data.customers["Gasto en hogar"].iloc[0] == 1100.5


def test_typed_parquet_order_lines_with_integer_ids(tmp_path):
    """Integer order ids and product codes, a decimal price and a time-zoned timestamp, as a shop
    export writes them: drafted (it stopped with a traceback on the integer ids) and read."""
    import datetime as dt
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.ingest.drafting_orders import draft_orders_config
    from analysis.ingest.orders import load_orders
    n = 600
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    table = pa.table({
        "order_id": pa.array([i // 3 for i in range(n)], pa.int64()),
        "customer_id": pa.array([(i // 3) % 40 for i in range(n)], pa.int64()),
        "ordered_at": pa.array([start + dt.timedelta(hours=i // 3) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "sku": pa.array([100 + (i * 7) % 25 for i in range(n)], pa.int32()),
        "qty": pa.array([1 + i % 3 for i in range(n)], pa.int32()),
        "unit_price": pa.array([decimal.Decimal(f"{2 + (i * 7) % 25 * 0.5:.2f}") for i in range(n)], pa.decimal128(10, 2)),
        "product_type": [["Shoes", "Bags", "Hats"][(i * 7) % 25 % 3] for i in range(n)],
    })
    pq.write_table(table, tmp_path / "orders.parquet")
    cfg = parse(draft_orders_config(tmp_path / "orders.parquet", config_dir=tmp_path), tmp_path)
    t = cfg.transactions
    assert (t.order, t.customer, t.timestamp, t.product, t.quantity, t.unit_price, t.category) == (
        "order_id", "customer_id", "ordered_at", "sku", "qty", "unit_price", "product_type")
    data = load_orders(cfg)
    assert len(data.frame) == 40 and data.n_lines == n
    spend = data.frame[[c for c in data.frame.columns if c.startswith("Spend on ")]].to_numpy().sum()
    assert spend == pytest.approx(sum(float(p) * q for p, q in zip(table["unit_price"].to_pylist(), table["qty"].to_pylist())))


@pytest.mark.parametrize("orders_name", ["Anzahl_Bestellungen", "orders", "NumOrders", "nb_commandes", "Total Orders"])
def test_a_count_of_orders_and_a_total_in_other_languages(tmp_path, orders_name):
    """A count of orders takes the orders role; a spend column named as the total (Umsatz_gesamt)
    is left out of the categories, whose sum it is: counted too, the money would count twice."""
    rows = "".join(f"{i};{(i * 37) % 400 + 20};{(i * 53) % 300 + 10};{(i * 37) % 400 + (i * 53) % 300 + 30};"
                   f"{1 + i % 25}\n" for i in range(1, 61))
    path = tmp_path / "kunden.csv"
    path.write_text(f"Kundennummer;Umsatz_Wein;Umsatz_Fleisch;Umsatz_gesamt;{orders_name}\n" + rows, encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.spend == {"Wein": "Umsatz_Wein", "Fleisch": "Umsatz_Fleisch"}
    assert c.orders == orders_name and "Umsatz_gesamt" not in c.numeric


@pytest.mark.parametrize("name, label", [("Compras na loja", "Loja"), ("Compras no site", "Site"), ("NumWebPurchases", "Web"),
                                         ("Käufe im Laden", "Laden"), ("store_purchases", "Store")])
def test_a_channel_is_named_without_its_preposition(name, label):
    from analysis.ingest.drafting import channel_label
    assert channel_label(name) == label


@pytest.mark.parametrize("header, birth, channels", [
    # German written without umlauts (ae for ä), Spanish without the tilde (anio for año)
    ("Kundennummer;Geburtsjahr;Kaeufe_Online;Kaeufe_Filiale;Kaeufe_Katalog", "Geburtsjahr",
     {"Online": "Kaeufe_Online", "Filiale": "Kaeufe_Filiale", "Katalog": "Kaeufe_Katalog"}),
    ("Kundennummer;Jahrgang;Einkaeufe_Web;Einkaeufe_Laden", "Jahrgang", {"Web": "Einkaeufe_Web", "Laden": "Einkaeufe_Laden"}),
    ("id_cliente;anio_nacimiento;compras_web;compras_tienda", "anio_nacimiento",
     {"Web": "compras_web", "Tienda": "compras_tienda"}),
])
def test_purchase_channels_and_birth_years_spelled_without_accents(tmp_path, header, birth, channels):
    n = len(header.split(";")) - 2
    rows = "".join(f"{i};{1950 + i % 50};" + ";".join(str((i * (j + 3)) % 17) for j in range(n)) + "\n"
                   for i in range(1, 81))
    path = tmp_path / "kunden.csv"
    path.write_text(header + "\n" + rows, encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.birth_year == birth and c.purchases == channels and not c.numeric


def test_a_table_with_trailing_separators_and_notes_on_a_few_rows(tmp_path):
    """The UCI Wholesale customers file as published: every row ends in four empty fields, and the
    last of them holds the data dictionary on 8 of 440 rows. The empty columns are not read and the
    notes (8 values, each on one row) are no category to profile segments by."""
    notes = [f"{i}) {w}: annual spending (m.u.) on {w.lower()} products" for i, w in enumerate(["FRESH", "MILK", "GROCERY"], 1)]
    rows = "".join(f"{1 + i % 2},{1 + i % 3},{(i * 37) % 900 + 3},{(i * 53) % 700 + 5},{(i * 71) % 800 + 2},,,,"
                   f"{notes[i - 10] if 10 <= i < 13 else ''}\n" for i in range(120))
    path = tmp_path / "wholesale.csv"
    path.write_text("Channel,Region,Fresh,Milk,Grocery,,,,\n" + rows, encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.spend == {"Fresh": "Fresh", "Milk": "Milk", "Grocery": "Grocery"}
    assert c.categorical == ["Channel", "Region"]


@pytest.mark.parametrize("name, form", [("customer_unique_id", "hex"), ("ref", "uuid"), ("unique_customer_id", "uuid")])
def test_ids_of_32_hex_digits_or_uuids_identify_the_customers(tmp_path, name, form):
    """Olist's customer_unique_id holds 32 hex digits; other systems write UUIDs (36 characters): both
    were left out as 'free text or an identifier' and the rows numbered instead."""
    import uuid

    rng = np.random.default_rng(0)
    ids = [uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i) for i in range(120)]
    rows = "".join(f"{u.hex if form == 'hex' else u},{1000 + (i * 37) % 9000},{['SP', 'RJ', 'MG'][i % 3]}\n"
                   for i, u in enumerate(ids))
    path = tmp_path / "clientes.csv"
    path.write_text(f"{name},zip_code_prefix,state\n" + rows, encoding="utf-8")
    assert parse(draft_config(path, config_dir=tmp_path), tmp_path).columns.id == name


def test_a_german_count_per_month_is_no_deal_count(tmp_path):
    """'Webbesuche pro Monat' folds to 'webbesuchepromonat', where 'promo' was found: web visits were
    drafted as purchases on deal, and a false deal share turned a segment's offer into a discount."""
    rows = "".join(f"{i};{20 + i % 50};{(i * 37) % 900};{(i * 11) % 300};{i % 9};{i % 7};{i % 15}\n" for i in range(1, 121))
    path = tmp_path / "kunden.csv"
    path.write_text("Kundennummer;Alter;Ausgaben Wein;Ausgaben Obst;Käufe Web;Käufe Laden;Webbesuche pro Monat\n" + rows,
                    encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.web_visits == "Webbesuche pro Monat" and c.deal_purchases is None


def test_campaigns_numbered_in_other_languages(tmp_path):
    rows = "".join(f"{i};{['Sim', 'Não', 'sim', 'NÃO'][i % 4]};{['Não', 'Sim'][i % 2]};{100 + i}\n" for i in range(1, 61))
    path = tmp_path / "clientes.csv"
    path.write_text("Codigo do Cliente;Aceitou Campanha 2;Aceitou Campanha 1;Gasto Moda\n" + rows, encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.campaigns == {"Campaign 1": "Aceitou Campanha 1", "Campaign 2": "Aceitou Campanha 2"}


def test_currency_codes_and_real_signs():
    from analysis.ingest.drafting import currency_of
    assert currency_of(pd.Series(["R$ 1.234,56", "R$ 12,00"])) == "R$"  # the real, not the dollar
    assert currency_of(pd.Series(["12.00 EUR", "3 EUR"])) == "€" and currency_of(pd.Series(["EUR"] * 3)) == "€"
    assert currency_of(pd.Series(["CHF 12", "CHF 3"])) == "CHF "
    # Złoty and koruna are written after the amount: a currency starting with a space goes there.
    assert currency_of(pd.Series(["10,00 zł", "3,50 zł"])) == " zł" == currency_of(pd.Series(["PLN 3", "PLN 4"]))
    assert currency_of(pd.Series(["1 234,50 Kč", "99 Kč"])) == " Kč"
    assert currency_of(pd.Series(["ABC 12", "XYZ 3"])) is None  # three capitals are not a currency


def test_a_shop_export_with_order_numbers_emails_and_a_currency_column(tmp_path):
    """A Shopify-like export: 'Name' holds the order numbers (#1001), 'Email' the customer,
    'Lineitem name' the product, zoned times, and a Currency column saying EUR."""
    rows = "".join(f"#{1000 + i // 3},c{i % 7}@example.de,2024-03-{1 + i % 28:02d} 13:38:57 +0200,{1 + i % 3},"
                   f"Item {i % 11},{9 + i % 5}.50,EUR\n" for i in range(90))
    path = tmp_path / "orders_export.csv"
    path.write_text("Name,Email,Created at,Lineitem quantity,Lineitem name,Lineitem price,Currency\n" + rows,
                    encoding="utf-8")
    from analysis.ingest.drafting_orders import draft_orders_config
    text = draft_orders_config(path, config_dir=tmp_path)
    t = parse_config(yaml.safe_load(text), "draft", tmp_path)
    assert (t.transactions.customer, t.transactions.order, t.transactions.timestamp) == ("Email", "Name", "Created at")
    assert t.transactions.product == "Lineitem name" and t.report.currency == "€"
    assert "values are order numbers (#1001)" in text


def _drafted_with_statuses(tmp_path, statuses: list[str], header: str, sep: str):
    """80 lines of 40 orders whose status runs through `statuses`, drafted; (text, transactions)."""
    from analysis.ingest.drafting_orders import draft_orders_config
    dec = "," if sep == ";" else "."
    rows = "".join(sep.join([str(100 + i // 2), str(i % 9), f"2024-03-{1 + i % 28:02d} 10:00", f"SKU{i % 13}",
                             str(1 + i % 3), f"{4 + i % 5}{dec}99", statuses[(i // 2) % 5]]) + "\n" for i in range(80))
    path = tmp_path / "lines.csv"
    path.write_text(header + "\n" + rows, encoding="utf-8")
    text = draft_orders_config(path, config_dir=tmp_path)
    return text, parse(text, tmp_path).transactions


def test_a_status_column_with_cancelled_orders_is_drafted(tmp_path):
    text, t = _drafted_with_statuses(tmp_path, ["completed", "completed", "Cancelled", "refunded", "processing"],
                                     "order_id,customer_id,order_date,sku,quantity,unit_price,status", ",")
    assert t.status == "status" and "values include cancelled, refunded" in text and "status" not in t.customer_columns


@pytest.mark.parametrize("statuses", [["completado", "completado", "Cancelado", "devuelto", "enviado"],
                                      ["completado", "completado", "completado", "Devuelto", "enviado"]])
def test_a_status_column_with_returned_lines_is_drafted(tmp_path, statuses):
    text, t = _drafted_with_statuses(tmp_path, statuses,
                                     "num_pedido;id_cliente;fecha;referencia;cantidad;precio_unitario;estado", ";")
    assert t.status == "estado" and "estado" not in t.customer_columns
    assert "devuelto: lines sent back, not bought (returned_statuses)" in text
    assert ("cancelado: orders with such a line are cancellations" in text) == ("Cancelado" in statuses)


def test_a_polish_status_column_cancels_and_names_the_values_it_counts_as_sales(tmp_path):
    text, t = _drafted_with_statuses(tmp_path, ["Zrealizowane", "Zrealizowane", "Anulowane", "Zwrot", "W drodze"],
                                     "nr_zamowienia;id_klienta;data;produkt;ilosc;cena;status", ";")
    assert t.status == "status" and "anulowane" in t.cancelled_statuses
    assert "anulowane: orders with such a line are cancellations" in text
    assert "zwrot: lines sent back" in text
    assert "other values, counted as sales: w drodze, zrealizowane (list any that mean cancelled" in text


def test_japanese_order_lines_in_shift_jis_are_drafted_role_by_role(tmp_path):
    """Japanese headers (full-width letters too), yen written three ways in a cp932 file, Japanese statuses."""
    from analysis.ingest.drafting_orders import draft_orders_config
    statuses = ["完了", "完了", "キャンセル", "返品", "発送済み"]
    rows = "".join(",".join([f"J{100 + i // 2}", f"{i % 9:05d}", f"2024/03/{1 + i % 28:02d} 10:{i % 60:02d}",
                             f"BK-{1000 + i % 13}", f"商品 {i % 13}", str(1 + i % 3),
                             ['"\\1,280"', '"1,280円"', "￥980"][i % 3], statuses[(i // 2) % 5]]) + "\n" for i in range(80))
    path = tmp_path / "orders.csv"
    path.write_bytes(("注文番号,顧客ＩＤ,注文日時,商品コード,商品名,数量,単価,ステータス\n" + rows).encode("cp932"))
    text = draft_orders_config(path, config_dir=tmp_path)
    t = parse(text, tmp_path).transactions
    assert (t.order, t.customer, t.timestamp, t.product, t.product_name, t.quantity, t.unit_price, t.status) == (
        "注文番号", "顧客ＩＤ", "注文日時", "商品コード", "商品名", "数量", "単価", "ステータス")
    assert "キャンセル" in t.cancelled_statuses and "返品" in t.returned_statuses
    assert "other values, counted as sales: 完了, 発送済み" in text
    assert 'currency: "¥"' in text


def test_chinese_order_lines_are_drafted_with_their_status_column(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config
    statuses = ["已完成", "已完成", "已取消", "已退货", "已完成"]
    rows = "".join(",".join([f"D{100 + i // 2}", f"C{i % 9}", f"2024-03-{1 + i % 28:02d} 10:{i % 60:02d}", f"SP{i % 13}",
                             f"商品{i % 13}", str(1 + i % 3), ["¥128.00", "128.00元"][i % 2], statuses[(i // 2) % 5]]) + "\n"
                   for i in range(80))
    path = tmp_path / "orders.csv"
    path.write_text("订单号,客户ID,下单时间,商品编码,商品名称,数量,单价,订单状态\n" + rows, encoding="utf-8")
    text = draft_orders_config(path, config_dir=tmp_path)
    t = parse(text, tmp_path).transactions
    assert (t.order, t.customer, t.timestamp, t.product, t.product_name, t.quantity, t.unit_price, t.status) == (
        "订单号", "客户ID", "下单时间", "商品编码", "商品名称", "数量", "单价", "订单状态")
    assert "订单状态" not in t.customer_columns and 'currency: "¥"' in text


def test_turkish_order_lines_are_drafted_role_by_role_with_prices_in_lira(tmp_path):
    """Headers with Turkish letters (dotless ı, ş, ü), prices written '1.025,57 TL' and statuses in
    capitals ('İPTAL EDİLDİ'): every role, the status column and the currency drafted."""
    from analysis.ingest.drafting_orders import draft_orders_config
    statuses = ["Teslim edildi", "Teslim edildi", "İPTAL EDİLDİ", "Kargoda", "Teslim edildi"]
    rows = "".join(";".join([f"SP{100 + i // 2}", f"TR{i % 9}", f"{1 + i % 28:02d}.03.2024 10:{i % 60:02d}", f"U{i % 13}",
                             f"Ürün {i % 13}", f"Kategori {i % 3}", str(1 + i % 3), ["1.025,57 TL", "89,90 TL"][i % 2],
                             statuses[(i // 2) % 5]]) + "\n" for i in range(80))
    path = tmp_path / "siparisler.csv"
    path.write_text("Sipariş No;Müşteri No;Sipariş Tarihi;Ürün Kodu;Ürün Adı;Kategori;Adet;Birim Fiyat;Durum\n" + rows,
                    encoding="utf-8")
    text = draft_orders_config(path, config_dir=tmp_path)
    t = parse(text, tmp_path).transactions
    assert (t.order, t.customer, t.timestamp, t.product, t.product_name, t.category, t.quantity, t.unit_price,
            t.status) == ("Sipariş No", "Müşteri No", "Sipariş Tarihi", "Ürün Kodu", "Ürün Adı", "Kategori", "Adet",
                          "Birim Fiyat", "Durum")
    assert "Durum" not in t.customer_columns and 'currency: "₺"' in text and "iptal edildi" in text


def test_order_lines_drafted_as_a_customer_table_point_to_init_transactions(tmp_path):
    rows = "".join(f"{100 + i // 3};{i % 9};03/{1 + i % 28:02d}/2024;R{i % 13};{1 + i % 3};{4 + i % 5},99\n" for i in range(60))
    path = tmp_path / "pedidos.csv"
    path.write_text("num_pedido;id_cliente;fecha;referencia;cantidad;precio_unitario\n" + rows, encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    assert "no column identifies a customer" in text
    assert ("look like order lines (customer 'id_cliente', order 'num_pedido', quantity 'cantidad', "
            "product 'referencia')") in text
    assert "draft with segments init --transactions instead" in text
    # A customer table without an id is only told it has none.
    people = tmp_path / "people.csv"
    people.write_text("name;age\n" + "".join(f"n{i % 7};{20 + i % 9}\n" for i in range(30)), encoding="utf-8")
    assert "--transactions" not in draft_config(people, config_dir=tmp_path)


def test_a_spanish_referencia_is_the_product_code_and_a_code_without_digits_a_fee(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config
    rows = "".join(f"{100 + i // 3};{i % 9};03/{1 + i % 28:02d}/2024 10:00;R{i % 13}X;Producto {i % 13};{1 + i % 3};"
                   f"{4 + i % 5},99\n" for i in range(60)) + "130;3;03/05/2024 10:00;ENVIO;Gastos de envio;1;4,95\n"
    path = tmp_path / "pedidos.csv"
    path.write_text("num_pedido;id_cliente;fecha;referencia;descripcion;cantidad;precio_unitario\n" + rows, encoding="utf-8")
    text = draft_orders_config(path, config_dir=tmp_path)
    t = parse(text, tmp_path).transactions
    assert (t.product, t.product_name, t.not_products) == ("referencia", "descripcion", ["ENVIO"])
    # Postage on every order: a quarter of the lines, still one code among many with digits.
    every = "".join(f"{100 + i};{i % 9};03/{1 + i % 28:02d}/2024 10:00;ENVIO;Gastos de envio;1;4,95\n" for i in range(20))
    path.write_text("num_pedido;id_cliente;fecha;referencia;descripcion;cantidad;precio_unitario\n" + rows + every,
                    encoding="utf-8")
    assert parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions.not_products == ["ENVIO"]


def test_a_fee_in_euros_is_the_spend_and_its_code_the_currency(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("acct_no,monthly_fee_eur,data_gb_last_90d,months_active\n"
                    + "".join(f"{i},{30 + i % 50}.5,{i % 17},{i % 30}\n" for i in range(1, 61)), encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert list(cfg.columns.spend.values()) == ["monthly_fee_eur"] and cfg.report.currency == "€"
    from analysis.ingest.drafting import currency_in_names
    assert currency_in_names(["neuro_score", "x"]) is None  # a code inside a word is none


def test_a_status_column_is_judged_on_the_whole_file_not_the_sample(tmp_path):
    """One cancelled order far beyond the lines the draft samples still makes the column the status."""
    from analysis.ingest.drafting_orders import SAMPLE, draft_orders_config
    n = SAMPLE + 500
    rows = "".join(f"{100 + i // 2},{i % 9},2024-03-{1 + i % 28:02d} 10:00,SKU{i % 13},{1 + i % 3},{4 + i % 5}.99,"
                   f"{'cancelled' if i >= n - 2 else 'completed'}\n" for i in range(n))
    path = tmp_path / "shop.csv"
    path.write_text("order_id,customer_id,order_date,sku,quantity,unit_price,order_status\n" + rows, encoding="utf-8")
    t = parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions
    assert t.status == "order_status" and "order_status" not in t.customer_columns


def test_a_total_whose_categories_are_only_some_of_it_is_the_spend(tmp_path):
    """Umsatz_gesamt next to Umsatz_Wein alone (wine is a part of the spend): the total is the spend
    and the part is left out, rather than wine alone (too little) or both (counted twice)."""
    rows = "".join(f"{i};{(i * 37) % 400 + 20};{(i * 37) % 400 + 20 + (i * 53) % 300 + 10};1{i % 9}.0{1 + i % 3}.2024\n"
                   for i in range(1, 61))
    path = tmp_path / "kunden.csv"
    path.write_text("Kundennummer;Umsatz_Wein;Umsatz_gesamt;Letzter_Kauf\n" + rows, encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert c.spend == {"Total": "Umsatz_gesamt"} and "Umsatz_Wein" in c.ignore
    assert "a part of Umsatz_gesamt, whose categories do not add up to it" in text
    assert (c.last_purchase, c.last_purchase_format) == ("Letzter_Kauf", "%d.%m.%Y")


def test_a_draft_redirected_into_another_folder_finds_its_table(tmp_path):
    """`segments init --customers a/c.csv > a/cfg.yml` run from above `a`: the path is written relative
    to the config's folder (where `report` reads it from), not to the folder init ran in; printed to a
    terminal or a pipe, the path is absolute."""
    import subprocess
    import sys

    (tmp_path / "a").mkdir()
    src = Path(__file__).resolve().parents[1] / "data" / "marketing_campaign.csv"
    (tmp_path / "a" / "c.csv").write_bytes(src.read_bytes())
    with open(tmp_path / "a" / "cfg.yml", "w") as out:
        subprocess.run([sys.executable, "-m", "analysis", "init", "--customers", "a/c.csv"], cwd=tmp_path,
                       stdout=out, check=True)
    assert yaml.safe_load((tmp_path / "a" / "cfg.yml").read_text())["customers"]["path"] == "c.csv"
    checked = subprocess.run([sys.executable, "-m", "analysis", "check", "--config", "a/cfg.yml"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    piped = subprocess.run([sys.executable, "-m", "analysis", "init", "--customers", "a/c.csv"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert yaml.safe_load(piped)["customers"]["path"] == str(tmp_path.resolve() / "a" / "c.csv")


def test_the_draft_counts_the_duplicate_lines_it_would_drop(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config

    path = _odd_lines(tmp_path, "order_ref,c2,customer,sku,c5,c6")
    assert "every column: none here" in draft_orders_config(path, config_dir=tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines + lines[1:4]) + "\n", encoding="utf-8")  # three lines scanned twice
    assert "every column: 3 of 603 here; set keep if these are real" in draft_orders_config(path, config_dir=tmp_path)


def test_a_dutch_subscription_table_gets_its_campaigns_and_signup_date(tmp_path):
    """Unnumbered answer columns (reactie_..., ja/nee) are campaigns in the file's order, the one
    named 'laatste' last; a subscription start is the signup date; days since a login are no
    purchase recency."""
    rows = ["klant_id;startdatum_abonnement;maandelijkse_kosten;dagen_sinds_laatste_login;reactie_voorjaarsactie;"
            "reactie_laatste_campagne"]
    rows += [f"NL-{i};{1 + i % 28:02d}-0{1 + i % 9}-2022;{20 + i % 40},50;{i % 90};{'ja' if i % 3 else 'nee'};"
             f"{'ja' if i % 5 == 0 else 'nee'}" for i in range(150)]
    path = tmp_path / "klanten.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    cfg = parse(text, tmp_path)
    assert ("report:  # no currency sign found in the data: amounts are shown without one; set the currency below "
            "to yours") in text and cfg.report.currency == ""
    assert cfg.columns.campaigns == {"Voorjaarsactie": "reactie_voorjaarsactie",
                                     "Latest campaign": "reactie_laatste_campagne"}
    assert cfg.columns.signup_date == "startdatum_abonnement" and cfg.columns.recency_days is None
    assert "dagen_sinds_laatste_login" in cfg.columns.numeric


def test_store_visits_are_not_web_visits_and_the_period_is_no_part_of_a_label(tmp_path):
    rows = ["CustomerRef,SpendOnline12m,SpendStore12m,StoreVisits12m,WebSessionsPerMonth,DaysSinceLastVisit,"
            "RespondedLastPromo"]
    rows += [f"C{i:04d},{10 + i % 50}.5,{5 + i % 30}.25,{i % 12},{i % 7}.5,{i % 200},{'Yes' if i % 4 == 0 else 'No'}"
             for i in range(150)]
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert cfg.columns.web_visits == "WebSessionsPerMonth" and "StoreVisits12m" in cfg.columns.numeric
    assert cfg.columns.spend == {"Online": "SpendOnline12m", "Store": "SpendStore12m"}
    assert cfg.columns.campaigns == {"Latest campaign": "RespondedLastPromo"}
    assert cfg.columns.recency_days is None and "DaysSinceLastVisit" in cfg.columns.numeric


def test_a_dept_column_is_the_order_lines_category(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config

    path = tmp_path / "lines.csv"
    path.write_text("Basket Ref,Client No,SKU,Dept,Units,Price Each,Sold At\n" + "".join(
        f"B{i // 3},C{i // 9},S{i % 7},{['Kitchen', 'Toys', 'Garden'][i % 3]},{1 + i % 4},{3 + i % 5}.50,"
        f"2024-03-{1 + i % 28:02d} 10:00\n" for i in range(300)), encoding="utf-8")
    t = parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions
    assert t.category == "Dept"


def test_a_money_column_named_like_a_total_is_the_lines_amount_not_a_unit_price(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config

    rows = ["customer_id,order_id,date,sku,number_of_cds,dollar_value"]
    rows += [f"{1 + i % 40:05d},O{i // 2},1997{1 + i % 12:02d}{1 + i % 28:02d},S{i % 9},{1 + i % 3},{11.77 * (1 + i % 3):.2f}"
             for i in range(300)]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    t = parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions
    assert (t.amount, t.unit_price, t.quantity) == ("dollar_value", None, "number_of_cds")
    priced = path.read_text().replace("dollar_value", "unit_price_usd")
    path.write_text(priced, encoding="utf-8")
    t = parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions
    assert (t.amount, t.unit_price) == (None, "unit_price_usd")
    # 'Amount' before the quantity column: money with cents is the line's total, not the units;
    # whole numbers under that name stay a quantity.
    rows = ["customer_id,order_id,date,sku,Amount,Qty"]
    rows += [f"{1 + i % 40:05d},O{i // 2},1997{1 + i % 12:02d}{1 + i % 28:02d},S{i % 9},{11.77 * (1 + i % 3):.2f},{1 + i % 3}"
             for i in range(300)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    t = parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions
    assert (t.amount, t.unit_price, t.quantity) == ("Amount", None, "Qty")
    rows = ["customer_id,order_id,date,sku,Amount,price"]
    rows += [f"{1 + i % 40:05d},O{i // 2},1997{1 + i % 12:02d}{1 + i % 28:02d},S{i % 9},{1 + i % 3},{11.77 + i % 3:.2f}"
             for i in range(300)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    t = parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions
    assert (t.quantity, t.unit_price) == ("Amount", "price")


def test_order_lines_without_an_order_id_are_drafted_and_read(tmp_path):
    """A sales export with no order or invoice column (CDNOW-style): the draft names none, says an
    order is then a customer's lines at one time, and the draft reads as it stands."""
    from analysis.ingest.drafting_orders import draft_orders_config
    from analysis.ingest.orders import load_orders
    rows = ["customer_id,purchase_date,sku,units,price"]
    for i in range(300):  # 30 customers, each buying on 5 days, 2 lines a day
        c, day = i % 30, (i // 60) + 1
        rows.append(f"{c},2024-05-{day:02d},P{i % 7},{1 + i % 2},{2 + i % 5}.50")
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = draft_orders_config(path, config_dir=tmp_path)
    assert "  # order:  # no order id found: an order is a customer's lines at one date and time" in text
    assert "cancelled_prefix: null  # no order column" in text
    assert "  duplicate_lines: drop  # lines equal to an earlier line in every column: none here" in text
    # Repeated lines without an order id may be second purchases: the draft keeps them, saying why.
    path.write_text("\n".join(rows + rows[1:4]) + "\n", encoding="utf-8")
    kept = draft_orders_config(path, config_dir=tmp_path)
    assert "  duplicate_lines: keep  # lines equal to an earlier line in every column: 3 of 303 here; without an " \
           "order id they may be second purchases the same day" in kept
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = load_orders(parse(text, tmp_path))
    assert len(data.frame) == 30 and (data.frame["Orders"] == 5).all()
    assert data.baskets.order_idx.max() + 1 == 150  # 30 customers x 5 days
    # Without a product column either (a ledger of amounts): drafted and read, no baskets.
    path.write_text("\n".join(",".join(f for i, f in enumerate(r.split(",")) if i != 2) for r in rows) + "\n",
                    encoding="utf-8")
    text = draft_orders_config(path, config_dir=tmp_path)
    assert "  # product:  # no product column found: customers and spend as usual, no baskets or rules" in text
    data = load_orders(parse(text, tmp_path))
    assert len(data.frame) == 30 and (data.frame["Orders"] == 5).all()


@pytest.mark.parametrize("name", ["spend", "ventas", "Price"])
def test_a_money_column_is_read_as_a_total_or_a_price_by_how_it_grows_with_the_quantity(tmp_path, name):
    """Whatever its name: a line's total grows with the quantity (the money over the quantity varies
    less within a product than the money does), a unit price does not. CDNOW's dollar value under
    an unknown name had been drafted as a unit price and multiplied by the quantity again."""
    from analysis.ingest.drafting_orders import draft_orders_config
    rng = np.random.default_rng(3)
    n = 400
    product = rng.integers(0, 12, n)
    price = (5 + product * 1.5) * rng.uniform(0.97, 1.03, n)  # each product's price, with a little noise
    qty = rng.integers(1, 6, n)
    path = tmp_path / "lines.csv"

    def draft(money):
        pd.DataFrame({"customer_id": rng.integers(0, 50, n), "order_id": np.arange(n), "date": "2024-05-01",
                      "sku": [f"S{p}" for p in product], "qty": qty, name: np.round(money, 2)}).to_csv(path, index=False)
        return parse(draft_orders_config(path, config_dir=tmp_path), tmp_path).transactions
    t = draft(price * qty)
    assert (t.amount, t.unit_price) == (name, None)
    t = draft(price)
    assert (t.amount, t.unit_price) == (None, name)
    # Quantities all 1: the two readings give the same spend, and the name decides.
    qty = np.ones(n, dtype=int)
    t = draft(price)
    assert t.money == name and (t.unit_price == "Price") == (name == "Price")


def test_the_money_rule_reads_the_name_when_the_spreads_are_close():
    from analysis.ingest.drafting_orders import _price_or_total

    # Within a product the total's spread (log 2 / 2 around its mean) and the price's are set by
    # the price's own spread s: the total reads as a total only when the spreads differ by 10%.
    def roles(s):
        price = [10.0, 10.0 * np.exp(2 * s)] * 20
        qty = [1, 2] * 20
        sample = pd.DataFrame({"p": ["A"] * 40, "q": [str(x) for x in qty],
                               "m": [f"{a * b:.6f}" for a, b in zip(price, qty)]})
        out = {"product": ("p", ""), "quantity": ("q", ""), "unit_price": ("m", "")}
        _price_or_total(sample, out)
        return "amount" if "amount" in out else "unit_price"
    # log total = log price + log qty: spread s + log 2 / 2 against s for the price alone
    half = np.log(2) / 2
    s_edge = half * 9  # where the spreads differ by 10% of the larger: (s + half) * 0.9 = s
    assert roles(s_edge * 0.9) == "amount" and roles(s_edge * 1.1) == "unit_price"


@pytest.mark.parametrize("name", ["cap", "CEP", "PLZ", "Postleitzahl", "telefone"])
def test_postcodes_and_phones_in_other_languages_are_codes_not_measures(tmp_path, name):
    """An Italian CAP, a Brazilian CEP, a German PLZ: integers that name a place, not a measure."""
    path = tmp_path / "clienti.csv"
    pd.DataFrame({"id_cliente": range(1, 41), "reddito": [20000 + 500 * i for i in range(40)],
                  name: [10007 + 2411 * i for i in range(40)]}).to_csv(path, index=False)
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert name in cfg.columns.ignore and name not in cfg.columns.numeric


@pytest.mark.parametrize("name", ["data_adesao", "Data de adesão", "data_iscrizione", "fecha_alta", "cliente_desde"])
def test_signup_dates_named_in_other_languages(tmp_path, name):
    path = tmp_path / "clientes.csv"
    pd.DataFrame({"id_cliente": range(1, 31), "rendimento": [20000 + 700 * i for i in range(30)],
                  name: [f"{1 + i % 28:02d}/{1 + i % 12:02d}/20{10 + i % 12}" for i in range(30)]}
                 ).to_csv(path, index=False)
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert cfg.columns.signup_date == name


def test_a_ledger_of_customers_dates_and_amounts_is_drafted_and_read(tmp_path):
    """Kunde;Datum;Betrag only (no order, product or quantity column): the draft names no quantity,
    each line counts as one unit, and orders and spend are the ledger's."""
    from analysis.ingest.drafting_orders import draft_orders_config
    from analysis.ingest.orders import load_orders
    rows = ["Kunde;Datum;Betrag"]
    for i in range(240):  # 40 customers, 6 days each, one or two lines a day
        rows.append(f"K{i % 40};{1 + (i // 40) % 6:02d}.05.2024 1{i % 10}:00;{10 + i % 7},{i % 100:02d}")
    path = tmp_path / "buchungen.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = draft_orders_config(path, config_dir=tmp_path)
    assert "  # quantity:  # no quantity column found: each line counts as one unit" in text
    data = load_orders(parse(text, tmp_path))
    ledger = pd.DataFrame([r.split(";") for r in rows[1:]], columns=["k", "d", "b"])
    ledger["b"] = ledger["b"].str.replace(",", ".").astype(float)
    spend = data.frame.set_index("customer_id")["Spend"]
    assert spend.sort_index().to_numpy() == pytest.approx(ledger.groupby("k")["b"].sum().sort_index().to_numpy())
    orders = ledger.groupby("k")[["d"]].nunique()["d"]
    assert (data.frame.set_index("customer_id")["Orders"].sort_index() == orders.sort_index()).all()


def test_campaigns_named_by_a_campaign_word_and_a_season_are_campaigns(tmp_path):
    """Aktion_Frühjahr and Aktion_Herbst (ja/nein): answers to two named campaigns, in the file's
    order; they had been drafted as categories, and the campaigns page said there were none."""
    rows = ["Kundennr;Einkommen;Aktion_Frühjahr;Aktion_Herbst;Promo_Code"]
    rows += [f"K{i};{30000 + 100 * i};{'ja' if i % 3 else 'nein'};{'ja' if i % 5 == 0 else 'nein'};P{i % 40}"
             for i in range(150)]
    path = tmp_path / "kunden.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert list(cfg.columns.campaigns.values()) == ["Aktion_Frühjahr", "Aktion_Herbst"]
    assert "Promo_Code" not in cfg.columns.campaigns.values()  # codes, not answers


@pytest.mark.parametrize("spend, orders, last", [("omzet_2025", "aantal_orders", "laatste_order"),
                                                  ("obrot_2025", "liczba_zamowien", "data_ostatniego_zamowienia")])
def test_dutch_and_polish_erp_names_of_revenue_orders_and_the_last_order(tmp_path, spend, orders, last):
    rows = "".join(f"K{i};{100 + (i * 37) % 900},{i % 100:02d};{1 + i % 30};{1 + i % 28:02d}-{1 + i % 12:02d}-2025\n"
                   for i in range(60))
    path = tmp_path / "erp.csv"
    path.write_text(f"klantnummer;{spend};{orders};{last}\n" + rows, encoding="utf-8")
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert list(c.spend.values()) == [spend] and c.orders == orders and c.last_purchase == last


def test_a_french_loyalty_table_names_its_currency_in_headers_and_its_channels(tmp_path):
    """'Dépenses épicerie (€)': the currency is in the money columns' names when no amount carries it;
    store visits and online orders are purchases by channel. Two signs in the names decide nothing."""
    rng = np.random.default_rng(1)
    n = 60
    frame = pd.DataFrame({"N° adhérent": range(1, n + 1), "Âge": rng.integers(18, 80, n),
                          "Dépenses épicerie (€)": np.round(rng.uniform(10, 900, n), 2),
                          "Dépenses boissons (€)": np.round(rng.uniform(10, 900, n), 2),
                          "Nb visites magasin": rng.integers(0, 30, n), "Nb commandes en ligne": rng.integers(0, 30, n)})
    path = tmp_path / "fidelite.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",")
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert cfg.report.currency == "€"
    assert set(cfg.columns.purchases.values()) == {"Nb visites magasin", "Nb commandes en ligne"}
    frame.rename(columns={"Dépenses boissons (€)": "Dépenses boissons (CHF)"}).to_csv(path, index=False, sep=";",
                                                                                     decimal=",")
    assert "no currency sign found" in draft_config(path, config_dir=tmp_path)


def test_a_currency_in_any_column_name_is_the_tables_and_german_order_lines_imply_the_euro(tmp_path):
    """'Panier moyen (€)' beside spend columns named without a sign: the table's amounts are in euros.
    German order lines ('Einzelpreis', 'Warengruppe') with bare prices imply the euro, said to be a guess."""
    from analysis.ingest.drafting_orders import draft_orders_config

    rng = np.random.default_rng(2)
    n = 60
    frame = pd.DataFrame({"id_client": range(n), "Dépenses_Épicerie": np.round(rng.uniform(10, 900, n), 2),
                          "Dépenses_Beauté": np.round(rng.uniform(10, 900, n), 2),
                          "Panier moyen (€)": np.round(rng.uniform(20, 90, n), 2)})
    frame.to_csv(tmp_path / "clients.csv", index=False, sep=";", decimal=",")
    text = draft_config(tmp_path / "clients.csv", config_dir=tmp_path)
    assert parse(text, tmp_path).report.currency == "€" and "currency € as written in the column names" in text
    rows = ["Bestellnummer;Kundennummer;Bestelldatum;Artikel;Warengruppe;Menge;Einzelpreis"]
    rows += [f"{500000 + o};K{o % 40:03d};{1 + o % 28:02d}.03.2024;Artikel {o % 30};Obst;{1 + o % 3};{2 + o % 9},{o % 100:02d}"
             for o in range(200)]
    (tmp_path / "bestellungen.csv").write_text("\n".join(rows) + "\n")
    text = draft_orders_config(tmp_path / "bestellungen.csv", config_dir=tmp_path)
    assert parse(text, tmp_path).report.currency == "€" and "€ guessed from the German column names" in text


def test_an_export_of_abbreviated_names_with_a_few_repeated_ids(tmp_path):
    """CustID with 2 repeated and 1 blank id in 60 rows is still the id (cleaning lists those rows);
    TotRev_L12M is the spend, n_txn the orders, last_seen_dt the last purchase; notes are free text."""
    rng = np.random.default_rng(0)
    ids = [f"C{i:04d}" for i in range(60)]
    ids[10], ids[20], ids[30] = ids[9], ids[19], ""
    frame = pd.DataFrame({
        "CustID": ids, "TotRev_L12M": rng.uniform(50, 900, 60).round(2), "n_txn": rng.integers(1, 30, 60),
        "last_seen_dt": [f"2025-0{1 + i % 6}-1{i % 9}" for i in range(60)],
        "acq_channel": rng.choice(["email", "paid_social", "referral"], 60),
        "notes": ["<b>VIP</b>", "", "call back", ""] * 15, "Revenue": [11] * 60})
    path = tmp_path / "crm.csv"
    frame.to_csv(path, index=False)
    text = draft_config(path, config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert c.id == "CustID" and "57 distinct in 60 rows" in text
    assert c.spend == {"Total revenue": "TotRev_L12M"} and c.orders == "n_txn"
    assert c.last_purchase == "last_seen_dt" and c.categorical == ["acq_channel"]
    assert "notes" in c.ignore and "free text" in text
    assert c.revenue_per_answer == "Revenue"  # constant: an economics figure, not spend
    # With one id in ten repeated it is no id: 54 distinct in 60 rows.
    frame.assign(CustID=[ids[i - i % 10] if i % 10 == 1 else ids[i] for i in range(60)]).to_csv(path, index=False)
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.id is None and "CustID" in c.ignore


def test_a_revenue_column_that_varies_is_spend_not_revenue_per_answer(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"customer_id": range(40), "revenue": np.linspace(10, 500, 40)}).to_csv(path, index=False)
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert c.revenue_per_answer is None and list(c.spend.values()) == ["revenue"]


def test_a_gyms_visits_are_no_web_visits_and_its_last_visit_dates_recency(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    path = tmp_path / "leden.csv"
    pd.DataFrame({"lidnummer": range(n), "bezoeken_per_maand": rng.integers(0, 20, n),
                  "laatste_bezoek": [f"{1 + i % 28:02d}-0{1 + i % 3}-2025" for i in range(n)],
                  "website_bezoeken": rng.integers(0, 9, n), "maandbedrag": rng.uniform(20, 60, n).round(2)}
                 ).to_csv(path, sep=";", index=False)
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert list(c.spend.values()) == ["maandbedrag"]  # a monthly amount: the fee they pay
    assert c.web_visits == "website_bezoeken" and "bezoeken_per_maand" in c.numeric
    assert c.last_purchase == "laatste_bezoek" and c.last_purchase_format == "%d-%m-%Y"


def test_amounts_named_like_product_categories_are_the_spend_per_category(tmp_path):
    """The Wholesale customers table: Fresh, Milk, Grocery, Frozen, Detergents_Paper and Delicassen are a
    year's spend on each (in money units), so the report can tell what each segment buys and size its
    offers. Two such columns, or counts (none in the hundreds), are not taken for spend."""
    rng = np.random.default_rng(8)
    n = 80
    goods = {c: rng.gamma(2, scale, n).round() + 3 for c, scale in
             (("Fresh", 6000), ("Milk", 3000), ("Grocery", 4000), ("Frozen", 1500), ("Detergents_Paper", 1400),
              ("Delicassen", 800))}
    pd.DataFrame({"Channel": rng.integers(1, 3, n), "Region": rng.integers(1, 4, n), **goods}).to_csv(
        tmp_path / "w.csv", index=False)
    c = parse(draft_config(tmp_path / "w.csv", tmp_path), tmp_path).columns
    assert c.spend == {"Fresh": "Fresh", "Milk": "Milk", "Grocery": "Grocery", "Frozen": "Frozen",
                       "Detergents paper": "Detergents_Paper", "Delicassen": "Delicassen"}
    assert c.categorical == ["Channel", "Region"]
    pd.DataFrame({"id": range(n), "Fresh": goods["Fresh"], "Milk": goods["Milk"], "age": rng.integers(20, 70, n)}).to_csv(
        tmp_path / "two.csv", index=False)
    assert not parse(draft_config(tmp_path / "two.csv", tmp_path), tmp_path).columns.spend
    pd.DataFrame({"id": range(n), **{c: rng.integers(0, 99, n) for c in ("Books", "Toys", "Garden")}}).to_csv(
        tmp_path / "counts.csv", index=False)
    assert not parse(draft_config(tmp_path / "counts.csv", tmp_path), tmp_path).columns.spend


def test_a_japanese_customer_table_gets_its_age_spend_orders_and_last_purchase(tmp_path):
    """A Shift-JIS export: 年齢 (age), 年間購入金額 (a year's purchase amount), 購入回数 (purchases),
    最終購入日 (last purchase), 性別 (gender), 登録日 (signup)."""
    rng = np.random.default_rng(9)
    n = 60
    frame = pd.DataFrame({"顧客ID": [f"C{i:05d}" for i in range(n)], "性別": rng.choice(["男性", "女性"], n),
                          "年齢": rng.integers(18, 80, n), "年間購入金額": [f"{x:,}" for x in rng.integers(5, 900, n) * 100],
                          "購入回数": rng.integers(1, 60, n), "登録日": [f"2021/{1 + i % 12}/{1 + i % 28}" for i in range(n)],
                          "最終購入日": [f"2024/{1 + i % 6}/{1 + i % 28}" for i in range(n)]})
    (tmp_path / "顧客.csv").write_bytes(frame.to_csv(index=False).encode("cp932"))
    c = parse(draft_config(tmp_path / "顧客.csv", tmp_path), tmp_path).columns
    assert (c.id, c.gender, c.age, c.orders) == ("顧客ID", "性別", "年齢", "購入回数")
    assert c.spend == {"年間購入金額": "年間購入金額"}
    assert (c.signup_date, c.last_purchase, c.last_purchase_format) == ("登録日", "最終購入日", "%Y/%m/%d")


def test_an_airlines_first_and_last_flights_are_its_signup_and_last_purchase(tmp_path):
    """The airline customer-value table: a flight is what a member buys, so LAST_FLIGHT_DATE gives the
    recency (lapsed flyers) and FIRST_FLIGHT_DATE the tenure; a date named for neither is left out."""
    n = 60
    path = tmp_path / "air_data.csv"
    pd.DataFrame({"MEMBER_NO": range(1001, 1001 + n), "FFP_DATE": [f"2010/{1 + i % 12}/{1 + i % 28}" for i in range(n)],
                  "FIRST_FLIGHT_DATE": [f"2011/{1 + i % 12}/{1 + i % 28}" for i in range(n)],
                  "FLIGHT_COUNT": [2 + i % 40 for i in range(n)],
                  "LAST_FLIGHT_DATE": [f"2014/{1 + i % 3}/{1 + i % 28}" for i in range(n)]}).to_csv(path, index=False)
    text = draft_config(path, config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert (c.signup_date, c.signup_date_format) == ("FIRST_FLIGHT_DATE", "%Y/%m/%d")
    assert (c.last_purchase, c.last_purchase_format) == ("LAST_FLIGHT_DATE", "%Y/%m/%d")
    assert "FFP_DATE" in c.ignore


def test_a_column_of_percentages_says_so_in_its_label(tmp_path):
    """'75%' is read as 75: the drafted label keeps the unit the number lost ('Uso cupones (%)');
    a column with a few percent signs only, or one already naming it, is left as it is."""
    path = tmp_path / "t.csv"
    rows = "".join(f"{i},{(i * 7) % 90}%,{i % 9}{'%' if i < 3 else ''},{i * 3}%\n" for i in range(40))
    path.write_text("id,uso_cupones,pocos,rate_%\n" + rows, encoding="utf-8")
    labels = yaml.safe_load(draft_config(path, config_dir=tmp_path))["labels"]
    assert labels["uso_cupones"] == "Uso cupones (%)"
    assert labels["pocos"] == "Pocos"
    assert "(%)" not in labels["rate_%"]


def test_a_saas_export_drafts_its_campaign_its_last_login_and_a_currency_in_the_economics_names(tmp_path):
    """'upsell_campaign_q3' (0/1) answers a campaign; 'last_login_date' dates recency; the € in the
    names of the contact cost and answer revenue columns is the report's currency."""
    rng = np.random.default_rng(0)
    n = 60
    pd.DataFrame({
        "account_id": [f"A{i:03d}" for i in range(n)],
        "signup_date": pd.date_range("2024-01-01", periods=n, freq="5D").strftime("%Y-%m-%d"),
        "seats": rng.integers(1, 50, n), "logins_last_30d": rng.integers(0, 90, n),
        "last_login_date": pd.date_range("2025-06-01", periods=n, freq="3D").strftime("%Y-%m-%d"),
        "upsell_campaign_q3": rng.integers(0, 2, n), "coût_contact_€": 3, "revenu_par_réponse_€": 50,
    }).to_csv(tmp_path / "a.csv", index=False)
    text = draft_config(tmp_path / "a.csv", config_dir=tmp_path)
    c = parse(text, tmp_path)
    assert c.columns.campaigns == {"Upsell campaign q3": "upsell_campaign_q3"}
    assert c.columns.last_purchase == "last_login_date"
    assert c.report.currency == "€"


def test_a_telecom_table_drafts_its_tenure_in_months_and_its_charges_as_money(tmp_path):
    """The layout of the public Telco churn table: 'tenure' counts months; 'MonthlyCharges' is money
    though its name carries no currency; a signup date, where there is one, wins over a tenure."""
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers
    from analysis.segment.features import build_features

    rng = np.random.default_rng(0)
    n = 80
    tenure = rng.integers(0, 73, n)
    monthly = rng.uniform(18, 118, n).round(2)
    pd.DataFrame({"customerID": [f"{i:04d}-ABCDE" for i in range(n)], "SeniorCitizen": rng.integers(0, 2, n),
                  "tenure": tenure, "MonthlyCharges": monthly,
                  "TotalCharges": [" " if t == 0 else f"{t * m:.2f}" for t, m in zip(tenure, monthly)],
                  "Churn": rng.choice(["Yes", "No"], n)}).to_csv(tmp_path / "telco.csv", index=False)
    text = draft_config(tmp_path / "telco.csv", config_dir=tmp_path)
    assert "tenure_months: tenure  # integers 0 to 72" in text
    (tmp_path / "d.yml").write_text(text)
    cfg = load_config(tmp_path / "d.yml")
    f = build_features(clean(load_customers(cfg), cfg), cfg)
    kinds = {d.name: d.kind for d in f.docs}
    assert kinds["tenure_months"] == "months" and kinds["monthlycharges"] == "money"
    # 'Churn' (Yes/No) is who left: profiled per segment as a share, never a feature to segment on.
    assert cfg.columns.churned == "Churn" and kinds["churned"] == "flag" and "churned" not in f.clustering
    assert f.table["churned"].sum() == (pd.read_csv(tmp_path / "telco.csv")["Churn"] == "Yes").sum()
    assert f.table["tenure_months"].tolist() == tenure.astype(float).tolist()
    # A blank total of a customer of 0 months is 0 spent, not the median bill; others' blanks take the median.
    assert (f.table["total_spend"][tenure == 0] == 0).all() and (tenure == 0).sum() >= 1
    # With a signup date too, the date gives the tenure and the column stays a plain number.
    frame = pd.read_csv(tmp_path / "telco.csv")
    frame["signup"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    frame.to_csv(tmp_path / "telco2.csv", index=False)
    c2 = parse(draft_config(tmp_path / "telco2.csv", config_dir=tmp_path), tmp_path)
    assert (c2.columns.signup_date, c2.columns.tenure_months) == ("signup", None) and "tenure" in c2.columns.numeric
    with pytest.raises(UserError, match="'columns.tenure_months' and 'columns.signup_date' both give the tenure"):
        parse_config({"customers": {"path": "telco2.csv"}, "columns": {"signup_date": "signup", "tenure_months": "tenure"}},
                     "t.yml", tmp_path)


def test_a_bank_table_keeps_a_bare_tenure_of_small_numbers_as_a_number_and_drafts_who_exited(tmp_path):
    """The layout of the public bank churn table: 'Tenure' 0 to 10 counts years, and a card issuer's
    'TENURE' of 6 to 12 counts months: a bare tenure of small numbers is neither, a plain number;
    'Exited' (0/1) is who left; 'Balance' is money."""
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers
    from analysis.segment.features import build_features

    rng = np.random.default_rng(1)
    n = 80
    pd.DataFrame({"CustomerId": range(15600000, 15600000 + n), "CreditScore": rng.integers(350, 850, n),
                  "Age": rng.integers(18, 90, n), "Tenure": rng.integers(0, 11, n),
                  "Balance": rng.choice([0.0, 95000.5, 120000.25, 60000.75], n), "NumOfProducts": rng.integers(1, 5, n),
                  "Exited": rng.integers(0, 2, n)}).to_csv(tmp_path / "bank.csv", index=False)
    text = draft_config(tmp_path / "bank.csv", config_dir=tmp_path)
    (tmp_path / "b.yml").write_text(text)
    cfg = load_config(tmp_path / "b.yml")
    assert (cfg.columns.tenure_months, cfg.columns.tenure_years) == (None, None) and "Tenure" in cfg.columns.numeric
    assert cfg.columns.churned == "Exited"
    f = build_features(clean(load_customers(cfg), cfg), cfg)
    assert f.doc("balance").kind == "money" and f.doc("tenure").kind == "number"


@pytest.mark.parametrize("name, values, role", [
    ("years_as_customer", (0, 24), "tenure_years"),  # an insurer's: years whatever the values
    ("Kundenseit_Jahren", (1, 40), "tenure_years"),
    ("tenure", (0, 31), "tenure_months"),  # bare: a value above 30 is no number of years
    ("TENURE", (6, 12), None),  # a card issuer's months, or years: a plain number
    ("tenure_months", (0, 12), "tenure_months"),
    ("antigüedad_meses", (0, 20), "tenure_months"),
])
def test_a_tenure_is_drafted_in_years_or_months_from_its_name_then_its_values(tmp_path, name, values, role):
    rng = np.random.default_rng(3)
    n = 60
    lo, hi = values
    pd.DataFrame({"id": range(n), name: np.r_[lo, hi, rng.integers(lo, hi + 1, n - 2)],
                  "spend": rng.uniform(10, 500, n).round(2)}).to_csv(tmp_path / "t.csv", index=False)
    cfg = parse(draft_config(tmp_path / "t.csv", config_dir=tmp_path), tmp_path)
    tenure = {k: getattr(cfg.columns, k) for k in ("tenure_years", "tenure_months", "signup_date")}
    assert tenure == {k: name if k == role else None for k in tenure}
    assert (name in cfg.columns.numeric) == (role is None)


def test_a_signup_date_gives_the_tenure_before_years_as_customer(tmp_path):
    n = 40
    pd.DataFrame({"id": range(n), "years_as_customer": np.arange(n) % 9,
                  "signup": pd.date_range("2019-01-01", periods=n, freq="17D").strftime("%Y-%m-%d")}
                 ).to_csv(tmp_path / "t.csv", index=False)
    cfg = parse(draft_config(tmp_path / "t.csv", config_dir=tmp_path), tmp_path)
    assert (cfg.columns.signup_date, cfg.columns.tenure_years) == ("signup", None)
    assert "years_as_customer" in cfg.columns.numeric
    with pytest.raises(UserError, match="'columns.tenure_years' and 'columns.signup_date' both give the tenure"):
        parse_config({"customers": {"path": "t.csv"}, "columns": {"signup_date": "signup", "tenure_years": "years_as_customer"}},
                     "t.yml", tmp_path)


def test_money_named_like_purchases_is_no_count_of_purchases_and_a_count_of_transactions_no_channel(tmp_path):
    """A credit-card table: ONEOFF_PURCHASES in 17,116.10 is money, not a number of purchases per channel;
    PURCHASES_TRX counts transactions, not a channel 'Trx'. NumWebPurchases is still a channel."""
    rng = np.random.default_rng(2)
    n = 60
    pd.DataFrame({"CUST_ID": [f"C{i}" for i in range(n)], "ONEOFF_PURCHASES": rng.gamma(2, 500, n).round(2),
                  "INSTALLMENTS_PURCHASES": rng.gamma(2, 200, n).round(2), "PURCHASES_TRX": rng.integers(0, 80, n),
                  "NumWebPurchases": rng.integers(0, 12, n), "NumStorePurchases": rng.integers(0, 12, n),
                  }).to_csv(tmp_path / "cc.csv", index=False)
    c = parse(draft_config(tmp_path / "cc.csv", config_dir=tmp_path), tmp_path)
    assert c.columns.purchases == {"Web": "NumWebPurchases", "Store": "NumStorePurchases"}
    assert {"ONEOFF_PURCHASES", "INSTALLMENTS_PURCHASES", "PURCHASES_TRX"} <= set(c.columns.numeric)
    assert c.labels["ONEOFF_PURCHASES"] == "Oneoff purchases" and c.labels["PURCHASES_TRX"] == "Purchases TRX"
    # PURCHASES (money) is not the count of purchases that names segments "Frequent" and decides the offer.
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers
    from analysis.segment.features import build_features
    frame = pd.read_csv(tmp_path / "cc.csv").drop(columns=["NumWebPurchases", "NumStorePurchases"])
    frame.assign(PURCHASES=frame.ONEOFF_PURCHASES + frame.INSTALLMENTS_PURCHASES).to_csv(tmp_path / "cc2.csv", index=False)
    (tmp_path / "c2.yml").write_text(draft_config(tmp_path / "cc2.csv", config_dir=tmp_path))
    cfg = load_config(tmp_path / "c2.yml")
    f = build_features(clean(load_customers(cfg), cfg), cfg)
    # It is the money spent on the card: the spend, under its own label, and never the count.
    assert "purchases" not in f.table and (f.doc("total_spend").label, f.doc("total_spend").kind) == ("Purchases", "money")


def test_personal_data_is_left_out_and_a_credit_card_is_no_loyalty_card(tmp_path):
    """The bank churn table's Surname would publish each segment's share of Smiths; HasCrCard is a credit
    card and IsActiveMember an activity flag, neither a loyalty card; Ausgaben_Getränke is spend (no 'rank')."""
    rng = np.random.default_rng(3)
    n = 60
    pd.DataFrame({"CustomerId": range(n), "Surname": rng.choice(["Smith", "Rossi", "Chu"], n),
                  "Email": [f"c{i}@x.org" for i in range(n)], "HasCrCard": rng.integers(0, 2, n),
                  "IsActiveMember": rng.integers(0, 2, n), "Ausgaben_Lebensmittel": rng.gamma(2, 300, n).round(2),
                  "Ausgaben_Getränke": rng.gamma(2, 100, n).round(2)}).to_csv(tmp_path / "b.csv", index=False)
    text = draft_config(tmp_path / "b.csv", config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert {"Surname", "Email"} <= set(c.ignore) and "personal data (a name, address or contact)" in text
    assert c.loyalty_card is None and {"HasCrCard", "IsActiveMember"} <= set(c.categorical)
    assert c.spend == {"Lebensmittel": "Ausgaben_Lebensmittel", "Getränke": "Ausgaben_Getränke"}


def test_a_marketplace_export_is_drafted_by_the_person_not_the_order(tmp_path):
    """Olist's layout: customer_id is one per order, customer_unique_id the person; order_number and
    add_to_cart_order are small whole numbers but no quantity; 'unavailable' orders are no sale."""
    from analysis.config import CANCELLED_STATUSES
    from analysis.ingest.drafting_orders import draft_orders_config

    rng = np.random.default_rng(5)
    rows = []
    for o in range(300):
        person = f"u{o % 90:05d}"
        for j in range(1 + o % 3):
            rows.append({"order_id": f"o{o:05d}", "customer_id": f"c{o:05d}", "customer_unique_id": person,
                         "order_number": 1 + o // 90, "add_to_cart_order": j + 1,
                         "order_purchase_timestamp": f"2017-{1 + o % 12:02d}-{1 + o % 28:02d} 10:{o % 60:02d}:00",
                         "product_id": f"p{(o * 7 + j) % 40:03d}", "price": round(float(rng.uniform(5, 200)), 2)})
    pd.DataFrame(rows).to_csv(tmp_path / "olist.csv", index=False)
    t = parse(draft_orders_config(tmp_path / "olist.csv", config_dir=tmp_path), tmp_path).transactions
    assert (t.customer, t.order, t.product, t.unit_price) == ("customer_unique_id", "order_id", "product_id", "price")
    assert t.quantity is None and t.timestamp == "order_purchase_timestamp"
    assert "unavailable" in CANCELLED_STATUSES


def test_a_french_answer_to_a_named_offer_is_a_campaign_named_for_the_offer(tmp_path):
    rng = np.random.default_rng(9)
    n = 60
    pd.DataFrame({"N° client": range(1, n + 1), "Montant total des achats (€)": rng.gamma(3, 150, n).round(2),
                  "A répondu à l'offre de printemps": rng.choice(["Oui", "Non"], n),
                  "Nb de visites magasin": [str(v) if v % 7 else "inconnu" for v in range(n)]}).to_csv(tmp_path / "f.csv", index=False)
    text = draft_config(tmp_path / "f.csv", config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert c.campaigns == {"Offre de printemps": "A répondu à l'offre de printemps"}
    # 'inconnu' (unknown) where a number is due is a missing value, no warning
    assert c.numeric == ["Nb de visites magasin"] and "WARNING" not in text


def test_orders_over_a_period_and_a_monthly_charge_in_pesos_are_drafted_by_role(tmp_path):
    """'Orders (last 12 months)' is the order count; 'Cargo mensual (MXN)' is money spent, its
    category named without the code, and the code is the report's currency."""
    rng = np.random.default_rng(8)
    n = 80
    pd.DataFrame({"Nº cliente": range(1, n + 1), "Orders (last 12 months)": rng.integers(1, 40, n),
                  "Cargo mensual (MXN)": rng.gamma(3, 150, n).round(2), "Minutos": rng.integers(30, 900, n)}
                 ).to_csv(tmp_path / "t.csv", index=False)
    text = draft_config(tmp_path / "t.csv", config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert c.orders == "Orders (last 12 months)" and c.spend == {"Cargo mensual": "Cargo mensual (MXN)"}
    assert 'currency: "MXN "' in text and c.numeric == ["Minutos"]


def test_a_group_written_as_a_number_is_a_category_not_a_measure(tmp_path):
    """UCI's wholesale customers: Channel (1 hotels, 2 retail) and Region (1 to 3) are codes; a segment
    'high channel' means nothing. A count of store visits with few values stays a number."""
    rng = np.random.default_rng(6)
    n = 80
    pd.DataFrame({"Channel": rng.integers(1, 3, n), "Region": rng.integers(1, 4, n), "StoreVisits": rng.integers(0, 6, n),
                  "Fresh": rng.gamma(2, 6000, n).round(), "Milk": rng.gamma(2, 3000, n).round()}
                 ).to_csv(tmp_path / "w.csv", index=False)
    c = parse(draft_config(tmp_path / "w.csv", config_dir=tmp_path), tmp_path).columns
    assert {"Channel", "Region"} <= set(c.categorical) and "StoreVisits" in c.numeric


def test_a_mall_table_drafts_its_spending_score_and_income_in_thousands(tmp_path):
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers
    from analysis.segment.features import build_features

    rng = np.random.default_rng(7)
    n = 80
    pd.DataFrame({"CustomerID": range(1, n + 1), "Genre": rng.choice(["Male", "Female"], n), "Age": rng.integers(18, 70, n),
                  "Annual Income (k$)": rng.integers(15, 137, n), "Spending Score (1-100)": rng.integers(1, 100, n)}
                 ).to_csv(tmp_path / "mall.csv", index=False)
    text = draft_config(tmp_path / "mall.csv", config_dir=tmp_path)
    (tmp_path / "m.yml").write_text(text)
    cfg = load_config(tmp_path / "m.yml")
    assert cfg.columns.spending_score == "Spending Score (1-100)" and cfg.columns.income == "Annual Income (k$)"
    f = build_features(clean(load_customers(cfg), cfg), cfg)
    assert f.doc("income").kind == "money_k" and "spending_score" in f.clustering


@pytest.mark.parametrize("name, label", [("MntWines", "Wines"), ("Cargo mensual (MXN)", "Cargo mensual"),
                                         ("Umsatz 2024 (EUR)", "Umsatz"), ("SpendOnline12m", "Online"), ("Spend", ""),
                                         # the spend word in other languages, accents or not
                                         ("Dépenses_Épicerie", "Épicerie"), ("depenses_beaute", "Beaute"),
                                         ("Ausgaben für Getränke", "Getränke"), ("Despesas_Roupas", "Roupas")])
def test_a_spend_category_is_named_without_its_currency_code_year_or_period(name, label):
    from analysis.ingest.drafting import spend_label
    assert spend_label(name) == label


def test_a_bank_churners_table_drafts_its_attrition_flag_as_churn_and_leaves_out_the_classifier_columns(tmp_path):
    rng = np.random.default_rng(10)
    n = 80
    nb = "Naive_Bayes_Classifier_Attrition_Flag_Card_Category_Contacts_Count_12_mon_Dependent_count_Education_Level_Months_Inactive_12_mon_"
    pd.DataFrame({"CLIENTNUM": range(700000000, 700000000 + n),
                  "Attrition_Flag": rng.choice(["Existing Customer", "Attrited Customer"], n, p=[0.8, 0.2]),
                  "Customer_Age": rng.integers(26, 70, n), "Total_Trans_Ct": rng.integers(10, 140, n),
                  nb + "1": rng.random(n).round(5), nb + "2": rng.random(n).round(5)}).to_csv(tmp_path / "b.csv", index=False)
    text = draft_config(tmp_path / "b.csv", config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert c.churned == "Attrition_Flag" and {nb + "1", nb + "2"} <= set(c.ignore) and "a model's output" in text


def test_order_lines_without_a_price_column_are_drafted_as_counted_in_units(tmp_path):
    """Member, date and item alone (the Groceries table's columns): no column is left that could be
    a price, so the draft writes unit_price: null and says what that means. A number column left
    unused might be the price under an odd name: then the draft still asks."""
    from analysis.config import parse_config
    from analysis.ingest.drafting_orders import draft_orders_config
    rows = [f"{1000 + i % 40},{1 + i % 28:02d}-0{1 + i % 9}-2015,{['whole milk', 'soda', 'rolls/buns'][i % 3]}"
            for i in range(300)]
    lines = tmp_path / "Groceries_dataset.csv"
    lines.write_text("Member_number,Date,itemDescription\n" + "\n".join(rows) + "\n")
    text = draft_orders_config(lines, config_dir=tmp_path)
    t = yaml.safe_load(text)["transactions"]
    assert (t["customer"], t["timestamp"], t["product"]) == ("Member_number", "Date", "itemDescription")
    assert t["unit_price"] is None and "counted in units, and no spend is measured" in text
    assert parse_config(yaml.safe_load(text), "draft.yml", base_dir=tmp_path).transactions.money is None
    lines.write_text("Member_number,Date,itemDescription,Till\n" + "\n".join(
        f"{r},{70000 + 7 * i}" for i, r in enumerate(rows)) + "\n")  # neither a quantity nor a price by its values
    assert ("  unit_price: ???  # required: no column named like a price; name it among Till, or write "
            "null if there is none") in draft_orders_config(lines, config_dir=tmp_path)
    lines.write_text("Member_number,itemDescription\n" + "\n".join(r.split(",", 2)[0] + "," + r.split(",", 2)[2]
                                                          for r in rows) + "\n")  # no dates at all
    assert "  timestamp: ???  # required: no column of dates found; the report needs each order's date" in \
        draft_orders_config(lines, config_dir=tmp_path)


def test_a_promo_code_or_discount_used_is_a_deal_not_a_campaign_and_a_purchase_amount_is_spend(tmp_path):
    """The shopping-trends table's columns: 'Promo Code Used' and 'Discount Applied' (Yes/No) say a
    customer took a deal; read as campaign answers they made '100% answered the latest campaign' where
    no campaign ran. 'Purchase Amount (USD)' is money spent: it sizes the offers."""
    from analysis.ingest.cleaning import clean
    from analysis.segment.features import build_features
    rng = np.random.default_rng(4)
    n = 80
    pd.DataFrame({"Customer ID": range(1, n + 1), "Age": rng.integers(18, 70, n),
                  "Purchase Amount (USD)": rng.integers(20, 100, n),
                  "Discount Applied": rng.choice(["Yes", "No"], n), "Promo Code Used": rng.choice(["Yes", "No"], n),
                  "Previous Purchases": rng.integers(1, 50, n)}).to_csv(tmp_path / "shopping_trends.csv", index=False)
    text = draft_config(tmp_path / "shopping_trends.csv", tmp_path)
    c = yaml.safe_load(text)["columns"]
    assert "campaigns" not in c and c["deal_purchases"] == "Discount Applied"
    assert c["spend"] == {"Purchase": "Purchase Amount (USD)"}
    (tmp_path / "d.yml").write_text(text)
    cfg = load_config(tmp_path / "d.yml")
    f = build_features(clean(load_customers(cfg), cfg), cfg)
    deal = f.doc("deal_share")
    assert (deal.kind, deal.label) == ("flag", "Discount applied")
    assert set(f.table["deal_share"]) == {0.0, 1.0}
    raw = pd.read_csv(tmp_path / "shopping_trends.csv")
    assert f.table["deal_share"].mean() == pytest.approx((raw["Discount Applied"] == "Yes").mean())


def test_a_card_tables_purchases_in_money_are_its_spend_and_a_count_of_purchases_is_not(tmp_path):
    """CC GENERAL's PURCHASES (10,626.40: money bought on the card) is the spend that sizes the
    offers; its ONEOFF_ and INSTALLMENTS_ parts add up to it and stay plain numbers; a 'Purchases'
    column of whole numbers is a count, never spend. No draft of a customer table has a units role."""
    rng = np.random.default_rng(3)
    n = 60
    one, inst = rng.gamma(1, 500, n).round(2), rng.gamma(1, 200, n).round(2)
    pd.DataFrame({"CUST_ID": [f"C{10001 + i}" for i in range(n)], "BALANCE": rng.gamma(2, 800, n).round(6),
                  "PURCHASES": (one + inst).round(2), "ONEOFF_PURCHASES": one, "INSTALLMENTS_PURCHASES": inst,
                  "PURCHASES_TRX": rng.integers(0, 80, n), "TENURE": rng.integers(6, 13, n)}).to_csv(
        tmp_path / "cc.csv", index=False)
    text = draft_config(tmp_path / "cc.csv", tmp_path)
    c = yaml.safe_load(text)["columns"]
    assert c["spend"] == {"Purchases": "PURCHASES"} and "ONEOFF_PURCHASES" in c["numeric"]
    assert "units" not in text
    pd.DataFrame({"id": range(n), "Purchases": rng.integers(1, 30, n), "Income": rng.gamma(2, 20000, n).round()}).to_csv(
        tmp_path / "counts.csv", index=False)
    assert "spend" not in yaml.safe_load(draft_config(tmp_path / "counts.csv", tmp_path))["columns"]


def test_a_spending_score_written_in_levels_is_the_tables_spending_score(tmp_path):
    """Analytics Vidhya's customer table writes its Spending_Score 'Low', 'Average', 'High': a score,
    clustered and sizing the offers, not a demographic category; its label gives the scale's ends.
    A satisfaction level is a measure too; a membership tier (Gold, Silver) stays a category."""
    rng = np.random.default_rng(4)
    n = 90
    pd.DataFrame({"ID": range(458982, 458982 + n), "Age": rng.integers(18, 80, n),
                  "Spending_Score": rng.choice(["Low", "Average", "High"], n),
                  "Satisfaction Level": rng.choice(["Satisfied", "Neutral", "Unsatisfied"], n),
                  "Membership Type": rng.choice(["Gold", "Silver", "Bronze"], n),
                  "Family_Size": rng.integers(1, 8, n)}).to_csv(tmp_path / "Train.csv", index=False)
    text = draft_config(tmp_path / "Train.csv", tmp_path)
    cfg = parse(text, tmp_path)
    assert cfg.columns.spending_score == "Spending_Score" and "levels Low 1, Average 2, High 3" in text
    assert "Satisfaction Level" in cfg.columns.numeric and "Membership Type" in cfg.columns.categorical
    assert cfg.labels["Spending_Score"] == "Spending score (1 = low, 3 = high)"
    assert cfg.labels["Satisfaction Level"] == "Satisfaction level (1 = unsatisfied, 3 = satisfied)"


def test_the_latest_campaigns_own_call_is_left_out_where_its_answer_is_the_campaign(tmp_path):
    """The bank marketing table: `duration` (the call's seconds) and `campaign` (contacts in it) are
    measured with the answer `y` (a long call is a yes): clustered, they drew the segments; in the
    response model they give the answer away. `day` is a day of the month, not a trait. Without a
    campaign answer a duration is a measure like any other."""
    rng = np.random.default_rng(5)
    n = 80
    frame = pd.DataFrame({"age": rng.integers(20, 80, n), "balance": rng.integers(-500, 9000, n),
                          "day": rng.integers(1, 32, n), "duration": rng.integers(6, 1400, n),
                          "campaign": rng.integers(1, 9, n), "previous": rng.integers(0, 5, n),
                          "y": rng.choice(["yes", "no"], n)})
    frame.to_csv(tmp_path / "bank.csv", sep=";", index=False)
    c = yaml.safe_load(draft_config(tmp_path / "bank.csv", tmp_path))["columns"]
    assert c["campaigns"] == {"Latest campaign": "y"}
    assert {"duration", "campaign", "day"} <= set(c["ignore"]) and not {"duration", "campaign", "day"} & set(
        c.get("numeric", []))
    assert "previous" in c["numeric"]  # contacts before this campaign are known ahead of the next one
    frame.drop(columns=["y"]).to_csv(tmp_path / "calls.csv", sep=";", index=False)
    c = yaml.safe_load(draft_config(tmp_path / "calls.csv", tmp_path))["columns"]
    assert "duration" in c["numeric"] and "day" in c["ignore"]


def test_thousands_dots_are_read_as_cleaning_reads_them_in_a_file_of_decimal_commas(tmp_path):
    """'32.500 €' beside spend written '123,45': the file writes decimal commas, so the dot groups
    thousands, in the draft's comment as in the report (not 'numbers 12.5 to 106.3')."""
    rows = ["id_cliente;ingresos_anuales;gasto_ropa"] + [
        f"{i};{12 + i % 90}.{(i * 7) % 10}00 €;{10 + i % 50},{i % 100:02d}" for i in range(120)]
    path = tmp_path / "clientes.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    line = next(x for x in text.splitlines() if x.strip().startswith("income: ingresos_anuales"))
    assert "integers 12000 to 101300" in line, line
    # No decimal comma anywhere: split by semicolons, the file is still written where the comma is
    # the decimal mark (cleaning.comma_file); split by tabs nothing tells, and the dots are decimal points.
    only = [f"{12 + i % 90}.{(i * 7) % 10}00 €" for i in range(120)]
    path.write_text("id_cliente;ingresos_anuales\n" + "".join(f"{i};{v}\n" for i, v in enumerate(only)), encoding="utf-8")
    assert "integers 12000 to 101300" in draft_config(path, config_dir=tmp_path)
    path.write_text("id_cliente\tingresos_anuales\n" + "".join(f"{i}\t{v}\n" for i, v in enumerate(only)), encoding="utf-8")
    assert "numbers 12 to 101.3" in draft_config(path, config_dir=tmp_path)


@pytest.mark.parametrize("column", ["annual_premium", "Premium", "MRR", "Jahresprämie"])
def test_an_insurers_premium_and_recurring_revenue_are_the_spend(tmp_path, column):
    """What customers pay is the value a segment brings: an insurer's premium, a SaaS's MRR. A premium
    flag (0/1) is no amount."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"policy_holder_id": range(1, 201), "age": rng.integers(20, 80, 200),
                          column: np.round(rng.uniform(500, 9000, 200), 2), "premium_member": rng.integers(0, 2, 200)})
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    cfg = parse(draft_config(path, config_dir=tmp_path), tmp_path)
    assert list(cfg.columns.spend.values()) == [column]
    assert "premium_member" not in cfg.columns.spend.values()


def test_subscriptions_members_and_channel_orders_in_other_words_are_drafted(tmp_path):
    """A Brazilian streaming table's 'cancelou' (sim/não) is who left and 'data_assinatura' when they
    subscribed; an Italian gym's 'iscritto_dal' is the signup; 'web_orders', 'app_orders' and
    'store_orders' are purchases per channel; 'spesa_annua' is the spend, not a category 'Annua'."""
    rng = np.random.default_rng(4)
    n = 80
    dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    pd.DataFrame({"id_assinante": range(n), "mensalidade": rng.uniform(20, 60, n).round(2),
                  "cancelou": rng.choice(["sim", "não"], n), "data_assinatura": dates.strftime("%d/%m/%Y")}
                 ).to_csv(tmp_path / "assinantes.csv", index=False)
    c = parse(draft_config(tmp_path / "assinantes.csv", config_dir=tmp_path), tmp_path).columns
    assert (c.churned, c.signup_date) == ("cancelou", "data_assinatura")
    pd.DataFrame({"id_socio": range(n), "iscritto_dal": dates.strftime("%d/%m/%Y"),
                  "spesa_annua": rng.uniform(200, 900, n).round(2), "web_orders": rng.integers(0, 9, n),
                  "app_orders": rng.integers(0, 9, n), "store_orders": rng.integers(0, 9, n)}
                 ).to_csv(tmp_path / "soci.csv", index=False)
    text = draft_config(tmp_path / "soci.csv", config_dir=tmp_path)
    c = parse(text, tmp_path).columns
    assert c.signup_date == "iscritto_dal" and list(c.spend.values()) == ["spesa_annua"]
    assert "Annua" not in c.spend
    assert c.purchases == {"Web": "web_orders", "App": "app_orders", "Store": "store_orders"}


def test_dutch_order_lines_name_their_order_column(tmp_path):
    from analysis.ingest.drafting_orders import draft_orders_config

    rows = ["Bestelnummer;Klantnummer;Besteldatum;Artikel;Aantal;Stukprijs"]
    rows += [f"{70000 + o // 3};K{o % 40:03d};{1 + o % 28:02d}-03-2024;Artikel {o % 30};{1 + o % 3};{2 + o % 9},{o % 100:02d}"
             for o in range(300)]
    (tmp_path / "bestellingen.csv").write_text("\n".join(rows) + "\n")
    t = parse(draft_orders_config(tmp_path / "bestellingen.csv", config_dir=tmp_path), tmp_path).transactions
    assert (t.order, t.customer, t.unit_price) == ("Bestelnummer", "Klantnummer", "Stukprijs")


def test_a_service_business_dates_its_first_visit_and_last_service(tmp_path):
    """A car dealer's service customers: 'First Visit' is when they became customers, 'Last Service
    Date' their latest purchase (m/d/yyyy)."""
    rng = np.random.default_rng(5)
    n = 60
    first = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    last = first + pd.to_timedelta(rng.integers(30, 900, n), unit="D")
    pd.DataFrame({"Customer ID": [f"C-{i:05d}" for i in range(n)], "First Visit": [f"{d.month}/{d.day}/{d.year}" for d in first],
                  "Last Service Date": [f"{d.month}/{d.day}/{d.year}" for d in last],
                  "Total Service Spend": [f"${v:,.2f}" for v in rng.uniform(100, 9000, n)]}).to_csv(tmp_path / "s.csv", index=False)
    c = parse(draft_config(tmp_path / "s.csv", config_dir=tmp_path), tmp_path).columns
    assert (c.signup_date, c.last_purchase) == ("First Visit", "Last Service Date")
    assert (c.signup_date_format, c.last_purchase_format) == ("%m/%d/%Y", "%m/%d/%Y")


def test_a_korean_membership_table_drafts_its_join_date_and_payments(tmp_path):
    """'가입일' written 2019.09.27 (year first, with dots) is the signup; '누적 결제금액' (payments to
    date, '₩977,000') is the spend, in won."""
    rng = np.random.default_rng(6)
    n = 60
    joined = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
    pd.DataFrame({"회원번호": [f"M{i:05d}" for i in range(n)], "가입일": joined.strftime("%Y.%m.%d"),
                  "누적 결제금액": [f"₩{v:,}" for v in rng.integers(10, 3000, n) * 1000]}
                 ).to_csv(tmp_path / "회원.csv", index=False, encoding="utf-8-sig")
    cfg = parse(draft_config(tmp_path / "회원.csv", config_dir=tmp_path), tmp_path)
    assert (cfg.columns.signup_date, cfg.columns.signup_date_format) == ("가입일", "%Y.%m.%d")
    assert list(cfg.columns.spend.values()) == ["누적 결제금액"] and cfg.report.currency == "₩"


@pytest.mark.parametrize("name", ["Opis", "Opis produktu", "Descrição", "Bezeichnung", "Désignation"])
def test_product_descriptions_in_other_languages_are_names_not_codes(name):
    import re

    from analysis.ingest.drafting import normalise
    from analysis.ingest.drafting_orders import NAMES

    assert re.search(NAMES["product_name"], normalise(name)) and not re.search(NAMES["product"], normalise(name))


# The bundled table's columns under Chinese, French, German and Spanish names, as a team there writes them.
TRANSLATED = {
    "zh": ["客户ID", "出生年份", "学历", "婚姻状况", "年收入", "家中儿童", "家中青少年", "注册日期", "最近购买天数", "葡萄酒消费额",
           "水果消费额", "肉类消费额", "鱼类消费额", "甜品消费额", "黄金消费额", "折扣购买次数", "网店购买次数", "目录购买次数",
           "门店购买次数", "每月网站访问次数", "活动3响应", "活动4响应", "活动5响应", "活动1响应", "活动2响应", "投诉",
           "每次联系成本", "每次响应收入", "最近活动响应"],
    "fr": ["ID_Client", "Annee_Naissance", "Niveau_Etudes", "Situation_Familiale", "Revenu", "Enfants", "Adolescents",
           "Date_Inscription", "Jours_Depuis_Dernier_Achat", "Depenses_Vins", "Depenses_Fruits", "Depenses_Viande",
           "Depenses_Poisson", "Depenses_Sucreries", "Depenses_Or", "Achats_En_Promotion", "Achats_Web", "Achats_Catalogue",
           "Achats_Magasin", "Visites_Web_Mois", "Campagne_3", "Campagne_4", "Campagne_5", "Campagne_1", "Campagne_2",
           "Plainte", "Coût par contact", "Revenu par réponse", "Reponse_Derniere_Campagne"],
    "de": ["Kundennummer", "Geburtsjahr", "Bildung", "Familienstand", "Einkommen", "Kinder", "Jugendliche", "Kunde_seit",
           "Tage_seit_letztem_Kauf", "Ausgaben_Wein", "Ausgaben_Obst", "Ausgaben_Fleisch", "Ausgaben_Fisch",
           "Ausgaben_Suesswaren", "Ausgaben_Gold", "Rabattkaeufe", "Kaeufe_Web", "Kaeufe_Katalog", "Kaeufe_Laden",
           "Webbesuche_pro_Monat", "Kampagne_3", "Kampagne_4", "Kampagne_5", "Kampagne_1", "Kampagne_2", "Beschwerde",
           "Kosten pro Kontakt", "Umsatz je Antwort", "Antwort_letzte_Kampagne"],
    "es": ["ID_Cliente", "Anio_Nacimiento", "Educacion", "Estado_Civil", "Ingresos", "Ninos", "Adolescentes", "Fecha_Alta",
           "Dias_Desde_Ultima_Compra", "Gasto_Vinos", "Gasto_Frutas", "Gasto_Carne", "Gasto_Pescado", "Gasto_Dulces",
           "Gasto_Oro", "Compras_Con_Descuento", "Compras_Web", "Compras_Catalogo", "Compras_Tienda", "Visitas_Web_Mes",
           "Campana_3", "Campana_4", "Campana_5", "Campana_1", "Campana_2", "Queja", "Coste por contacto",
           "Ingreso por respuesta", "Respuesta"],
}


@pytest.mark.parametrize("language", sorted(TRANSLATED))
def test_the_bundled_table_under_translated_names_is_drafted_as_in_english(tmp_path, language):
    """Every role of the English draft found under the other names: the household's teenagers
    (Adolescents, Jugendliche, 家中青少年), the cost of a contact and the revenue of an answer, and in
    Chinese the birth year, recency, channels, deals, web visits, campaigns and complaints, which
    were plain numbers or categories. Chinese categories and channels lose the role's word (葡萄酒消费额
    is the spend on 葡萄酒)."""
    frame = pd.read_csv(MARKETING, sep="\t", nrows=300)
    english = parse(draft_config(MARKETING, config_dir=REPO / "data"), REPO / "data").columns
    path = tmp_path / f"{language}.csv"
    frame.set_axis(TRANSLATED[language], axis=1).to_csv(path, index=False)
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    to = dict(zip(frame.columns, TRANSLATED[language]))
    for role in ("id", "birth_year", "income", "recency_days", "deal_purchases", "web_visits", "complaints",
                 "contact_cost", "revenue_per_answer", "signup_date"):
        assert getattr(c, role) == to[getattr(english, role)], role
    assert c.household == [to[x] for x in english.household]
    assert sorted(c.purchases.values()) == sorted(to[x] for x in english.purchases.values())
    assert sorted(c.spend.values()) == sorted(to[x] for x in english.spend.values())
    assert c.campaigns == {k: to[v] for k, v in english.campaigns.items()}
    assert not c.numeric
    if language == "zh":
        assert c.spend["葡萄酒"] == "葡萄酒消费额" and c.purchases["门店"] == "门店购买次数"


@pytest.mark.parametrize("written, fmt", [("%d %b %Y", "%d %b %Y"), ("%B %d, %Y", "%B %d, %Y"), ("%d-%b-%y", "%d-%b-%y")])
def test_signup_dates_with_english_month_names_are_dates(tmp_path, written, fmt):
    """'04 Sep 2012' and 'September 04, 2012' were free text: the tenure was lost without a word."""
    frame = pd.read_csv(MARKETING, sep="\t", nrows=200)
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y").dt.strftime(written)
    path = tmp_path / "c.tsv"
    frame.to_csv(path, sep="\t", index=False)
    c = parse(draft_config(path, config_dir=tmp_path), tmp_path).columns
    assert (c.signup_date, c.signup_date_format) == ("Dt_Customer", fmt)
    from analysis.ingest.cleaning import to_dates
    assert to_dates(frame["Dt_Customer"].astype("string"), fmt).notna().all()


def test_a_date_column_of_two_formats_or_of_spreadsheet_day_numbers_is_said_not_decided(tmp_path):
    frame = pd.read_csv(MARKETING, sep="\t", nrows=200)
    dates = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y")
    mixed = frame.assign(Dt_Customer=[d.strftime("%Y-%m-%d" if i % 4 else "%d/%m/%Y") for i, d in enumerate(dates)])
    serial = frame.assign(Dt_Customer=(dates - pd.Timestamp("1899-12-30")).dt.days)
    texts = {}
    for name, table in (("mixed", mixed), ("serial", serial)):
        table.to_csv(tmp_path / f"{name}.tsv", sep="\t", index=False)
        texts[name] = draft_config(tmp_path / f"{name}.tsv", config_dir=tmp_path)
        assert parse(texts[name], tmp_path).columns.signup_date is None
    assert "'Dt_Customer' is named like the signup date and holds dates written in two ways: 150 as %Y-%m-%d" in texts["mixed"]
    assert "50 as %d/%m/%Y" in texts["mixed"]
    first, last = dates.min().strftime("%Y-%m-%d"), dates.max().strftime("%Y-%m-%d")
    assert f"which read as a spreadsheet's day numbers from {first} to {last}" in texts["serial"]
    # a count named so is no date: nothing said of numbers outside the days a customer table holds
    frame.assign(Dt_Customer=range(200)).to_csv(tmp_path / "count.tsv", sep="\t", index=False)
    assert "day numbers" not in draft_config(tmp_path / "count.tsv", config_dir=tmp_path)


def test_columns_of_signed_values_are_no_days_counts_or_money(tmp_path):
    """Cleaning reads a negative number of days, orders or money as a typo (made missing): a column
    of standardised scores named 'recency_z' or 'orders_score' (half of them below 0) is drafted as
    a number, not as days since the last purchase; a few negatives among days still are days."""
    rng = np.random.default_rng(4)
    n = 300
    z = rng.normal(size=(n, 3)).round(3)
    days = rng.integers(0, 400, n).astype(float)
    days[:3] = -1  # typos, which cleaning treats as missing
    frame = pd.DataFrame({"customer_id": range(1, n + 1), "recency_z": z[:, 0], "orders_score": z[:, 1],
                          "spend_z": z[:, 2]})
    frame.to_csv(tmp_path / "scores.csv", index=False)
    cfg = parse(draft_config(tmp_path / "scores.csv", config_dir=tmp_path), tmp_path)
    assert cfg.columns.recency_days is None and cfg.columns.orders is None and not cfg.columns.spend
    assert {"recency_z", "orders_score", "spend_z"} <= set(cfg.columns.numeric)
    frame.assign(recency=days).drop(columns="recency_z").to_csv(tmp_path / "days.csv", index=False)
    assert parse(draft_config(tmp_path / "days.csv", config_dir=tmp_path), tmp_path).columns.recency_days == "recency"


def test_date_cells_of_parquet_and_excel_leave_no_day_month_question(tmp_path):
    """Typed dates are read as text with or without a zone, the same dates: not two readings; dates
    written 03/04 as text still are."""
    n = 40
    frame = pd.DataFrame({"customer_id": range(n), "spend": np.arange(n) * 3.5 + 1,
                          "last_purchase": pd.date_range("2024-01-01", periods=n, freq="5D")})
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    for name in ("t.parquet", "t.xlsx"):
        text = draft_config(tmp_path / name, config_dir=tmp_path)
        assert parse(text, tmp_path).columns.last_purchase == "last_purchase", name
        assert "undecided" not in text, name
    frame.assign(last_purchase=[f"0{1 + i % 9}/0{1 + i % 9}/2024" for i in range(n)]).to_csv(tmp_path / "t.csv", index=False)
    assert "'last_purchase': day and month order undecided (also %m/%d/%Y)" in draft_config(tmp_path / "t.csv", config_dir=tmp_path)


def test_dates_written_three_ways_with_a_typo_are_not_decided(tmp_path):
    """A signup column of ISO dates, 'March 12, 2022' and 15/01/2021, with one impossible date and
    'N/A': listed under NOT DECIDED with each way, not drafted as free text to ignore; order lines'
    dates written two ways are named where the timestamp is asked for."""
    from analysis.ingest.drafting_orders import draft_orders_config
    n = 90
    ways = [f"2021-03-{1 + i % 28:02d}" if i % 3 == 0 else f"March {1 + i % 28:02d}, 2022" if i % 3 == 1
            else f"{13 + i % 15}/01/2021" for i in range(n)]
    ways[5], ways[7] = "31/02/2020", "N/A"
    pd.DataFrame({"customer_id": range(n), "spend": np.arange(n) * 2.5 + 1, "signup date": ways}).to_csv(
        tmp_path / "c.csv", index=False)
    text = draft_config(tmp_path / "c.csv", config_dir=tmp_path)
    assert ("'signup date' is named like the signup date and holds dates written in three ways: 30 as %Y-%m-%d "
            "(e.g. '2021-03-01'), 29 as %B %d, %Y (e.g. 'March 02, 2022'), 29 as %d/%m/%Y (e.g. '15/01/2021'); "
            "1 read in none (e.g. '31/02/2020')") in text
    lines = pd.DataFrame({"customer": [f"K{i % 20}" for i in range(200)], "order": [f"A{i // 3}" for i in range(200)],
                          "product": [f"P{i % 7}" for i in range(200)], "quantity": 1 + np.arange(200) % 4,
                          "price": 2.5 + np.arange(200) % 5,
                          "Datum": [f"2022-05-{1 + i % 28:02d} 10:00:00" if i % 2 else f"{1 + i % 28:02d}.05.2022 10:00"
                                    for i in range(200)]})
    lines.to_csv(tmp_path / "l.csv", index=False)
    text = draft_orders_config(tmp_path / "l.csv", config_dir=tmp_path)
    assert "  timestamp: ???  # required: 'Datum' is named like a date and holds dates written in two ways: 100 as" in text


def test_an_id_age_and_orders_named_with_units_and_other_words(tmp_path):
    """'identifiant' is the French id, 'Age (yrs)' an age and 'No. of orders' the orders; the id's comment
    counts the rows as they are: 15 exact duplicate rows are no '2,415 distinct values'."""
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({"identifiant": [f"{i:06d}" for i in range(n)], "Age (yrs)": rng.integers(18, 80, n),
                          "No. of orders": rng.integers(0, 30, n), "Revenu": rng.integers(20000, 90000, n)})
    frame = pd.concat([frame, frame.iloc[:15]])
    frame.to_csv(tmp_path / "clients.csv", index=False)
    text = draft_config(tmp_path / "clients.csv", tmp_path)
    cfg = parse(text, tmp_path)
    assert (cfg.columns.id, cfg.columns.age, cfg.columns.orders) == ("identifiant", "Age (yrs)", "No. of orders")
    assert "values repeat only in 15 exact duplicate rows (cleaning excludes them)" in text
    frame.iloc[:n].rename(columns={"identifiant": "c0"}).to_csv(tmp_path / "plain.csv", index=False)
    assert "no id-like name, but all 400 values distinct; check" in draft_config(tmp_path / "plain.csv", tmp_path)


def test_japanese_purchase_amounts_are_spend_per_category(tmp_path):
    """食品購入額 (food purchase amount) and 衣料品購入額: spend on 食品 and 衣料品, not plain numbers."""
    rng = np.random.default_rng(8)
    n = 200
    pd.DataFrame({"顧客ID": range(1, n + 1), "年齢": rng.integers(20, 70, n), "食品購入額": rng.integers(1000, 30000, n),
                  "衣料品購入額": rng.integers(500, 90000, n)}).to_csv(tmp_path / "kokyaku.csv", index=False)
    cfg = parse(draft_config(tmp_path / "kokyaku.csv", tmp_path), tmp_path)
    assert cfg.columns.spend == {"食品": "食品購入額", "衣料品": "衣料品購入額"} and cfg.columns.id == "顧客ID"


def test_a_woocommerce_item_cost_is_the_unit_price_not_the_order_total(tmp_path):
    """WooCommerce lines repeat the order's total on every line ('Order Total') beside the unit price
    ('Item Cost'): the total taken for the price made spend 27 times too large."""
    from analysis.ingest.drafting_orders import draft_orders_config

    rows = ["Order Number,Order Date,Billing Email,SKU,Item Name,Quantity,Item Cost,Order Total"]
    for o in range(200):
        lines = [(f"P{(o + j) % 30:02d}", 1 + j % 3, 2.5 + (o + j) % 30) for j in range(1 + o % 4)]
        total = sum(q * p for _, q, p in lines)
        rows += [f"{5000 + o},2024-03-{1 + o % 28:02d} 10:{o % 60:02d},c{o % 60}@shop.de,{sku},Item {sku},{q},{p:.2f},"
                 f"{total:.2f}" for sku, q, p in lines]
    (tmp_path / "woo.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    t = parse(draft_orders_config(tmp_path / "woo.csv", config_dir=tmp_path), tmp_path).transactions
    assert (t.unit_price, t.quantity, t.product) == ("Item Cost", "Quantity", "SKU")
