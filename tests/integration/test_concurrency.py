"""Races that must not double-count, against MariaDB with one connection per thread:
two gateway callbacks for one order, two sign-ins with one code, and a hundred parallel
attempts against each throttle (wrong passwords, wrong codes, code requests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import attrs
import pytest

from kasa.adapters.memory import Fakes, in_memory_fund
from kasa.adapters.sql.database import SqlDatabase
from kasa.application.payments import GatewayPayments, MemberPayments
from kasa.application.programs import ProgramAdmin
from kasa.application.reads import AuditQuery, Page
from kasa.application.signin import MemberSignIn
from kasa.application.staff import StaffAccounts
from kasa.domain.audit import EventType
from kasa.domain.errors import AuthenticationFailed, KasaError, RateLimited
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.programs import MemberProgram
from tests.integration.conftest import empty_tables

ROUNDS = 5


@pytest.fixture
def sql_fund(mariadb_database: SqlDatabase) -> tuple[Context, Fakes]:
    empty_tables(mariadb_database)
    context, fakes = in_memory_fund()
    database = mariadb_database
    return attrs.evolve(context, uow=database.unit_of_work, reads=database.reads()), fakes


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


def count_events(context: Context, event_type: EventType) -> int:
    return context.reads.audit(AuditQuery(event_types=frozenset({event_type})), Page(1)).total


def test_two_callbacks_for_one_order_extend_the_membership_once(
    sql_fund: tuple[Context, Fakes],
) -> None:
    context, fakes = sql_fund
    program = ProgramAdmin(context).save(None, name="Базова", month_price=Money(30000))
    signin = MemberSignIn(context)
    for round_ in range(ROUNDS):
        phone = f"+38050000{round_:04d}"
        signin.request_code(phone, True)
        member_id = int(signin.sign_in(phone, fakes.sms.last_code(phone)).split(":")[1])
        with context.uow() as uow:
            member = uow.members.get_for_update(member_id)
            assert member is not None
            member.status = MemberStatus.APPROVED
            now = context.now()
            uow.member_programs.add(
                MemberProgram(member_id, program.id or 0, now, now, is_active=True)
            )
            uow.commit()
        MemberPayments(context).start_top_up(member_id, Money(30000))
        order_id = fakes.gateway.checkouts[-1]["order_id"]
        callback = fakes.gateway.callback(order_id, "300.00")
        gateway = GatewayPayments(context)
        call = partial(gateway.callback, *callback)
        results = at_once(call, call)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(r.change for r in results) == ["confirmed", "none"]
        with context.uow() as uow:
            member = uow.members.get(member_id)
            assert member is not None
            assert member.paid_until == context.today() + timedelta(days=30)
    assert count_events(context, EventType.PAYMENT_CONFIRMED) == ROUNDS


def test_two_sign_ins_racing_on_one_code_succeed_once(sql_fund: tuple[Context, Fakes]) -> None:
    context, fakes = sql_fund
    signin = MemberSignIn(context)
    for round_ in range(ROUNDS):
        phone = f"+38067000{round_:04d}"
        signin.request_code(phone, True)
        code = fakes.sms.last_code(phone)
        attempt = partial(signin.sign_in, phone, code)
        results = at_once(attempt, attempt)
        tokens = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, KasaError)]
        assert len(tokens) == 1, results
        assert len(refused) == 1 and isinstance(refused[0], AuthenticationFailed)
        with context.uow() as uow:
            assert uow.members.by_phone(phone) is not None
    assert count_events(context, EventType.SIGNED_IN) == ROUNDS


PARALLEL = 100


def test_parallel_wrong_passwords_for_one_login_are_checked_at_most_the_limit(
    sql_fund: tuple[Context, Fakes],
) -> None:
    context, fakes = sql_fund
    accounts = StaffAccounts(context)
    accounts.create(None, login="olena", role="operator", password="the right one")
    checked: list[str] = []
    verify = fakes.passwords.verify

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return verify(password_hash, password)

    fakes.passwords.verify = counting  # type: ignore[method-assign]
    # each from its own address, so only the login's own counter holds them back
    calls = [
        partial(accounts.sign_in, "olena", f"wrong {n}", f"10.0.{n // 200}.{n % 200}")
        for n in range(PARALLEL)
    ]
    results = at_once(*calls)
    limit = context.settings.staff_failures_per_login
    assert len(checked) == limit, len(checked)
    assert sum(isinstance(r, AuthenticationFailed) for r in results) == limit
    assert sum(isinstance(r, RateLimited) for r in results) == PARALLEL - limit


def test_parallel_wrong_codes_from_one_address_are_checked_at_most_the_limit(
    sql_fund: tuple[Context, Fakes],
) -> None:
    context, fakes = sql_fund
    signin = MemberSignIn(context)
    phones = [f"+38050{n:07d}" for n in range(PARALLEL)]
    for n, phone in enumerate(phones):
        signin.request_code(phone, True, f"10.1.{n // 200}.{n % 200}")
    wrong = {p: "000000" if fakes.sms.last_code(p) != "000000" else "111111" for p in phones}
    results = at_once(*[partial(signin.sign_in, p, wrong[p], "203.0.113.66") for p in phones])
    limit = context.settings.code_failures_per_address
    assert sum(isinstance(r, AuthenticationFailed) for r in results) == limit, results
    assert sum(isinstance(r, RateLimited) for r in results) == PARALLEL - limit
    assert count_events(context, EventType.SIGN_IN_FAILED) == limit


def test_parallel_code_requests_from_one_address_send_at_most_the_limit(
    sql_fund: tuple[Context, Fakes],
) -> None:
    context, fakes = sql_fund
    signin = MemberSignIn(context)
    calls = [
        partial(signin.request_code, f"+38067{n:07d}", True, "203.0.113.77")
        for n in range(PARALLEL)
    ]
    results = at_once(*calls)
    limit = context.settings.code_requests_per_address_hourly
    assert sum(r is None for r in results) == limit, results
    assert sum(isinstance(r, RateLimited) for r in results) == PARALLEL - limit
    assert len(fakes.sms.sent) == limit
