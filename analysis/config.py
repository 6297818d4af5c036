"""The run configuration: a YAML file validated by a schema that forbids unknown keys.

Every column role is optional; the report shows the sections the named columns support.
"""
from __future__ import annotations

import codecs
import difflib
import re
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import UserError
from .options import DELIMITER_NAMES, SEED_MAX, check_delimiter, unescape_delimiter  # noqa: F401  (re-exported)

K_MAX = 30  # the most segments a team can act on
# strftime directives that strptime reads back; anything else after a % is a typo.
DATE_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")


def check_date_format(value: str | None, where: str) -> str | None:
    """A strftime format with known directives and at least one of them; raises ValueError."""
    if value is None:
        return value
    directives = re.findall(r"%(.?)", value)
    bad = [d for d in directives if d not in DATE_DIRECTIVES]
    if bad:
        raise ValueError(f"{where}: unknown directive '%{bad[0]}' (known: %Y %m %d %H %M %S %p %b %z ...)")
    if not [d for d in directives if d != "%"]:
        raise ValueError(f"{where} has no date directive such as %Y, %m or %d")
    return value


def check_encoding(value: str, where: str) -> str:
    if value == "auto":
        return value
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"{where}: unknown text encoding {value!r} (e.g. utf-8, cp1252, latin-1)") from None
    return value


def check_path(value: str | None, where: str) -> str | None:
    if value is None:
        return value
    if not value.strip():
        raise ValueError(f"{where} is empty: give a file path")
    if "\x00" in value:
        raise ValueError(f"{where} contains a NUL character")
    return value


@dataclass(frozen=True)
class CatalogTable:
    """A table read by name from a Spark catalog (customers.table, transactions.table): named like
    a file in messages and in the manifest."""

    table: str

    @property
    def name(self) -> str:
        return self.table

    def __str__(self) -> str:
        return f"table {self.table}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _InputFile(_Strict):
    """What every input file section checks: its path, delimiter and encoding."""

    @field_validator("path", check_fields=False)
    @classmethod
    def _path(cls, v):
        return check_path(v, "path")

    @field_validator("delimiter", check_fields=False)
    @classmethod
    def _delimiter(cls, v):
        return check_delimiter(v, "delimiter")

    @field_validator("encoding", check_fields=False)
    @classmethod
    def _encoding(cls, v):
        return check_encoding(v, "encoding")


TABLE_NAME = r"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){0,2}|`[^`]+`(\.`[^`]+`){0,2}"


class _FileOrTable(_InputFile):
    """A file (path) or, with engine: spark, a table of the Spark catalog (table): one of them."""

    @field_validator("table", check_fields=False)
    @classmethod
    def _table(cls, v):
        if v is not None and not re.fullmatch(TABLE_NAME, v):
            raise ValueError(f"{v!r} is not a table name (name, database.name or catalog.database.name)")
        return v

    @model_validator(mode="after")
    def _one_source(self):
        if self.path is not None and self.table is not None:
            raise ValueError("give path (a file or folder) or table (a Spark catalog table), not both")
        if self.path is None and self.table is None:
            raise ValueError("give path (a file, or a folder of Parquet parts) or table (a Spark catalog table)")
        return self


class CustomersFile(_FileOrTable):
    path: str | None = Field(None, description="customer table: CSV, TSV (optionally .gz), Parquet, a folder of "
                             "Parquet parts, or Excel; relative to the config file")
    table: str | None = Field(None, description="instead of path, with engine: spark: a table in the Spark catalog "
                              "(Hive metastore, Unity Catalog, Delta), e.g. crm.customers")
    delimiter: str = Field("auto", description="field separator, whitespace for columns aligned by runs of spaces, "
                           "or auto to detect it")
    encoding: str = Field("auto", description="text encoding, or auto to detect it")
    sheet: str | None = Field(None, description="Excel sheet name (default: the one with the most filled cells)")


class TransactionsFile(_FileOrTable):
    """Order lines: one row per product in an order. Customer features and baskets come from them."""

    path: str | None = Field(None, description="order lines: CSV, TSV (optionally .gz), Parquet, a folder of "
                             "Parquet parts, or Excel; relative to the config file")
    table: str | None = Field(None, description="instead of path, with engine: spark: a table in the Spark catalog "
                              "(Hive metastore, Unity Catalog, Delta), e.g. sales.order_lines")
    delimiter: str = Field("auto", description="field separator, whitespace for columns aligned by runs of spaces, "
                           "or auto to detect it")
    encoding: str = Field("auto", description="text encoding, or auto to detect it")
    sheet: str | None = Field(None, description="Excel sheet name (default: the one with the most filled cells)")
    header: bool = Field(True, description="false: the file has no header row; its columns are named column 1, "
                         "column 2, ... in the other keys")
    customer: str = Field(description="customer id column (lines without one are used for baskets only)")
    order: str | None = Field(None, description="order or invoice id column: the lines of one order form a basket; "
                              "without one, an order is a customer's lines at one date and time")
    timestamp: str = Field(description="date and time of the order")
    timestamp_format: str | None = Field(None, description="strftime format of timestamp, e.g. %Y-%m-%d %H:%M; default: detected")
    product: str | None = Field(None, description="product code or name column; without one, every line is of one "
                                "product: customers and spend as usual, no baskets or rules")
    product_name: str | None = Field(None, description="product description shown in rules (default: the product column)")
    quantity: str | None = Field(None, description="units of the product in the line (default: one unit per line, "
                                 "as a ledger of amounts writes it)")
    unit_price: str | None = Field(None, description="price of one unit (or give amount); null, written out, when "
                                   "the lines carry no price: segments then rest on orders, products and dates, "
                                   "and no spend is measured")
    amount: str | None = Field(None, description="instead of unit_price: the line's total (quantity x price), "
                               "as a sales export writes it")
    category: str | None = Field(None, description="product category column of the lines (or give a products map)")
    cancelled_prefix: str | None = Field("C", description="order ids starting with this are cancellations; null: none")
    status: str | None = Field(None, description="order status column; an order any of whose lines has one of "
                               "cancelled_statuses is a cancellation, a line with one of returned_statuses was sent back")
    cancelled_statuses: list[str] = Field(default_factory=lambda: list(CANCELLED_STATUSES),
                                          description="status values (any case) of orders not bought: cancelled, refunded, failed")
    returned_statuses: list[str] = Field(default_factory=lambda: list(RETURNED_STATUSES),
                                         description="status values (any case) of lines whose goods came back: not "
                                                     "bought, while the order's other lines count")
    not_products: list[str] = Field(default_factory=list, description="product codes that are fees, postage or adjustments, not goods")
    max_price_ratio: float | None = Field(50.0, gt=1, description="a line whose unit price is more than this many times "
                                          "its product's median (over at least 5 lines) is a typo, such as a price in "
                                          "cents: not used; null keeps every price")
    duplicate_lines: Literal["drop", "keep"] = Field("drop", description="lines equal to an earlier line in every column")
    customer_columns: list[str] = Field(default_factory=list, description="per-customer categorical columns of the lines (most frequent value), profiled")

    @field_validator("timestamp_format")
    @classmethod
    def _format(cls, v):
        return check_date_format(v, "timestamp_format")

    @model_validator(mode="after")
    def _one_price(self):
        if self.unit_price is not None and self.amount is not None:
            raise ValueError("give unit_price (the price of one unit) or amount (the line's total), not both")
        if self.unit_price is None and self.amount is None and not {"unit_price", "amount"} & self.model_fields_set:
            raise ValueError("give unit_price (the price of one unit) or amount (the line's total); "
                             "write unit_price: null if the lines carry no price")
        return self

    @model_validator(mode="after")
    def _prefix_needs_order(self):
        if self.order is None and self.cancelled_prefix and "cancelled_prefix" in self.model_fields_set:
            raise ValueError("cancelled_prefix marks order ids: name the order column (order), or set "
                             "cancelled_prefix: null")
        return self

    @property
    def money(self) -> str | None:
        """The column of money: the unit price, or the line's total (amount); None: no price."""
        return self.unit_price or self.amount


# Order statuses of orders that were not bought, in the languages drafts read.
CANCELLED_STATUSES = ("cancelled", "canceled", "refunded", "failed", "voided", "unavailable", "storniert", "erstattet",
                      "nicht lieferbar", "annulé", "indisponible", "indisponível", "indisponivel", "no disponible",
                      "annulée", "remboursé", "cancelado", "cancelada", "reembolsado", "geannuleerd", "terugbetaald",
                      "annullato", "rimborsato", "anulowane", "anulowano", "anulowany", "anulowana", "zwrot środków",
                      "zrušeno", "zrušená", "stornováno", "annullerad", "avbruten", "annulleret", "kansellert",
                      "peruttu", "peruutettu", "iptal", "iptal edildi", "anulat", "anulată", "törölve", "anulado",
                      "anulada", "annullata", "remboursée", "échoué", "échouée", "fehlgeschlagen", "mislukt",
                      "estornado", "reembolsada", "キャンセル", "キャンセル済み", "取消", "取り消し", "取消済み",
                      "返金", "返金済み", "已取消", "取消订单", "已退款", "退款", "取消訂單", "취소", "주문취소",
                      "환불", "환불완료")
# Line statuses of goods sent back: the line is no sale (a return written as a negative quantity is
# a line of its own, netted against spend instead).
RETURNED_STATUSES = ("returned", "return", "devuelto", "devuelta", "devolución", "devolucion", "retourné",
                     "retournée", "retour", "retourniert", "zurückgegeben", "geretourneerd", "reso", "restituito",
                     "zwrot", "zwrócony", "zwrócone", "zwrócona", "devolvido", "devolvida", "vráceno", "returnerad",
                     "returneret", "returnert", "palautettu", "iade", "iade edildi", "returnat", "visszaküldve",
                     "返品", "返品済み", "退货", "已退货", "退貨", "반품", "반품완료")


class ProductsFile(_Strict):
    path: str = Field(description="product -> category map: CSV, TSV, Parquet or Excel; relative to the config file")
    product: str = Field(description="column matching the order lines' product column")
    category: str = Field(description="category column")
    sheet: str | None = Field(None, description="Excel sheet name (default: the one with the most filled cells)")

    @field_validator("path")
    @classmethod
    def _path(cls, v):
        return check_path(v, "path")


class Baskets(_Strict):
    levels: list[Literal["product", "category"]] = Field(
        default_factory=lambda: ["product", "category"], description="item levels rules are mined at")
    min_baskets: int = Field(20, ge=2, description="an itemset must be in at least this many baskets, whatever the support")
    min_support: float | Literal["auto"] = Field(
        "auto", description="minimum support as a share of baskets; auto: 1% of the baskets mined (and at least min_baskets)")
    min_confidence: float = Field(0.3, gt=0, le=1, description="minimum confidence of a rule")
    max_length: int = Field(3, ge=2, le=6, description="most items in a rule, both sides together")
    distinctive_lift: float = Field(1.5, gt=1, description="a segment's rule is distinctive when its lift is this many times its lift over all baskets")
    distinctive_p: float | None = Field(
        0.05, gt=0, le=1, description="a distinctive rule's lift in its segment must be beyond chance at this level, all "
        "the rules its frequent items could make counted (null: no such test, e.g. for a handful of baskets)")
    top: int = Field(10, ge=1, le=100, description="rules shown per table")
    min_reach: int = Field(10, ge=1, description="a promotion must reach at least this many of the segment's customers")
    sample: int = Field(200_000, ge=1000, description="above this many baskets, rules are found on a random sample "
                        "of this size, then counted exactly on every basket")

    @field_validator("min_support")
    @classmethod
    def _support_is_a_share(cls, v):
        if v != "auto" and not 0 < v <= 1:
            raise ValueError("min_support must be 'auto' or a share of baskets in (0, 1]")
        return v


class Columns(_Strict):
    """Which input column plays which role. Names are the input's own column names."""

    id: str | None = Field(None, description="customer id (row numbers are used when absent)")
    birth_year: str | None = Field(None, description="year of birth")
    birth_date: str | None = Field(None, description="date of birth")
    birth_date_format: str | None = Field(None, description="strftime format of birth_date, e.g. %Y-%m-%d")
    age: str | None = Field(None, description="age in years")
    gender: str | None = Field(None, description="gender (profiled, not clustered)")
    loyalty_card: str | None = Field(None, description="loyalty card holder yes/no (profiled, not clustered)")
    income: str | None = Field(None, description="income (yearly or monthly, as the table gives it)")
    household: list[str] = Field(default_factory=list, description="counts of children or dependants at home, summed")
    signup_date: str | None = Field(None, description="date the customer joined")
    signup_date_format: str | None = Field(None, description="strftime format of signup_date, e.g. %d-%m-%Y")
    tenure_months: str | None = Field(None, description="months the customer has been a customer (instead of "
                                      "signup_date)")
    tenure_years: str | None = Field(None, description="years the customer has been a customer (instead of "
                                     "signup_date or tenure_months): 12 months each")
    first_order: str | None = Field(None, description="date of the first purchase, where the table also has a signup "
                                    "date (joined order lines give it): the months since it are a feature of their own")
    first_order_format: str | None = Field(None, description="strftime format of first_order, e.g. %Y-%m-%d")
    recency_days: str | None = Field(None, description="days since the last purchase")
    last_purchase: str | None = Field(None, description="date of the latest purchase (instead of recency_days: "
                                      "the days since it are measured at the reference date)")
    last_purchase_format: str | None = Field(None, description="strftime format of last_purchase, e.g. %d.%m.%Y")
    orders: str | None = Field(None, description="number of orders (purchase frequency)")
    spending_score: str | None = Field(None, description="a score of how much the customer spends (Spending Score "
                                       "1-100), where the table gives no spend: the offers are sized by it")
    basket_size: str | None = Field(None, description="average number of products per order")
    habits: dict[str, str] = Field(default_factory=dict, description="time habit (e.g. at weekends) -> column of the share of orders placed then (0 to 1)")
    spend: dict[str, str] = Field(default_factory=dict, description="product category -> column of money spent on it")
    units: dict[str, str] = Field(default_factory=dict, description="product category -> column of units bought of it, "
                                  "where no money is known (order lines without prices)")
    purchases: dict[str, str] = Field(default_factory=dict, description="sales channel -> column of purchase counts")
    deal_purchases: str | None = Field(None, description="purchases made with a discount")
    web_visits: str | None = Field(None, description="web site visits per month")
    campaigns: dict[str, str] = Field(
        default_factory=dict, description="campaign name -> 0/1 answer column, oldest first; the last is the latest"
    )
    complaints: str | None = Field(None, description="complained recently, 0/1")
    churned: str | None = Field(None, description="the customer has left (churn, attrition, cancelled), 0/1 or yes/no: "
                                "profiled per segment, not clustered; a segment that loses many more is advised retention")
    contact_cost: str | None = Field(None, description="cost of contacting the customer once")
    revenue_per_answer: str | None = Field(None, description="revenue earned when the customer answers a campaign")
    numeric: list[str] = Field(default_factory=list, description="other numeric columns used as features as they are")
    categorical: list[str] = Field(default_factory=list, description="categorical demographics (profiled, not clustered)")
    previous_segment: str | None = Field(None, description="an earlier segmentation's label, to compare with")
    ignore: list[str] = Field(default_factory=list, description="columns not used")

    @field_validator("signup_date_format", "birth_date_format", "last_purchase_format", "first_order_format")
    @classmethod
    def _format(cls, v, info):
        return check_date_format(v, info.field_name)

    def named(self) -> list[tuple[str, str]]:
        """(role, column) for every column the config names, in a stable order."""
        out: list[tuple[str, str]] = []
        for role in type(self).model_fields:
            if role.endswith("_format"):
                continue
            value = getattr(self, role)
            if isinstance(value, str):
                out.append((role, value))
            elif isinstance(value, list):
                out.extend((role, v) for v in value)
            elif isinstance(value, dict):
                out.extend((f"{role}.{k}", v) for k, v in value.items())
        return out


class Economics(_Strict):
    contact_cost: float | None = Field(None, ge=0, allow_inf_nan=False, description="cost per contact when no column gives it")
    revenue_per_answer: float | None = Field(None, ge=0, allow_inf_nan=False, description="revenue per answer when no column gives it")


class Cleaning(_Strict):
    min_age: int = Field(16, ge=0, le=150, description="younger customers are implausible: age treated as missing")
    max_age: int = Field(110, ge=1, le=150, description="older customers are implausible: age treated as missing")
    rare_category_share: float = Field(0.01, ge=0, lt=0.5, description="categories rarer than this merge into 'Other'")
    outliers: Literal["cap", "exclude", "keep"] = Field("cap", description="what to do with extreme values")
    outlier_iqr: float = Field(3.0, gt=0, description="extreme = beyond quartiles +/- this many IQRs (log scale if skewed)")
    duplicate_rows: Literal["keep", "exclude"] = Field(
        "keep", description="rows equal to an earlier row in every column but the id"
    )
    missing_values: list[str] = Field(
        default_factory=list, description="more words that mean a missing value in the customer table, as written "
        "(case and spaces around ignored), e.g. ['sans objet', 'k.A.']")


class Segmentation(_Strict):
    algorithm: Literal["auto", "kmeans", "gmm", "ward", "two_stage", "hdbscan"] = Field(
        "auto", description="auto compares them all; or one of kmeans, gmm, ward, two_stage, hdbscan")
    k: int | Literal["auto"] = Field("auto", description="number of segments, or auto")
    k_min: int = Field(2, ge=2, le=K_MAX, description="smallest k searched")
    k_max: int = Field(10, ge=2, le=K_MAX, description="largest k searched: the most segments a team can act on")
    min_segments: int = Field(3, ge=2, le=K_MAX, description="fewer segments are chosen only when no more are separated by valleys "
                              "(a k=2 without a valley only splits high from low)")
    min_segment_share: float = Field(0.05, ge=0, lt=0.5, description="smallest segment a team can act on")
    min_segment_customers: int = Field(5, ge=1, description="smallest segment in customers, whatever the share: "
                                       "tables with fewer than this many customers per segment are refused")
    max_unassigned_share: float = Field(0.10, ge=0, lt=1, description="most customers a density method may leave out")
    shortlist: int = Field(4, ge=1, description="candidates checked for stability")
    stability_resamples: int = Field(8, ge=2, le=200, description="subsamples refitted to measure stability")
    min_stability: float = Field(0.8, ge=0, le=1, description="mean ARI a stable candidate reaches")
    min_cluster_size: int | Literal["auto"] = Field(
        "auto", description="hdbscan: smallest dense group; auto is 3% of the search sample")
    search_sample: int = Field(3000, ge=500, le=20000,
                               description="the model search runs on a random sample this large")

    @field_validator("k")
    @classmethod
    def _k_at_least_two(cls, v):
        if v != "auto" and not 2 <= v <= K_MAX:
            raise ValueError(f"k must be 'auto' or from 2 to {K_MAX}")
        return v

    @field_validator("min_cluster_size")
    @classmethod
    def _size_at_least_two(cls, v):
        if v != "auto" and v < 2:
            raise ValueError("min_cluster_size must be 'auto' or at least 2")
        return v


class Report(_Strict):
    title: str = "Customer segments"
    currency: str = Field("$", description="symbol put before money amounts; one starting with a space (' zł') goes after them")
    reference_date: date | None = Field(None, description="date ages, tenure and recency are measured at; default: the latest last_purchase or signup date")
    min_segment_size: int = Field(20, ge=1, description="smaller segments are not profiled on public pages")
    overrides: str | None = Field(None, description="persona overrides (YAML, see exports/personas.yml); relative to this file")


class Join(_Strict):
    """How a customer table and its order lines meet: on the customer id, named in each file."""

    customers: str | None = Field(None, description="the customer table's id column (default: columns.id)")
    transactions: str | None = Field(None, description="the order lines' customer column (default: transactions.customer)")
    without_orders: Literal["keep", "exclude"] = Field(
        "keep", description="customers of the table without a usable order line: keep (zero activity) or exclude")


# Roles the order lines derive in a joined config: the customer table must not name them too.
DERIVED_ROLES = ("recency_days", "last_purchase", "orders", "basket_size", "spend", "units", "habits")


class Config(_Strict):
    customers: CustomersFile | None = Field(None, description="customer table (and/or transactions)")
    transactions: TransactionsFile | None = Field(None, description="order lines (and/or customers)")
    join: Join | None = Field(None, description="with both customers and transactions: the id columns that match")
    labels: dict[str, str] = Field(default_factory=dict, description="input column -> readable label for features")
    products: ProductsFile | None = Field(None, description="product -> category map for the order lines")
    baskets: Baskets = Field(default_factory=Baskets)
    columns: Columns = Field(default_factory=Columns)
    economics: Economics = Field(default_factory=Economics)
    cleaning: Cleaning = Field(default_factory=Cleaning)
    segmentation: Segmentation = Field(default_factory=Segmentation)
    features: list[str] | None = Field(None, description="clustering features; default: all the columns support")
    compare_with: str | None = Field(None, description="an earlier run's exports/assignments.csv, to compare with")
    report: Report = Field(default_factory=Report)
    seed: int = Field(42, ge=0, le=SEED_MAX, description="random seed, 0 to 2**32 - 1")
    engine: Literal["local", "spark"] = Field(
        "local", description="where the operations that grow with order lines or customers run: local or spark")
    master: str | None = Field(None, description="engine spark: the Spark master URL (local[*], spark://host:7077, "
                               "yarn, ...); default: the running session's, else spark-submit's (local[*])")
    base_dir: Path = Field(Path("."), exclude=True)

    @property
    def compare_path(self) -> Path | None:
        return None if self.compare_with is None else self._resolve(self.compare_with)

    def _resolve(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def overrides_path(self) -> Path | None:
        if self.report.overrides is None:
            return None
        p = Path(self.report.overrides)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def customers_path(self) -> Path | CatalogTable:
        """The input customers come from: the customer table, or the order lines."""
        if self.customers is None:
            return self.transactions_path
        if self.customers.table is not None:
            return CatalogTable(self.customers.table)
        return self._resolve(self.customers.path)

    @property
    def transactions_path(self) -> Path | CatalogTable | None:
        if self.transactions is None:
            return None
        if self.transactions.table is not None:
            return CatalogTable(self.transactions.table)
        return self._resolve(self.transactions.path)

    @property
    def joined(self) -> bool:
        """A customer table and its order lines together."""
        return self.customers is not None and self.transactions is not None

    @property
    def join_key(self) -> str | None:
        """The customer table's id column the order lines are matched on."""
        return (self.join.customers if self.join and self.join.customers else None) or self.columns.id

    @property
    def products_path(self) -> Path | None:
        return None if self.products is None else self._resolve(self.products.path)


def _describe(err: dict, source: str) -> str:
    # A union's member ('int', "literal['auto']", 'function-after[...]') is not part of the key.
    loc = ".".join(str(p) for p in err["loc"] if not re.fullmatch(r"int|float|str|bool|\w+(-\w+)*\[.*\]", str(p)))
    if err["type"] == "extra_forbidden":
        parent = err["loc"][:-1]
        model: type[BaseModel] = Config
        for part in parent:
            ann = model.model_fields.get(str(part))
            # 'X | None' sections: the model is the union's member that is a model.
            kinds = (ann.annotation, *typing.get_args(ann.annotation)) if ann is not None else ()
            models = [k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)]
            if not models:
                model = None
                break
            model = models[0]
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(str(err["loc"][-1]), list(model.model_fields), n=1)
            if close:
                hint = f" (did you mean '{close[0]}'?)"
        return f"{source}: unknown key '{loc}'{hint}"
    if err["type"] == "missing":
        return f"{source}: missing key '{loc}'"
    # pydantic's own prefix ('Value error, k must be ...') says nothing to a user.
    msg = re.sub(r"^(Value|Assertion) error, ", "", err["msg"])
    return f"{source}: key '{loc}': {msg} (got {err.get('input')!r})"


def parse_config(data: object, source: str = "config", base_dir: Path = Path(".")) -> Config:
    if data is None:
        raise UserError(f"{source}: the config is empty")
    if not isinstance(data, dict):
        raise UserError(f"{source}: expected a mapping of keys at the top level")
    unset = _placeholder(data)
    if unset:
        raise UserError(f"{source}: {unset} is not set yet (the draft wrote ??? where it found no column or format): "
                        "write it in, as the comment beside it says")
    try:
        cfg = Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as e:
        raise UserError(_describe(e.errors()[0], source)) from None
    if cfg.customers is None and cfg.transactions is None:
        raise UserError(f"{source}: give 'customers' (a customer table), 'transactions' (order lines) or both")
    if cfg.products is not None and cfg.transactions is None:
        raise UserError(f"{source}: 'products' maps the order lines' products: it needs 'transactions'")
    if cfg.products is not None and cfg.transactions.product is None:
        raise UserError(f"{source}: 'products' maps the order lines' products: name their column (transactions.product)")
    if cfg.join is not None and not cfg.joined:
        raise UserError(f"{source}: 'join' matches a customer table with its order lines: it needs both "
                        "'customers' and 'transactions'")
    tenure = [k for k in ("signup_date", "tenure_months", "tenure_years") if getattr(cfg.columns, k)]
    if len(tenure) > 1:
        keys = " and ".join(repr(f"columns.{k}") for k in tenure[::-1])
        raise UserError(f"{source}: keys {keys} {'both' if len(tenure) == 2 else 'all'} give the tenure: keep one")
    if cfg.columns.recency_days and cfg.columns.last_purchase:
        raise UserError(f"{source}: keys 'columns.recency_days' and 'columns.last_purchase' both give the recency: "
                        "keep one")
    roles: dict[str, list[str]] = {}
    for role, col in cfg.columns.named():
        roles.setdefault(col, []).append(role)
    twice = next(((col, r) for col, r in roles.items() if len(r) > 1), None)
    if twice:
        # One column read in two ways (a number and a category, a feature and ignored) has no single meaning.
        col, r = twice
        keys = " and ".join(f"'columns.{x}'" for x in r)
        raise UserError(f"{source}: column {col!r} is named under {keys}: a column plays one role; keep one")
    if cfg.customers is None and cfg.columns.named():
        raise UserError(f"{source}: 'columns' describes a customer table; with 'transactions' the columns are derived")
    if cfg.joined:
        for role in DERIVED_ROLES:
            if role == "spend" and cfg.transactions.money is None:
                continue  # lines without prices measure units: the table's own spend is the spend
            if getattr(cfg.columns, role):
                raise UserError(f"{source}: key 'columns.{role}': with order lines this is derived from the lines; "
                                "leave it out of a joined config")
        if cfg.join_key is None:
            raise UserError(f"{source}: key 'join.customers': name the customer table's id column (or set columns.id) "
                            "to match it with the order lines")
        j = cfg.join or Join()
        if j.customers and cfg.columns.id and j.customers != cfg.columns.id:
            raise UserError(f"{source}: key 'join.customers' ({j.customers!r}) differs from columns.id "
                            f"({cfg.columns.id!r}): the id column is the one the order lines are matched on")
        # One id column from here on: the table's (cleaning, assignments) and the lines' (aggregation).
        update = {"columns": cfg.columns.model_copy(update={"id": cfg.join_key})}
        if j.transactions:
            update["transactions"] = cfg.transactions.model_copy(update={"customer": j.transactions})
        cfg = cfg.model_copy(update=update)
    for col, label in cfg.labels.items():
        if not isinstance(label, str) or not label.strip():
            raise UserError(f"{source}: key 'labels.{col}': a label must be non-empty text")
    seg = cfg.segmentation
    if seg.k_min > seg.k_max:
        raise UserError(f"{source}: segmentation.k_min={seg.k_min} must be <= k_max={seg.k_max}")
    if cfg.cleaning.min_age >= cfg.cleaning.max_age:
        raise UserError(f"{source}: cleaning.min_age={cfg.cleaning.min_age} must be below "
                        f"cleaning.max_age={cfg.cleaning.max_age}")
    for key in ("compare_with",):
        try:
            check_path(getattr(cfg, key), key)
        except ValueError as e:
            raise UserError(f"{source}: key '{key}': {e}") from None
    if cfg.report.overrides is not None:
        try:
            check_path(cfg.report.overrides, "report.overrides")
        except ValueError as e:
            raise UserError(f"{source}: key 'report.overrides': {e}") from None
    return cfg


PLACEHOLDER = "???"  # what a draft writes for a required value it could not find


def _placeholder(data: object, key: str = "") -> str | None:
    """The first key (dotted) whose value is the draft's placeholder, if any."""
    if isinstance(data, dict):
        return next((k for name, v in data.items() if (k := _placeholder(v, f"{key}.{name}" if key else str(name)))), None)
    if isinstance(data, list):
        return next((k for i, v in enumerate(data) if (k := _placeholder(v, f"{key}[{i}]"))), None)
    return key if isinstance(data, str) and data.strip() == PLACEHOLDER else None


class _OnceLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping (YAML keeps the last silently:
    'seed: 42' then 'seed: 7' would run with 7 though the user reads 42 first)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                continue  # a list or mapping as a key: the config's own checks refuse it
            if key in seen:
                raise _Twice(key, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


class _Twice(yaml.YAMLError):
    def __init__(self, key, mark):
        super().__init__(f"key {key!r} twice")
        self.key, self.mark = key, mark


def read_yaml(path: Path):
    """A user's YAML file as data; a key written twice in one mapping is one line naming it."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_OnceLoader)  # noqa: S506 (a safe loader)
    except _Twice as e:
        raise UserError(f"{path}: key {e.key!r} written twice at line {e.mark.line + 1}; keep one") from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a YAML config file")
    if not path.is_file():
        raise UserError(f"{path}: config file not found")
    try:
        data = read_yaml(path)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"{path}: not valid YAML{where}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: config is not UTF-8 text") from None
    if "base_dir" in (data or {}) if isinstance(data, dict) else False:
        raise UserError(f"{path}: unknown key 'base_dir'")
    return parse_config(data, str(path), path.parent)


def config_to_dict(cfg: Config) -> dict:
    """The config as plain data (for the run manifest)."""
    # Not where it ran (`master`): the same config gives the same results on any cluster.
    return cfg.model_dump(mode="json", exclude={"base_dir", "master"})
