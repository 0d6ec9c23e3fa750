"""Races that must not double-count, against MariaDB with one connection per thread:
two gateway callbacks for one order, two sign-ins with one code, and a hundred parallel
attempts against each throttle (wrong passwords, wrong codes, code requests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from kasa.adapters.sql.database import SqlDatabase
from kasa.application.reads import AuditQuery, Page
from kasa.domain.audit import EventType
from kasa.domain.errors import AuthenticationFailed, KasaError, RateLimited
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.programs import MemberProgram
from kasa.domain.staff import Role
from kasa.domain.values import Phone
from tests.integration.app.helpers import Fund
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
        fund.payments.start_top_up(member_id, Money(30000))
        order_id = fund.fakes.gateway.checkouts[-1]["order_id"]
        callback = fund.fakes.gateway.callback(order_id, "300.00")
        gateway = fund.gateway
        call = partial(gateway.callback, *callback)
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
