"""The config: unknown keys, wrong types and impossible settings are one-line errors naming the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis.config import load_config, parse_config
from analysis.errors import UserError

MINIMAL = "customers:\n  path: customers.csv\n"


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(UserError) as e:
        load_config(write_yaml(tmp_path, text))
    message = str(e.value)
    assert "\n" not in message
    return message


def test_minimal_config_gets_the_documented_defaults(tmp_path):
    cfg = load_config(write_yaml(tmp_path, MINIMAL))
    assert cfg.seed == 42
    assert cfg.segmentation.k == "auto"
    assert (cfg.segmentation.k_min, cfg.segmentation.k_max) == (2, 10)
    assert cfg.cleaning.duplicate_rows == "keep"
    assert cfg.cleaning.outliers == "cap"
    assert cfg.customers.delimiter == "auto" and cfg.customers.encoding == "auto"


def test_customer_path_is_relative_to_the_config_file(tmp_path):
    sub = tmp_path / "configs"
    sub.mkdir()
    cfg = load_config(write_yaml(sub, MINIMAL))
    assert cfg.customers_path == sub / "customers.csv"


def test_unknown_top_level_key_is_named_with_a_hint(tmp_path):
    message = error_of(tmp_path, MINIMAL + "sead: 7\n")
    assert "config.yml" in message
    assert "unknown key 'sead'" in message
    assert "did you mean 'seed'?" in message


def test_unknown_nested_key_is_named_with_its_path_and_a_hint(tmp_path):
    message = error_of(tmp_path, MINIMAL + "segmentation:\n  kk: 3\n")
    assert "unknown key 'segmentation.kk'" in message
    assert "did you mean 'k'?" in message


def test_a_value_the_draft_left_as_question_marks_is_named_as_not_set(tmp_path):
    """A draft writes ??? for a required column it could not find: the error says the key is not
    set yet, not that a column called '???' is missing from the file."""
    text = ("transactions:\n  path: lines.csv\n  customer: c\n  timestamp: ???  # required: pick one of: a, b\n"
            "  unit_price: p\n")
    message = error_of(tmp_path, text)
    assert "transactions.timestamp is not set yet (the draft wrote ??? where it found no column" in message
    assert "'???'" not in message
    assert "baskets.levels[1] is not set yet" in error_of(tmp_path, MINIMAL + "baskets:\n  levels:\n    - product\n    - ???\n")


def test_misspelt_key_under_customers_gets_a_hint(tmp_path):
    message = error_of(tmp_path, "customers:\n  path: c.csv\n  delimeter: ';'\n")
    assert "unknown key 'customers.delimeter'" in message
    assert "did you mean 'delimiter'?" in message


def test_wrong_type_names_the_key_and_the_value(tmp_path):
    message = error_of(tmp_path, MINIMAL + "seed: abc\n")
    assert "key 'seed'" in message
    assert "'abc'" in message


def test_invalid_choice_names_the_key(tmp_path):
    message = error_of(tmp_path, MINIMAL + "cleaning:\n  outliers: delete\n")
    assert "cleaning.outliers" in message
    assert "'delete'" in message


def test_k_below_two_is_rejected(tmp_path):
    message = error_of(tmp_path, MINIMAL + "segmentation:\n  k: 1\n")
    assert "segmentation.k" in message


def test_k_min_above_k_max_names_both(tmp_path):
    message = error_of(tmp_path, MINIMAL + "segmentation:\n  k_min: 6\n  k_max: 4\n")
    assert "k_min=6" in message and "k_max=4" in message


def test_empty_yaml_says_the_config_is_empty(tmp_path):
    message = error_of(tmp_path, "")
    assert "config.yml" in message and "empty" in message


def test_comment_only_yaml_is_empty_too(tmp_path):
    assert "empty" in error_of(tmp_path, "# nothing here yet\n")


def test_missing_input_section_names_both_kinds(tmp_path):
    message = error_of(tmp_path, "seed: 3\n")
    assert "give 'customers'" in message and "'transactions'" in message and "or both" in message


def test_customers_and_transactions_together_need_an_id_to_join_on(tmp_path):
    message = error_of(tmp_path, "customers:\n  path: c.csv\ntransactions:\n  path: l.csv\n  customer: c\n"
                                 "  order: o\n  timestamp: t\n  product: p\n  quantity: q\n  unit_price: u\n")
    assert "key 'join.customers': name the customer table's id column" in message


def test_joined_config_takes_the_join_keys(tmp_path):
    cfg = parse_config({"customers": {"path": "c.csv"}, "join": {"customers": "ID", "transactions": "Buyer"},
                        "transactions": {"path": "l.csv", "customer": "c", "order": "o", "timestamp": "t",
                                         "product": "p", "quantity": "q", "unit_price": "u"}})
    assert cfg.joined and cfg.columns.id == "ID" and cfg.transactions.customer == "Buyer"
    assert cfg.transactions_path.name == "l.csv" and cfg.customers_path.name == "c.csv"


def test_misspelt_key_under_transactions_gets_a_hint(tmp_path):
    message = error_of(tmp_path, "transactions:\n  path: l.csv\n  customer: c\n  order: o\n  timestamp: t\n"
                                 "  product: p\n  quantity: q\n  unit_price: u\n  custmer_columns: [x]\n")
    assert "unknown key 'transactions.custmer_columns'" in message and "did you mean 'customer_columns'?" in message


def test_missing_customers_path_is_named(tmp_path):
    message = error_of(tmp_path, "customers:\n  delimiter: ','\n")
    assert "key 'customers': give path (a file, or a folder of Parquet parts) or table" in message


def test_invalid_yaml_gives_the_line(tmp_path):
    message = error_of(tmp_path, "customers:\n  path: [unclosed\nseed: 4\n")
    assert "not valid YAML" in message
    assert "at line" in message


def test_top_level_list_is_rejected(tmp_path):
    assert "mapping" in error_of(tmp_path, "- customers\n- seed\n")


def test_config_file_not_found(tmp_path):
    with pytest.raises(UserError, match="config file not found") as e:
        load_config(tmp_path / "nope.yml")
    assert "nope.yml" in str(e.value)


def test_base_dir_cannot_be_set_from_the_file(tmp_path):
    message = error_of(tmp_path, MINIMAL + "base_dir: /etc\n")
    assert "unknown key 'base_dir'" in message


def test_named_columns_list_every_role_in_a_stable_order():
    cfg = parse_config({"customers": {"path": "c.csv"},
                        "columns": {"id": "ID", "income": "Inc", "household": ["Kids", "Teens"],
                                    "spend": {"Wine": "MntWine"}, "signup_date": "Joined",
                                    "signup_date_format": "%Y-%m-%d"}})
    named = cfg.columns.named()
    assert ("id", "ID") in named
    assert ("household", "Kids") in named and ("household", "Teens") in named
    assert ("spend.Wine", "MntWine") in named
    # Formats are not columns.
    assert all(not role.endswith("_format") for role, _ in named)
    assert cfg.columns.named() == named


@pytest.mark.parametrize("labels, message", [
    ("{Income: 5}", "key 'labels.Income': Input should be a valid string"),
    ("{Income: '  '}", "key 'labels.Income': a label must be non-empty text"),
    ("[Income]", "key 'labels': Input should be a valid dictionary"),
])
def test_labels_are_text_per_column(tmp_path, labels, message):
    assert message in error_of(tmp_path, f"customers:\n  path: c.csv\nlabels: {labels}\n")


def test_labels_map_is_read(tmp_path):
    cfg = load_config(write_yaml(tmp_path, "customers:\n  path: c.csv\nlabels:\n  'Annual Income (k$)': Income (k$)\n"))
    assert cfg.labels == {"Annual Income (k$)": "Income (k$)"}


LINE_ROLES = "  customer: c\n  order: o\n  timestamp: t\n  product: p\n  quantity: q\n  unit_price: u\n"


@pytest.mark.parametrize("source, message", [
    ("  path: l.csv\n  table: sales.lines\n", "give path (a file or folder) or table (a Spark catalog table), not both"),
    ("", "give path (a file, or a folder of Parquet parts) or table (a Spark catalog table)"),
    ("  table: sales lines\n", "key 'transactions.table'"),
    ("  table: a.b.c.d\n", "is not a table name"),
])
def test_order_lines_come_from_a_path_or_a_table(tmp_path, source, message):
    assert message in error_of(tmp_path, "transactions:\n" + source + LINE_ROLES)


@pytest.mark.parametrize("source, message", [
    ("  path: c.csv\n  table: crm.customers\n", "give path (a file or folder) or table (a Spark catalog table), not both"),
    ("  table: crm customers\n", "key 'customers.table'"),
    ("  table: a.b.c.d\n", "is not a table name"),
])
def test_customers_come_from_a_path_or_a_table(tmp_path, source, message):
    assert message in error_of(tmp_path, "customers:\n" + source)


def test_a_file_given_on_the_command_line_replaces_a_catalog_table(tmp_path):
    """--customers / --transactions FILE read that file, not the config's table."""
    from analysis.ingest.checking import with_input
    cfg = parse_config({"customers": {"table": "crm.customers"}, "columns": {"id": "ID"},
                        "transactions": {"table": "sales.lines", "customer": "c", "order": "o", "timestamp": "t",
                                         "product": "p", "quantity": "q", "unit_price": "u"}})
    assert str(cfg.customers_path) == "table crm.customers"
    given = with_input(cfg, "c.yml", str(tmp_path / "c.csv"), str(tmp_path / "l.csv"))
    assert given.customers_path == tmp_path / "c.csv" and given.transactions_path == tmp_path / "l.csv"
    assert given.customers.table is None and given.transactions.table is None


def test_a_catalog_customer_table_needs_the_spark_engine(tmp_path):
    from analysis.engine.local import LocalEngine
    cfg = parse_config({"customers": {"table": "crm.customers"}, "columns": {"id": "ID"}})
    with pytest.raises(UserError, match=r"^customers.table \(crm.customers\) is read from a Spark catalog: run with "
                                        r"--engine spark"):
        LocalEngine().load_customers(cfg)


def test_a_catalog_table_is_named_like_a_file(tmp_path):
    cfg = parse_config({"transactions": {"table": "main.sales.order_lines", "customer": "c", "order": "o",
                                         "timestamp": "t", "product": "p", "quantity": "q", "unit_price": "u"}})
    assert str(cfg.transactions_path) == "table main.sales.order_lines" == str(cfg.customers_path)
    assert cfg.transactions_path.name == "main.sales.order_lines"  # the manifest's input name


@pytest.mark.parametrize("columns, keys", [
    ("  numeric: [Kidhome]\n  categorical: [Kidhome]\n", "'columns.numeric' and 'columns.categorical'"),
    ("  income: Income\n  categorical: [Income]\n", "'columns.income' and 'columns.categorical'"),
    ("  spend:\n    Wine: MntWines\n  ignore: [MntWines]\n", "'columns.spend.Wine' and 'columns.ignore'"),
])
def test_a_column_named_under_two_roles_is_refused_in_one_line(tmp_path, columns, keys):
    # A number that is also a category used to stop in cleaning with a traceback.
    message = error_of(tmp_path, MINIMAL + "columns:\n" + columns)
    assert keys in message and "keep one" in message


def test_different_columns_in_each_role_are_accepted(tmp_path):
    cfg = load_config(write_yaml(tmp_path, MINIMAL + "columns:\n  numeric: [Kidhome]\n  categorical: [Teenhome]\n"))
    assert cfg.columns.categorical == ["Teenhome"]
