"""The staff command line through click's runner, on SQLite with the outside world
faked: each command's output and effect, its refusals, and JSON that parses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result

from kasa.application.members import MemberData
from kasa.application.reads import Page, PaymentQuery
from kasa.application.requests import Assessment
from kasa.domain.audit import EventType
from kasa.domain.money import Money
from kasa.domain.staff import Role
from kasa.entrypoints.cli import main
from kasa.entrypoints.cli.common import CliState
from tests.integration.app.helpers import Fund
from tests.integration.http.conftest import build_kasa
from tests.support.fakes import Fakes


@attrs.define
class Shell:
    kasa: Any
    fund: Fund
    fakes: Fakes
    tmp: Path

    def __call__(self, *args: str, staff: str | None = "olena", input: str | None = None) -> Result:
        argv = (["--as", staff] if staff else []) + list(args)
        return CliRunner().invoke(
            main, argv, obj=CliState(kasa=self.kasa), input=input, env={"KASA_STAFF": ""}
        )

    def ok(self, *args: str, **kwargs: Any) -> str:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    kasa, fakes = build_kasa(tmp_path)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    yield Shell(kasa, fund, fakes, tmp_path)
    kasa.adapters.database().dispose()


def test_a_newcomer_creates_a_user_a_program_approves_and_records_a_payment(shell: Shell) -> None:
    out = shell.ok("user", "create", "maria", "--role", "operator", "--name", "Марія", staff=None)
    assert "password: " in out
    out = shell.ok("program", "create", "Базова", "--price", "300", staff="maria")
    assert "created: Базова, 300.00 UAH" in out
    program_id = int(out.split()[1])
    member_id = shell.fund.sign_up()
    shell.fund.submit(member_id, program_id)
    queue = json.loads(shell.ok("member", "queue", "--json", staff="maria"))
    assert [m["id"] for m in queue] == [member_id]
    out = shell.ok("member", "approve", str(member_id), staff="maria")
    assert f"member {member_id} approved with certificate" in out and "approved)" in out
    out = shell.ok("payment", "record", str(member_id), "300", staff="maria")
    assert "top_up 300.00 UAH, confirmed, paid until" in out
    trail = json.loads(shell.ok("audit", "list", "--actor", "staff", "--json", staff="maria"))
    assert {"approved", "payment_recorded"} <= {e["event_type"] for e in trail}


def test_staff_commands_need_a_staff_user(shell: Shell) -> None:
    result = shell("member", "queue", staff=None)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: name the staff user to act as: --as LOGIN or KASA_STAFF"
    result = shell("member", "queue", staff="ghost")
    assert result.exit_code == 1 and "no staff user ghost" in result.output


def test_refusals_are_one_line_with_a_non_zero_status(shell: Shell) -> None:
    result = shell("member", "show", "999")
    assert result.exit_code == 1 and result.output.strip() == "Error: There is no member 999."
    member_id = shell.fund.sign_up()
    result = shell("member", "approve", str(member_id))
    assert result.exit_code == 1 and "awaiting review" in result.output
    result = shell("member", "unblock", str(member_id))
    assert result.exit_code == 1 and result.output.strip() == "Error: The member is not blocked."
    result = shell("payment", "record", str(member_id), "1.234")
    assert result.exit_code == 1 and "two decimal" in result.output
    assert "Traceback" not in result.output


def test_member_commands(shell: Shell) -> None:
    program_id = shell.fund.program()
    member_id = shell.fund.approved_member(program_id)
    shell.fund.office.correct(shell.fund.operator_id, member_id, MemberData(last_name="Шевченко"))
    found = json.loads(shell.ok("member", "search", "шевченко", "--field", "name", "--json"))
    assert [m["id"] for m in found] == [member_id]
    assert "Шевченко" in shell.ok("member", "show", str(member_id))
    detail = json.loads(shell.ok("member", "show", str(member_id), "--json"))
    assert detail["member"]["id"] == member_id and len(detail["current_identities"]) == 3
    assert "blocked" in shell.ok("member", "block", str(member_id))
    assert "status approved" in shell.ok("member", "unblock", str(member_id))
    second = shell.fund.program("Розширена", "500")
    shell.fund.profiles.change_program(member_id, second)
    assert "program change accepted" in shell.ok("member", "accept-program", str(member_id))
    result = shell("member", "accept-documents", str(member_id))
    assert result.exit_code == 1 and "no new documents" in result.output
    number = shell.ok("member", "certificate").strip()
    assert number.isdigit() and len(number) == 6
    shell.fund.submit(member_id, program_id)
    result = shell("member", "refuse-documents", str(member_id), "--reason", " ")
    assert result.exit_code == 1 and "tell the member what is wrong" in result.output
    out = shell.ok("member", "refuse-documents", str(member_id), "--reason", "Розмито")
    assert "documents refused (status approved)" in out
    assert shell.fund.profiles.review(member_id).refused_documents


def test_program_commands(shell: Shell) -> None:
    terms = shell.tmp / "умови.pdf"
    terms.write_bytes(b"%PDF-1.7 terms")
    out = shell.ok("program", "create", "Базова", "--price", "300", "--terms", str(terms))
    program_id = out.split()[1]
    out = shell.ok("program", "update", program_id, "--price", "350", "--inactive")
    assert "350.00 UAH, inactive" in out
    assert "none" in shell.ok("program", "list")
    listed = json.loads(shell.ok("program", "list", "--all", "--json"))
    assert listed[0]["program_file"].endswith(".pdf")
    assert shell("program", "create", "X", "--price", "0").exit_code == 1


def test_request_and_payout_commands(shell: Shell) -> None:
    member_id = shell.fund.approved_member(shell.fund.program())
    request_id = str(shell.fund.requests.create(member_id, "Ліки", []).request.id)
    listed = json.loads(shell.ok("request", "list", "--status", "opened", "--json"))
    assert [r["id"] for r in listed] == [int(request_id)]
    assert "message sent" in shell.ok("request", "message", request_id, "Скільки?")
    out = shell.ok("request", "assess", request_id, "--amount", "500", "--diagnosis", "J06")
    assert f"request {request_id} assessed: approved 500.00 UAH, diagnosis J06" in out
    assert shell("request", "assess", request_id).exit_code == 2  # nothing to set
    result = shell("payment", "payout", request_id, "600")
    assert result.exit_code == 1 and "exceed" in result.output
    assert "partial_payout 200.00 UAH" in shell.ok("payment", "payout", request_id, "200")
    assert "payout 300.00 UAH" in shell.ok("payment", "payout", request_id, "300")
    shown = shell.ok("request", "show", request_id)
    assert "Скільки?" in shown and "200.00" in shown
    result = shell("request", "close", request_id, "--resolution", "rejected")
    assert result.exit_code == 1 and "reason" in result.output
    assert "closed: paid" in shell.ok("request", "close", request_id, "--resolution", "paid")
    assert "reopened" in shell.ok("request", "reopen", request_id)
    payouts = json.loads(
        shell.ok("payment", "list", "--type", "payout", "--type", "partial_payout", "--json")
    )
    assert sorted(p["amount"] for p in payouts) == ["200.00", "300.00"]  # exact, as text


def test_four_eyes_payout_from_the_shell(tmp_path: Path) -> None:
    kasa, fakes = build_kasa(tmp_path, KASA_FOUR_EYES_THRESHOLD="100")
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    shell = Shell(kasa, fund, fakes, tmp_path)
    member_id = fund.approved_member(fund.program())
    request_id = fund.requests.create(member_id, "", []).request.id
    fund.staff_requests.assess(
        fund.operator_id, request_id or 0, Assessment(approved_amount=Money(50000))
    )
    out = shell.ok("payment", "payout", str(request_id), "500")
    assert "pending" in out
    payment_id = out.split()[1]
    result = shell("payment", "approve-payout", payment_id)
    assert result.exit_code == 1 and "another staff user" in result.output
    assert "approved: 500.00" in shell.ok("payment", "approve-payout", payment_id, staff="admin")
    kasa.adapters.database().dispose()


def test_refunds_and_reversals_from_the_shell(tmp_path: Path) -> None:
    kasa, fakes = build_kasa(tmp_path, KASA_FOUR_EYES_THRESHOLD="200")
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    fund.accounts.create(None, login="chief", role=Role.ADMIN, name="Друга")
    shell = Shell(kasa, fund, fakes, tmp_path)
    member_id = fund.approved_member(fund.program(price="300"))
    small, large = fund.pay(member_id, "150"), fund.pay(member_id, "300")
    ids = {p.payment_identifier: p.id for p in fund.payments.top_ups(member_id)}
    refused = shell("payment", "refund", str(ids[small]), "--reason", "двічі", "--yes")
    assert refused.exit_code == 1 and "admin" in refused.output  # olena is an operator
    out = shell.ok("payment", "refund", str(ids[small]), "--reason", "двічі", staff="admin")
    assert "asked of liqpay" in out and fakes.gateway.refunds == [(small, Money(15000))]
    out = shell.ok("payment", "refund", str(ids[large]), "--reason", "двічі", staff="admin")
    assert "waits for a second admin" in out
    same = shell("payment", "refund-approve", str(ids[large]), "--yes", staff="admin")
    assert same.exit_code == 1 and "another staff user" in same.output
    out = shell.ok("payment", "refund-approve", str(ids[large]), staff="chief")
    assert "asked of liqpay" in out and len(fakes.gateway.refunds) == 2
    recorded = fund.staff_payments.record_top_up(
        fund.operator_id, member_id, Money(30000), fund.clock.today()
    )
    out = shell.ok("payment", "reverse", str(recorded.id), "--reason", "повернуто", staff="admin")
    assert f"payment {recorded.id} reversed: 300.00" in out
    missing = shell("payment", "reverse", str(recorded.id), "--yes", staff="admin")
    assert missing.exit_code != 0 and "--reason" in missing.output
    kasa.adapters.database().dispose()


def test_the_reminder_job_sends_once_when_run_twice(shell: Shell) -> None:
    member_id = shell.fund.approved_member(shell.fund.program(price="300"))
    shell.fund.pay(member_id, "300")
    shell.fakes.clock.advance(days=25)
    expiring = json.loads(shell.ok("membership", "expiring", "--days", "7", "--json", staff=None))
    assert [m["id"] for m in expiring] == [member_id]
    first = shell.ok("membership", "remind", staff=None)
    assert "due 1: told 1, already told 0" in first and f"member {member_id}" in first
    second = shell.ok("membership", "remind", staff=None)
    assert "due 1: told 0, already told 1" in second
    told = shell.ok("notify", "once", staff=None)
    assert "by SMS" in told
    reminders = [s for s in shell.fakes.sms.sent if "членство" in s.body]
    assert len(reminders) == 1  # the member has no phone that takes pushes: one SMS
    assert "events 0" in shell.ok("notify", "once", staff=None)
    listed = json.loads(shell.ok("notify", "list", "--member", str(member_id), "--json"))
    assert listed[0]["event"] == "membership_expiring" and listed[0]["channel"] == "sms"


def test_reconcile_settles_a_pending_payment(shell: Shell) -> None:
    member_id = shell.fund.approved_member(shell.fund.program(price="300"))
    shell.fund.payments.start_top_up(member_id, Money(30000), "liqpay")
    order_id = shell.fakes.gateway.checkouts[-1]["order_id"]
    shell.fakes.gateway.statuses[order_id] = {"status": "success", "amount": "300.00"}
    assert "checked 0" in shell.ok("payment", "reconcile", staff=None)
    shell.fakes.clock.advance(minutes=31)
    out = shell.ok("payment", "reconcile", staff=None)
    assert f"reconciling: {order_id}: confirmed" in out and "confirmed 1" in out
    assert shell.fund.profiles.get(member_id).member.membership.paid_until is not None


def test_report_export_and_json(shell: Shell) -> None:
    member_id = shell.fund.approved_member(shell.fund.program(price="300"))
    shell.fund.office.correct(shell.fund.operator_id, member_id, MemberData(last_name="Їжакевич"))
    shell.fund.pay(member_id, "300")
    report = json.loads(shell.ok("report", "fund", "--json"))
    assert report["money_in"] == "300.00" and report["members_by_status"]["approved"] == 1
    assert report["money_in_by_gateway"] == {"liqpay": "300.00"}
    text = shell.ok("report", "fund")
    assert "total in 300.00 UAH" in text and "money in by gateway: liqpay 300.00 UAH" in text
    out_file = shell.tmp / "members.csv"
    out = shell.ok("export", "members", "--out", str(out_file))
    assert f"1 members written to {out_file}" in out
    table = list(csv.reader(io.StringIO(out_file.read_text(encoding="utf-8-sig"))))
    assert table[0][0] == "id" and "Їжакевич" in table[1]
    assert shell("export", "payments", "--out", str(shell.tmp / "p.csv"), staff=None).exit_code == 1
    users = json.loads(shell.ok("user", "list", "--json", staff=None))
    assert {u["login"] for u in users} == {"admin", "olena"}
    assert all("password" not in json.dumps(u) for u in users)


def test_the_ledger_and_the_balances_from_the_shell(shell: Shell) -> None:
    member_id = shell.fund.approved_member(shell.fund.program(price="300"))
    kept = shell.fund.pay(member_id, "300")
    taken_back = shell.fund.pay(member_id, "150")
    shell.fakes.clock.advance(hours=2)
    shell.fund.gateway.callback(
        "liqpay", shell.fakes.gateway.message(taken_back, "150", "reversed")
    )
    report = json.loads(shell.ok("report", "fund", "--json"))
    assert (report["money_in"], report["reversed"], report["balance"]) == (
        "450.00",
        "150.00",
        "300.00",
    )
    assert report["balance_total"] == "300.00"
    assert "reversed 150.00 UAH" in shell.ok("report", "fund")
    out_file = shell.tmp / "ledger.csv"
    today = shell.fund.clock.today().isoformat()
    out = shell.ok("export", "ledger", "--from", today, "--to", today, "--out", str(out_file))
    assert f"3 ledger movements written to {out_file}" in out
    rows = list(csv.reader(io.StringIO(out_file.read_text(encoding="utf-8-sig"))))
    assert [(r[1], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("confirmation", kept, "300.00", "300.00"),
        ("confirmation", taken_back, "150.00", "450.00"),
        ("reversal", taken_back, "-150.00", "300.00"),
    ]
    refused = shell("export", "members", "--from", today, "--out", str(shell.tmp / "m.csv"))
    assert refused.exit_code == 2 and "--from and --to are for the ledger" in refused.output


def test_user_password_and_deactivation(shell: Shell) -> None:
    out = shell.ok("user", "set-password", "olena", staff=None)
    password = out.split("password: ")[1].strip()
    assert shell.fund.accounts.sign_in("olena", password).user.login == "olena"
    shell.ok(
        "user",
        "set-password",
        "olena",
        "--password-stdin",
        staff=None,
        input="a long new password\n",
    )
    shell.fund.accounts.sign_in("olena", "a long new password")
    result = shell("user", "deactivate", "olena", staff="olena")
    assert result.exit_code == 1 and "Only an admin" in result.output
    assert "olena deactivated" in shell.ok("user", "deactivate", "olena", staff="admin")


def test_an_approval_takes_a_certificate_number_only_when_it_happens(shell: Shell) -> None:
    result = shell("member", "approve", "999")
    assert result.exit_code == 1 and "no member 999" in result.output
    assert not shell.fund.events(EventType.CERTIFICATE_ISSUED)  # no number used up
    member_id = shell.fund.sign_up()
    shell.fund.submit(member_id, shell.fund.program())
    out = shell.ok("member", "approve", str(member_id))
    assert f"member {member_id} approved with certificate 000001" in out
    for again in (
        ("member", "approve", str(member_id)),
        ("member", "approve", str(member_id), "--certificate", "777"),
    ):
        result = shell(*again)
        assert result.exit_code == 1 and "this one is approved" in result.output
    assert shell.fund.tables().members[member_id].certificate == "000001"
    assert len(shell.fund.events(EventType.CERTIFICATE_ISSUED)) == 1
    assert len(shell.fund.events(EventType.APPROVED)) == 1


def test_a_piped_table_keeps_every_value_whole(shell: Shell) -> None:
    member_id = shell.fund.approved_member(shell.fund.program())
    long_name = "Шевченко-Квітка-Основ'яненко"
    shell.fund.office.correct(shell.fund.operator_id, member_id, MemberData(last_name=long_name))
    out = shell.ok("member", "search", "шевченко")
    header, *lines = out.splitlines()
    assert header.split("\t")[:2] == ["id", "certificate"] and len(lines) == 1
    row = dict(zip(header.split("\t"), lines[0].split("\t"), strict=True))
    phone = shell.fund.tables().members[member_id].phone.e164
    assert row["last_name"] == long_name and row["phone"] == phone and "…" not in out
    assert "tab-separated" in shell.ok("member", "search", "--help")


def test_an_amount_typed_another_way_is_echoed_as_understood(shell: Shell) -> None:
    member_id = shell.fund.approved_member(shell.fund.program(price="300"))
    result = shell("payment", "record", str(member_id), "300,50")
    assert result.exit_code == 0
    assert "amount '300,50' read as 300.50 UAH" in result.stderr
    assert "top_up 300.50 UAH" in result.stdout
    plain = shell("payment", "record", str(member_id), "10.00")
    assert plain.exit_code == 0 and "read as" not in plain.output
    listed = shell("payment", "list", "--min", "300,5", "--json")
    assert [p["amount"] for p in json.loads(listed.stdout)] == ["300.50"]
    assert "min '300,5' read as 300.50 UAH" in listed.stderr


def test_money_commands_say_what_they_will_do_and_ask_on_a_terminal(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    member_id = shell.fund.approved_member(shell.fund.program(price="300"))
    negative = shell("payment", "record", str(member_id), "-5")
    assert negative.exit_code == 1 and negative.output.startswith("Error: amount:"), negative.output
    assert "dd.mm.YYYY or YYYY-MM-DD" in shell.ok("payment", "record", "--help", staff=None)
    monkeypatch.setattr("kasa.entrypoints.cli.common.asked", lambda: True)
    refused = shell("payment", "record", str(member_id), "300", input="n\n")
    assert refused.exit_code == 1 and "Record 300.00 UAH paid by member" in refused.output
    assert "Aborted" in refused.output
    assert shell.fund.staff_payments.list(shell.fund.operator_id, PaymentQuery(), Page()).total == 0
    agreed = shell("payment", "record", str(member_id), "300", input="y\n")
    assert agreed.exit_code == 0 and "recorded" in agreed.output
    skipped = shell("payment", "record", str(member_id), "150", "--yes")
    assert skipped.exit_code == 0 and "Record" not in skipped.output
    monkeypatch.setattr("kasa.entrypoints.cli.common.asked", lambda: False)
    piped = shell("payment", "record", str(member_id), "100")  # piped input never waits
    assert piped.exit_code == 0 and "recorded" in piped.output
    assert shell.fund.staff_payments.list(shell.fund.operator_id, PaymentQuery(), Page()).total == 3
