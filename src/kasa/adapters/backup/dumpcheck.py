"""What a database dump may hold: the schema's own tables and their rows, nothing else.

A snapshot is loaded by the ``mariadb`` client, which would run whatever the dump says:
a client command (``\\! …`` runs a shell command), a trigger, a procedure, a grant. So
before a dump is trusted every line of it is held to what ``mariadb-dump`` writes for
Kasa's tables: comments, the dump tool's session settings and sandbox marker, ``DROP
TABLE IF EXISTS``, ``CREATE TABLE`` with plain columns, keys and checks on InnoDB,
``LOCK``/``UNLOCK TABLES``, and one ``INSERT`` a row whose values are literals. A line
that is anything else is named. An SQLite copy may hold tables and indexes only (no
trigger, no view).
"""

from __future__ import annotations

import re
import sqlite3

from kasa.adapters.backup.manifest import BackupError

NAME = r"`[a-z_][a-z0-9_]{0,63}`"
NAMES = rf"\({NAME}(?:, ?{NAME})*\)"
# the session settings mariadb-dump saves, changes and restores
SETTINGS = (
    "character_set_client|character_set_results|collation_connection|time_zone|"
    "unique_checks|foreign_key_checks|sql_mode|sql_notes"
)
VALUE = r"(?:@@?[a-z_]+|'[a-z0-9_+:,]*'|\d+|utf8mb4)"
ASSIGNMENT = rf"(?:@(?:old_[a-z_]+|saved_cs_client)|{SETTINGS})\s*=\s*{VALUE}"
LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"",
        r"--(?: .*)?",
        r"/\*M!999999\\- enable the sandbox mode \*/\s*",
        rf"/\*!\d{{5}} SET {ASSIGNMENT}(?:, {ASSIGNMENT})* \*/;",
        r"/\*!\d{5} SET NAMES utf8mb4 \*/;",
        rf"/\*!40000 ALTER TABLE {NAME} (?:DISABLE|ENABLE) KEYS \*/;",
        rf"DROP TABLE IF EXISTS {NAME};",
        rf"LOCK TABLES {NAME} WRITE;",
        r"UNLOCK TABLES;",
    )
]
CREATE = re.compile(rf"CREATE TABLE {NAME} \(")
CREATE_END = re.compile(
    r"\) ENGINE=InnoDB(?: AUTO_INCREMENT=\d+)?(?: DEFAULT CHARSET=utf8mb4)?"
    r"(?: COLLATE=utf8mb4_[a-z0-9_]+)?;"
)
LITERAL = r"(?:NULL|-?\d+(?:\.\d+)?|'(?:[^'\\]|\\.|'')*'|current_timestamp\(\d?\))"
COLUMN_TYPE = r"[a-z]+(?:\(\d+(?:,\d+)?\))?(?: unsigned)?"
COLUMN_PARTS = (
    r"NOT NULL|NULL|AUTO_INCREMENT|CHARACTER SET [a-z0-9_]+|COLLATE [a-z0-9_]+"
    rf"|DEFAULT {LITERAL}|CHECK \(json_valid\({NAME}\)\)"
)
INSIDE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"  {NAME} {COLUMN_TYPE}(?: (?:{COLUMN_PARTS}))*,?",
        rf"  PRIMARY KEY {NAMES},?",
        rf"  (?:UNIQUE )?KEY {NAME} {NAMES},?",
        rf"  CONSTRAINT {NAME} FOREIGN KEY {NAMES} REFERENCES {NAME} {NAMES}"
        r"(?: ON DELETE (?:CASCADE|SET NULL|RESTRICT))?,?",
    )
]
# a table's check: its columns compared with literals, nothing that calls anything
CHECK = re.compile(rf"  CONSTRAINT {NAME} CHECK \((.*)\),?", re.IGNORECASE)
CHECK_WORDS = frozenset({"and", "or", "not", "is", "null", "in"})
INSERT = re.compile(rf"INSERT INTO {NAME} {NAMES} VALUES \((.*)\);")  # noqa: S608 - a pattern
TOKEN = re.compile(r"NULL|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|0x[0-9A-Fa-f]*")
SHOWN = 80


class MariaDbDumpCheck:
    """Fed a dump line by line: ``found`` names the lines (at most a few) that are not
    the schema's own tables and rows."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.inside = False

    def feed(self, number: int, line: str) -> None:
        if len(self.found) >= 5:
            return
        text = line.rstrip("\n")
        if self.inside:
            if CREATE_END.fullmatch(text):
                self.inside = False
                return
            if any(p.fullmatch(text) for p in INSIDE) or _plain_check(text):
                return
        elif CREATE.fullmatch(text):
            self.inside = True
            return
        elif any(p.fullmatch(text) for p in LINES) or _plain_insert(text):
            return
        self.found.append(f"line {number}: {text[:SHOWN]!r}")

    def done(self) -> list[str]:
        if self.inside and not self.found:
            self.found.append("the dump ends inside a CREATE TABLE")
        return self.found


def _plain_check(text: str) -> bool:
    found = CHECK.fullmatch(text)
    if found is None:
        return False
    expression = re.sub(NAME, "", found.group(1))
    if re.search(r"[^a-z0-9_ ()<>=!.'-]", expression, re.IGNORECASE):
        return False
    words = set(re.findall(r"[a-z_]+", expression.lower()))
    return words <= CHECK_WORDS


def _plain_insert(text: str) -> bool:
    found = INSERT.fullmatch(text)
    if found is None:
        return False
    try:
        values = quoted_values(found.group(1))
    except BackupError:
        return False
    return all(quoted or value is None or TOKEN.fullmatch(value) for quoted, value in values)


def check_sqlite_copy(db: sqlite3.Connection) -> list[str]:
    """What an SQLite copy holds beside tables and indexes (triggers, views)."""
    return [
        f"{kind} {name!r}"
        for kind, name in db.execute(
            "SELECT type, name FROM sqlite_master WHERE type NOT IN ('table', 'index')"
        )
    ][:5]


def quoted_values(text: str) -> list[tuple[bool, str | None]]:
    """The values of one row of a dump's ``INSERT``: quoted strings (with the dump
    tool's backslash escapes), ``NULL``, numbers and hexadecimal literals, each with
    whether it was quoted."""
    values: list[tuple[bool, str | None]] = []
    i, n = 0, len(text)
    escapes = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
    while i < n:
        if text[i] == "'":
            i += 1
            out = []
            while True:
                if i >= n:
                    raise BackupError("a quoted value in the dump does not end")
                c = text[i]
                if c == "\\" and i + 1 < n:
                    out.append(escapes.get(text[i + 1], text[i + 1]))
                    i += 2
                elif c == "'" and i + 1 < n and text[i + 1] == "'":
                    out.append("'")
                    i += 2
                elif c == "'":
                    i += 1
                    break
                else:
                    out.append(c)
                    i += 1
            values.append((True, "".join(out)))
        else:
            end = text.find(",", i)
            end = n if end == -1 else end
            token = text[i:end].strip()
            values.append((False, None if token == "NULL" else token))
            i = end
        if i < n:
            if text[i] != ",":
                raise BackupError(f"unexpected {text[i]!r} between values in the dump")
            i += 1
    return values
