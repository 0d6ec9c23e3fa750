"""Fill an empty Kasa database with a fund of a chosen size, through the real schema.

    python -m bench.generate --database-url URL --files-dir DIR --members 100000 \\
        --payments 1000000 --requests 200000

Members (with programs, identity documents and their files), requests (with messages,
receipt files and search terms), top-ups and payouts over the last three years, and two
staff users. Rows are written in batches with multi-row inserts; every value is valid
by the domain's rules (phones, tax numbers with their check digit, IBANs), and a sample
is read back through the SQL repositories and the read side at the end to prove it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import click
import sqlalchemy as sa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from stdnum import iban as iban_numbers
from stdnum.ua import rntrc

from bench import names
from kasa.adapters.hashing import Argon2Passwords
from kasa.adapters.sql import ledger
from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.database import SqlDatabase, make_engine
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.sql.search import (
    REQUEST_TERMS,
    member_term_rows,
    rebuild_payment_counts,
    request_term_rows,
)
from kasa.application.reads import Page, PaymentQuery

BATCH = 5000
YEARS = 3
OPERATORS = ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99")
PROGRAMS = (("Базова", 20000), ("Стандарт", 35000), ("Розширена", 55000), ("Сімейна", 80000))
IDENTITY_PAIRS = (("id_card_front", "id_card_back"), ("passport_page_1", "passport_page_2"))
# A tiny JPEG-like body; each file gets its own bytes (and so its own SHA-256).
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
# The share of members with one of the most common surnames (the rest: the long tail),
# so that the second most common one, the searched word, is borne by about 0.5 %.
COMMON_SURNAMES = 0.1
HEAVY_MEMBERS = 10  # members with exactly HEAVY_REQUESTS requests (the member list bench)
HEAVY_REQUESTS = 20


@attrs.define
class Scale:
    members: int
    payments: int
    requests: int


@attrs.define
class Facts:
    """What the load run needs to know about the generated fund."""

    staff_login: str
    staff_password: str
    heavy_member_id: int
    search_word: str
    month_start: str
    month_end: str
    members: int
    payments: int
    requests: int

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(attrs.asdict(self), ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, path: Path) -> Facts:
        return cls(**json.loads(path.read_text()))


class Generator:
    def __init__(
        self, url: str, files_dir: Path | None, scale: Scale, seed: int, progress: Progress
    ) -> None:
        self.url, self.files_dir, self.scale = url, files_dir, scale
        self.rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
        self.progress = progress
        self.today = datetime.now(UTC).date()
        self.now = datetime.now(UTC)
        self.start = self.now - timedelta(days=365 * YEARS)
        self.next_file = 1
        self.member_names: list[tuple[str, str, str, str | None]] = [("", "", "", None)]
        self.member_start: list[datetime] = [self.start]
        self.approved: list[int] = []
        self.paid_requests: list[tuple[int, int, int, datetime]] = []
        self.surname_weights = [1 / (rank + 1) ** 0.7 for rank in range(len(names.SURNAMES))]

    # -- helpers -------------------------------------------------------------------------
    def moment(self, after: datetime) -> datetime:
        span = (self.now - after).total_seconds()
        return after + timedelta(seconds=self.rng.random() * max(span, 1))

    def task(self, label: str, total: int) -> Callable[[int], None]:
        task = self.progress.add_task(label, total=total)
        return lambda n: self.progress.advance(task, n)

    def insert(
        self, connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
    ) -> None:
        if rows:
            connection.execute(sa.insert(table), rows)

    def file_row(
        self, member_id: int, request_id: int | None, original: str, created: datetime
    ) -> dict[str, Any]:
        file_id = self.next_file
        self.next_file += 1
        body = JPEG_HEAD + file_id.to_bytes(8, "big") + b"\xff\xd9"
        stored = f"m{member_id}-{hashlib.md5(body, usedforsecurity=False).hexdigest()}.jpg"
        if self.files_dir is not None:
            folder = self.files_dir / f"m{member_id}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / stored).write_bytes(body)
        return {
            "id": file_id,
            "member_id": member_id,
            "request_id": request_id,
            "stored_name": stored,
            "original_name": original,
            "content_type": "image/jpeg",
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "duplicate_of_request": None,
            "created_at": created,
            "kind": "receipt" if request_id is not None else "document",
        }

    # -- the fund ------------------------------------------------------------------------
    def run(self) -> Facts:
        upgrade(self.url)
        engine = make_engine(self.url)
        with engine.begin() as connection:
            if connection.scalar(sa.select(sa.func.count()).select_from(tables.members)):
                raise click.ClickException("the database already has members; use an empty one")
            self._fast(connection)
            password = secrets.token_urlsafe(12)
            self.staff(connection, password)
            self.programs(connection)
        self.members(engine)
        self.requests(engine)
        self.payments(engine)
        engine.dispose()
        word = names.SURNAMES[1]
        month_end = self.today.replace(day=1) - timedelta(days=1)
        facts = Facts(
            staff_login="bench-admin",
            staff_password=password,
            heavy_member_id=1,
            search_word=word,
            month_start=month_end.replace(day=1).isoformat(),
            month_end=month_end.isoformat(),
            members=self.scale.members,
            payments=self.scale.payments,
            requests=self.scale.requests,
        )
        self.check(facts)
        return facts

    def staff(self, connection: sa.Connection, password: str) -> None:
        hashed = Argon2Passwords().hash(password)
        rows = [
            {
                "id": n,
                "login": login,
                "password_hash": hashed,
                "name": name,
                "role": role,
                "is_active": True,
                "created_at": self.start,
                "updated_at": self.start,
            }
            for n, (login, name, role) in enumerate(
                [
                    ("bench-admin", "Адміністратор", "admin"),
                    ("bench-operator", "Оператор", "operator"),
                ],
                start=1,
            )
        ]
        self.insert(connection, tables.staff_users, rows)

    def programs(self, connection: sa.Connection) -> None:
        rows = [
            {
                "id": n,
                "program_name": name,
                "month_price": price,
                "program_file": "",
                "is_active": True,
                "created_at": self.start,
                "updated_at": self.start,
            }
            for n, (name, price) in enumerate(PROGRAMS, start=1)
        ]
        self.insert(connection, tables.programs, rows)

    def person(self, member_id: int) -> dict[str, Any]:
        rng = self.rng
        female = rng.random() < 0.55
        first = rng.choice(names.FEMALE if female else names.MALE)
        father = rng.choice(names.MALE)
        if father.endswith(("о", "а")):
            father = father[:-1]
        middle = father + ("івна" if female else "ович")
        if rng.random() < COMMON_SURNAMES:
            last = rng.choices(names.SURNAMES, self.surname_weights)[0]
        else:
            last = rng.choice(names.ROOTS) + rng.choice(names.ENDINGS)
        inn = f"{rng.randrange(10**8, 10**9)}"
        inn += rntrc.calc_check_digit(inn)
        bban = f"{rng.randrange(300000, 399999)}{rng.randrange(10**18, 10**19)}"
        iban = iban_numbers.calc_check_digits("UA00" + bban)
        if rng.random() < 0.6:
            passport = f"{rng.randrange(10**8, 10**9)}, {rng.choice(names.AUTHORITIES)}"
        else:
            series = rng.choice(("КВ", "МЕ", "ТТ", "СН", "ВА"))
            passport = f"{series} {rng.randrange(10**5, 10**6)}, {rng.choice(names.AUTHORITIES)}"
        return {
            "phone": f"+380{OPERATORS[member_id % len(OPERATORS)]}{member_id // 12:07d}",
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "email": None,
            "birth_date": date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55)),
            "passport_data": passport,
            "inn": inn,
            "iban": "UA" + iban + bban,
        }

    def members(self, engine: sa.Engine) -> None:
        advance = self.task("members", self.scale.members)
        certificate = 0
        for first in range(1, self.scale.members + 1, BATCH):
            last = min(first + BATCH, self.scale.members + 1)
            members, terms, links, files, docs, numbers = [], [], [], [], [], []
            for member_id in range(first, last):
                created = self.start + timedelta(
                    seconds=self.rng.random() * 0.8 * (self.now - self.start).total_seconds()
                )
                roll = self.rng.random()
                status = (
                    "approved"
                    if roll < 0.85 or member_id <= HEAVY_MEMBERS
                    else "pending_review"
                    if roll < 0.90
                    else "registered"
                    if roll < 0.95
                    else "blocked"
                )
                row = self.person(member_id)
                cert = None
                if status in ("approved", "blocked"):
                    certificate += 1
                    cert = f"{certificate:06d}"
                    numbers.append({"id": certificate, "issued_at": created})
                    self.approved.append(member_id)
                expires = None
                if status in ("approved", "blocked"):
                    expires = self.today + timedelta(days=self.rng.randrange(-90, 330))
                row.update(
                    id=member_id,
                    photo_file_id=None,
                    certificate=cert,
                    expiration_date=expires,
                    credit_units=0,
                    status=status,
                    status_before_block="approved" if status == "blocked" else None,
                    has_new_request=0,
                    has_new_program_change=False,
                    has_new_passport_data=status == "pending_review",
                    has_new_correction=False,
                    in_review_queue=status == "pending_review",
                    diia_request_id=None,
                    diia_answer=None,
                    created_at=created,
                    updated_at=created,
                )
                if status == "registered":  # signed in, never submitted a profile
                    for key in ("first_name", "middle_name", "last_name", "passport_data"):
                        row[key] = ""
                    row.update(inn=None, iban=None, birth_date=None)
                members.append(row)
                terms += member_term_rows(member_id, row)
                self.member_names.append(
                    (row["first_name"], row["last_name"], row["middle_name"], cert)
                )
                self.member_start.append(created)
                if status != "registered":
                    links.append(
                        {
                            "member_id": member_id,
                            "program_id": self.rng.randrange(1, len(PROGRAMS) + 1),
                            "is_active": status != "pending_review",
                            "is_new": status == "pending_review",
                            "created_at": created,
                            "updated_at": created,
                        }
                    )
                    for kind in self.rng.choice(IDENTITY_PAIRS):
                        file = self.file_row(member_id, None, f"{kind}.jpg", created)
                        files.append(file)
                        docs.append(
                            {
                                "member_id": member_id,
                                "file_id": file["id"],
                                "identity_type": kind,
                                "is_active": status != "pending_review",
                                "is_new": status == "pending_review",
                                "created_at": created,
                                "updated_at": created,
                            }
                        )
            with engine.begin() as connection:
                self._fast(connection)
                self.insert(connection, tables.members, members)
                self.insert(connection, tables.member_terms, terms)
                self.insert(connection, tables.certificate_numbers, numbers)
                self.insert(connection, tables.member_programs, links)
                self.insert(connection, tables.files, files)
                self.insert(connection, tables.member_identities, docs)
            advance(last - first)

    def _fast(self, connection: sa.Connection) -> None:
        """Bulk loading on MariaDB: the generator's rows are consistent by construction."""
        if connection.dialect.name in ("mysql", "mariadb"):
            connection.exec_driver_sql("SET SESSION foreign_key_checks = 0")
            connection.exec_driver_sql("SET SESSION unique_checks = 0")

    def request_owners(self) -> Iterator[int]:
        for member_id in range(1, HEAVY_MEMBERS + 1):
            for _ in range(HEAVY_REQUESTS):
                yield member_id
        others = [i for i in self.approved if i > HEAVY_MEMBERS] or self.approved
        for _ in range(self.scale.requests - HEAVY_MEMBERS * HEAVY_REQUESTS):
            yield self.rng.choice(others)

    def requests(self, engine: sa.Engine) -> None:
        advance = self.task("requests", self.scale.requests)
        owners = self.request_owners()
        request_id = 0
        while request_id < self.scale.requests:
            requests, terms, messages, files = [], [], [], []
            for member_id in owners:
                request_id += 1
                created = self.moment(self.member_start[member_id])
                expense = self.rng.choice(names.EXPENSES)
                roll = self.rng.random()
                status, resolution, reason, approved = "closed", None, "", None
                if roll < 0.05:
                    status = "opened"
                elif roll < 0.08:
                    status = "awaiting_agent"
                elif roll < 0.10:
                    status = "awaiting_client"
                elif roll < 0.75:
                    resolution = "paid"
                    approved = self.rng.randrange(20, 2000) * 100
                elif roll < 0.92:
                    resolution, reason = "rejected", "Витрати не покриваються програмою."
                else:
                    resolution = "withdrawn"
                if status in ("awaiting_agent", "awaiting_client") and roll < 0.09:
                    approved = self.rng.randrange(20, 2000) * 100
                row = {
                    "id": request_id,
                    "member_id": member_id,
                    "request_text": f"Прошу відшкодувати витрати на {expense}.",
                    "diagnosis": self.rng.choice(names.DIAGNOSES),
                    "approved_amount": approved,
                    "status": status,
                    "resolution": resolution,
                    "reason": reason,
                    "has_duplicate_files": False,
                    "created_at": created,
                    "updated_at": created,
                }
                requests.append(row)
                first, last, middle, cert = self.member_names[member_id]
                member = {
                    "first_name": first,
                    "last_name": last,
                    "middle_name": middle,
                    "certificate": cert,
                }
                terms += request_term_rows(request_id, row, member)
                files.append(self.file_row(member_id, request_id, "чек.jpg", created))
                moment = created
                for n in range(self.rng.choice((0, 1, 2, 2, 3, 4))):
                    moment = moment + timedelta(hours=self.rng.randrange(1, 72))
                    staff = n % 2 == 0
                    lines = names.STAFF_LINES if staff else names.MEMBER_LINES
                    messages.append(
                        {
                            "request_id": request_id,
                            "member_id": None if staff else member_id,
                            "staff_id": 2 if staff else None,
                            "message": self.rng.choice(lines),
                            "created_at": min(moment, self.now),
                        }
                    )
                if resolution == "paid":
                    self.paid_requests.append((request_id, member_id, approved or 0, moment))
                if len(requests) == BATCH:
                    break
            with engine.begin() as connection:
                self._fast(connection)
                self.insert(connection, tables.requests, requests)
                connection.execute(sa.insert(REQUEST_TERMS), terms)  # naive UTC times
                self.insert(connection, tables.files, files)
                self.insert(connection, tables.request_messages, messages)
            advance(len(requests))

    def payments(self, engine: sa.Engine) -> None:
        advance = self.task("payments", self.scale.payments)
        payouts = self.paid_requests[: self.scale.payments // 10]
        top_ups = self.scale.payments - len(payouts)

        def payout_rows() -> Iterator[dict[str, Any]]:
            for request_id, member_id, amount, moment in payouts:
                at = min(moment + timedelta(days=self.rng.randrange(1, 10)), self.now)
                yield self.payment(member_id, "payout", amount, at, "manual", request_id)

        def top_up_rows() -> Iterator[dict[str, Any]]:
            for _ in range(top_ups):
                member_id = self.rng.choice(self.approved)
                at = self.moment(self.member_start[member_id])
                source = "gateway" if self.rng.random() < 0.8 else "manual"
                amount = PROGRAMS[self.rng.randrange(len(PROGRAMS))][1] * self.rng.choice(
                    (1, 1, 1, 3, 6, 12)
                )
                yield self.payment(member_id, "top_up", amount, at, source, None)

        batch: list[dict[str, Any]] = []
        rows = itertools.chain(payout_rows(), top_up_rows())
        for payment_id, row in enumerate(rows, start=1):
            row["id"] = payment_id
            if row["source"] == "gateway":
                row["payment_identifier"] = f"kasa-bench-{payment_id}"
            batch.append(row)
            if len(batch) == BATCH:
                self._write_payments(engine, batch)
                advance(len(batch))
                batch = []
        if batch:
            self._write_payments(engine, batch)
            advance(len(batch))
        with engine.begin() as connection:
            rebuild_payment_counts(connection)
            ledger.rebuild(connection)

    def payment(
        self,
        member_id: int,
        kind: str,
        amount: int,
        at: datetime,
        source: str,
        request_id: int | None,
    ) -> dict[str, Any]:
        roll = self.rng.random()
        status = "confirmed"
        if source == "gateway":
            status = (
                "confirmed"
                if roll < 0.95
                else "failed"
                if roll < 0.98
                else "reversed"
                if roll < 0.99
                else "pending"
            )
        return {
            "member_id": member_id,
            "payment_type": kind,
            "request_id": request_id,
            "amount": amount,
            "iban": "",
            "payment_identifier": None,
            "status": status,
            "payment_date": at if status == "confirmed" else None,
            "sort_at": at,
            "source": source,
            "created_by": 2 if source == "manual" else None,
            "approved_by": None,
            "needs_approval": False,
            "extended_to": None,
            "has_extension": False,
            "ext_days": 0,
            "ext_credit_before": 0,
            "ext_credit_after": 0,
            "gateway_status": status if source == "gateway" else "",
            "gateway_payment_id": "",
            "created_at": at,
            "updated_at": at,
        }

    def _write_payments(self, engine: sa.Engine, rows: list[dict[str, Any]]) -> None:
        with engine.begin() as connection:
            self._fast(connection)
            self.insert(connection, tables.payments, rows)

    def check(self, facts: Facts) -> None:
        """Read a sample back through the repositories and the read side: the rows map
        to valid objects and views."""
        database = SqlDatabase(self.url)
        reads = database.reads()
        try:
            with database.unit_of_work() as uow:
                for member_id in self.rng.sample(range(1, facts.members + 1), 50):
                    assert uow.members.get(member_id) is not None
                    uow.identities.for_member(member_id)
                    assert reads.member(member_id) is not None
                for request_id in self.rng.sample(range(1, facts.requests + 1), 50):
                    assert uow.requests.get(request_id) is not None
                    assert reads.request(request_id) is not None
            listing = reads.payments(PaymentQuery(), Page(limit=200))
            assert listing.total == facts.payments and len(listing.items) == 200
        finally:
            database.dispose()


@click.command()
@click.option("--database-url", required=True, help="An empty (or new) Kasa database.")
@click.option(
    "--files-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The file store to write the documents' and receipts' files into (none: rows only).",
)
@click.option("--members", type=click.IntRange(20, 10_000_000), default=100_000, show_default=True)
@click.option(
    "--payments", type=click.IntRange(1, 100_000_000), default=1_000_000, show_default=True
)
@click.option(
    "--requests", type=click.IntRange(200, 10_000_000), default=200_000, show_default=True
)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option(
    "--facts",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write what the load run needs (staff password, search word…) to this JSON file.",
)
def main(
    database_url: str,
    files_dir: Path | None,
    members: int,
    payments: int,
    requests: int,
    seed: int,
    facts: Path | None,
) -> None:
    """Fill an empty database with a generated fund."""
    facts_found = generate(database_url, files_dir, Scale(members, payments, requests), seed)
    if facts is not None:
        facts_found.save(facts)
    click.echo(
        f"{members} members, {requests} requests, {payments} payments; "
        f"staff login {facts_found.staff_login}"
    )


def generate(url: str, files_dir: Path | None, scale: Scale, seed: int = 2026) -> Facts:
    columns = (
        TextColumn("{task.description:>9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        return Generator(url, files_dir, scale, seed, progress).run()


if __name__ == "__main__":
    main()
