"""Races that must not double-count, against MariaDB with one connection per thread:
two gateway callbacks for one order, two sign-ins with one code, and a hundred parallel
attempts against each throttle (wrong passwords, wrong codes, code requests)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any
from unittest.mock import patch

import pymysql
import pytest
from sqlalchemy import exc as sa_exc

from kasa.adapters.sql.database import SqlDatabase, aborted_by_the_database, make_engine
from kasa.application.reads import AuditQuery, Page
from kasa.application.retrying import Aborted, retried
from kasa.domain.audit import EventType
from kasa.domain.errors import AuthenticationFailed, KasaError, RateLimited
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.programs import MemberProgram
from kasa.domain.staff import Role
from kasa.domain.values import Email, Phone
from tests.integration.app.helpers import Fund, fresh_sqlite
from tests.integration.conftest import empty_tables

ROUNDS = 5


@pytest.fixture
def fund(mariadb_database: SqlDatabase) -> Fund:
    empty_tables(mariadb_database)
    return Fund.build(database=mariadb_database)


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; return results or raised errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def count_events(fund: Fund, event_type: EventType) -> int:
    return fund.reads.audit(AuditQuery(event_types=frozenset({event_type})), Page(1)).total


def test_two_callbacks_for_one_order_extend_the_membership_once(
    fund: Fund,
) -> None:
    program = fund.programs.create(None, "Базова", Money(30000))
    signin = fund.sign
    for round_ in range(ROUNDS):
        phone = f"+38050000{round_:04d}"
        signin.request_code(Phone.parse(phone), True)
        member_id = int(
            signin.sign_in(Phone.parse(phone), fund.fakes.sms.last_code(phone)).split(":")[1]
        )
        with fund.uow() as uow:
            member = uow.members.get_for_update(member_id)
            assert member is not None
            member.status = MemberStatus.APPROVED
            now = fund.clock.now()
            uow.member_programs.add(
                MemberProgram(member_id, program.id or 0, now, now, is_active=True)
            )
            uow.commit()
        fund.payments.start_top_up(member_id, Money(30000), "liqpay")
        order_id = fund.fakes.gateway.checkouts[-1]["order_id"]
        message = fund.fakes.gateway.message(order_id, "300.00")
        call = partial(fund.gateway.callback, "liqpay", message)
        results = at_once(call, call)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(r.change for r in results) == ["confirmed", "none"]
        with fund.uow() as uow:
            member = uow.members.get(member_id)
            assert member is not None
            assert member.paid_until == fund.clock.today() + timedelta(days=30)
    assert count_events(fund, EventType.PAYMENT_CONFIRMED) == ROUNDS


def test_two_sign_ins_racing_on_one_code_succeed_once(fund: Fund) -> None:
    signin = fund.sign
    for round_ in range(ROUNDS):
        phone = f"+38067000{round_:04d}"
        signin.request_code(Phone.parse(phone), True)
        code = fund.fakes.sms.last_code(phone)
        attempt = partial(signin.sign_in, Phone.parse(phone), code)
        results = at_once(attempt, attempt)
        tokens = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, KasaError)]
        assert len(tokens) == 1, results
        assert len(refused) == 1 and isinstance(refused[0], AuthenticationFailed)
        with fund.uow() as uow:
            assert uow.members.by_phone(phone) is not None
    assert count_events(fund, EventType.SIGNED_IN) == ROUNDS


PARALLEL = 100


def test_parallel_wrong_passwords_for_one_login_are_checked_at_most_the_limit(
    fund: Fund,
) -> None:
    accounts = fund.accounts
    accounts.create(None, login="petro", role=Role.OPERATOR, password="the right one")
    checked: list[str] = []
    verify = fund.fakes.passwords.verify

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return verify(password_hash, password)

    fund.fakes.passwords.verify = counting  # type: ignore[method-assign]
    # each from its own address, so only the login's own counter holds them back
    calls = [
        partial(accounts.sign_in, "petro", f"wrong {n}", f"10.0.{n // 200}.{n % 200}")
        for n in range(PARALLEL)
    ]
    results = at_once(*calls)
    limit = fund.settings.staff_failures_per_login
    assert len(checked) == limit, len(checked)
    assert sum(isinstance(r, AuthenticationFailed) for r in results) == limit
    assert sum(isinstance(r, RateLimited) for r in results) == PARALLEL - limit


def test_parallel_wrong_codes_from_one_address_are_checked_at_most_the_limit(
    fund: Fund,
) -> None:
    signin = fund.sign
    phones = [f"+38050{n:07d}" for n in range(PARALLEL)]
    for n, phone in enumerate(phones):
        signin.request_code(Phone.parse(phone), True, f"10.1.{n // 200}.{n % 200}")
    wrong = {p: "000000" if fund.fakes.sms.last_code(p) != "000000" else "111111" for p in phones}
    results = at_once(
        *[partial(signin.sign_in, Phone.parse(p), wrong[p], "203.0.113.66") for p in phones]
    )
    limit = fund.settings.code_failures_per_address
    assert sum(isinstance(r, AuthenticationFailed) for r in results) == limit, results
    assert sum(isinstance(r, RateLimited) for r in results) == PARALLEL - limit
    assert count_events(fund, EventType.SIGN_IN_FAILED) == limit


def test_parallel_code_requests_from_one_address_send_at_most_the_limit(
    fund: Fund,
) -> None:
    signin = fund.sign
    calls = [
        partial(signin.request_code, Phone.parse(f"+38067{n:07d}"), True, "203.0.113.77")
        for n in range(PARALLEL)
    ]
    results = at_once(*calls)
    limit = fund.settings.code_requests_per_address_hourly
    assert sum(r is None for r in results) == limit, results
    assert sum(isinstance(r, RateLimited) for r in results) == PARALLEL - limit
    assert len(fund.fakes.sms.sent) == limit


def test_a_unit_of_work_the_database_aborts_for_a_deadlock_runs_again(fund: Fund) -> None:
    """Two changes that lock two members in opposite orders: MariaDB aborts one of them
    for a deadlock, the unit of work says so (``Aborted``), and the retried use case runs
    it again from the start, so both get through and nothing is half-written."""
    first, second = fund.sign_up(), fund.sign_up()
    meeting = threading.Barrier(2)
    runs: list[str] = []

    def rename(name: str, ids: tuple[int, int]) -> str:
        runs.append(name)
        first_attempt = runs.count(name) == 1
        with fund.uow() as uow:
            for n, member_id in enumerate(ids):
                member = uow.members.get_for_update(member_id)
                assert member is not None
                member.email = Email.parse(f"{name}{n}@example.com")
                if n == 0 and first_attempt:
                    meeting.wait(timeout=10)  # both hold their first member now
            uow.commit()
        return name

    left = retried(partial(rename, "left", (first, second)))
    right = retried(partial(rename, "right", (second, first)))
    results = at_once(left, right)
    assert sorted(map(str, results)) == ["left", "right"], results
    assert len(runs) == 3  # one of them was aborted once and ran again
    again = max(("left", "right"), key=runs.count)
    with fund.uow() as uow:
        emails = {str(uow.members.get(m).email) for m in (first, second)}  # type: ignore[union-attr]
    # the one that ran again wrote both members whole, over the other's change
    assert emails == {f"{again}0@example.com", f"{again}1@example.com"}


def test_the_unit_of_work_tells_an_abort_from_other_database_errors() -> None:
    def wrapped(orig: Exception) -> sa_exc.OperationalError:
        return sa_exc.OperationalError("statement", {}, orig)

    assert aborted_by_the_database(wrapped(pymysql.err.OperationalError(1213, "Deadlock")))
    assert aborted_by_the_database(wrapped(pymysql.err.OperationalError(1205, "Lock wait")))
    assert aborted_by_the_database(wrapped(sqlite3.OperationalError("database is locked")))
    assert not aborted_by_the_database(wrapped(pymysql.err.OperationalError(2013, "Lost")))
    assert not aborted_by_the_database(wrapped(sqlite3.OperationalError("no such table: x")))


def test_a_connection_found_gone_before_the_commit_runs_the_unit_of_work_again() -> None:
    """A pooled connection the server dropped fails the first statement sent on it; the
    transaction never reached the database, so the unit of work says ``Aborted`` (and
    its use case runs again on a fresh connection). Lost while committing, it may have
    been kept: that is not run again."""
    database = fresh_sqlite()
    gone = sa_exc.OperationalError(
        "SELECT 1",
        {},
        pymysql.err.OperationalError(2013, "Lost connection"),
        connection_invalidated=True,
    )
    with pytest.raises(Aborted), database.unit_of_work() as uow:
        raise gone
    uow = database.unit_of_work()
    with pytest.raises(sa_exc.OperationalError), uow:
        uow.session.commit = lambda: (_ for _ in ()).throw(gone)  # type: ignore[method-assign]
        uow.commit()
    assert uow.committing and not uow.committed
    database.dispose()


def test_a_connection_given_back_is_rolled_back_only_when_it_holds_a_transaction(
    mariadb_url: str,
) -> None:
    """After a commit nothing is sent when the connection goes back to the pool; one given
    back in the middle of a transaction is rolled back, so the next unit of work on it
    neither sees nor commits what was left."""
    engine = make_engine(mariadb_url, pool_size=1)
    rollback = pymysql.connections.Connection.rollback
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS reset_probe (id INT)")
            connection.exec_driver_sql("DELETE FROM reset_probe")
        with patch.object(
            pymysql.connections.Connection, "rollback", autospec=True, side_effect=rollback
        ) as rollbacks:
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO reset_probe VALUES (1)")
            assert rollbacks.call_count == 0
            raw = engine.raw_connection()  # the pool's one connection, used by hand
            raw.cursor().execute("INSERT INTO reset_probe VALUES (2)")
            raw.close()
            assert rollbacks.call_count == 1
        with engine.begin() as connection:  # the same connection again
            seen = connection.exec_driver_sql("SELECT id FROM reset_probe").scalars().all()
        assert seen == [1]
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS reset_probe")
        engine.dispose()
