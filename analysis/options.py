"""What the command line checks before anything heavy is imported (`segments --help` stays quick):
delimiters and seeds, shared with the config."""
from __future__ import annotations

# Runs of spaces or tabs between fields, as fixed-width exports align their columns (CDNOW_master.txt).
WHITESPACE = "whitespace"
DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe",
                   WHITESPACE: "runs of spaces"}  # how the report names a delimiter
SEED_MAX = 2**32 - 1  # numpy's seeds are 32-bit


def unescape_delimiter(value: str) -> str:
    """'\\t' as written in YAML or on a command line means a tab."""
    return {"\\t": "\t", "tab": "\t", "\\|": "|"}.get(value, value)


def check_delimiter(value: str, where: str) -> str:
    """A delimiter is 'auto', 'whitespace' or one character that can separate fields; raises ValueError."""
    if value in ("auto", WHITESPACE):
        return value
    d = unescape_delimiter(value)
    if len(d) != 1:
        raise ValueError(f"{where} must be 'auto', 'whitespace' or a single character such as ',', ';', '\\t' or '|', got {value!r}")
    if d in "\"\\\r\n" or d.isalnum():
        raise ValueError(f"{where} cannot be {value!r}: use a character such as ',', ';', '\\t' or '|'")
    return value
