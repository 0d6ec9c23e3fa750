"""``kasa payment …`` and ``kasa membership …``: money in and out, reconciliation and
the reminder job."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from kasa.application.books import PAYMENT_COLUMNS
from kasa.application.callbacks import RECHECK_LIMIT, ReconcileReport
from kasa.application.jobs import ReminderReport
from kasa.application.reads import Page, PaymentQuery
from kasa.application.settings import FundSettings
from kasa.application.views import PaymentView
from kasa.domain.money import Money
from kasa.domain.payments import PaymentStatus, PaymentType
from kasa.entrypoints import status
from kasa.entrypoints.cli import present as show_as
from kasa.entrypoints.cli.common import (
    CliState,
    confirm,
    json_option,
    pass_state,
    show,
    with_progress,
)
from kasa.entrypoints.cli.main import main
from kasa.entrypoints.parsing import parse_date


def day(value: str | None, name: str) -> date | None:
    return parse_date(value, name)


PLAIN_AMOUNT = re.compile(r"\d+(\.\d{1,2})?")


def understood(text: str, field: str = "amount", *, positive: bool = True) -> Money:
    """An amount as typed (``300``, ``300.5``, ``300,50``). When it is not plain digits
    with a decimal point, the amount understood is said first, on standard error (JSON
    output stays clean), so that a slip shows."""
    amount = Money.positive(text, field) if positive else Money.parse(text, field)
    if not PLAIN_AMOUNT.fullmatch(text.strip()):
        click.echo(f"{field} {text.strip()!r} read as {amount} UAH", err=True)
    return amount


@main.group()
def payment() -> None:
    """Payments: the registry, manual entries, payouts, reconciliation."""


@payment.command("list")
@click.option("--type", "types", multiple=True, type=click.Choice([t.value for t in PaymentType]))
@click.option("--from", "date_start", help="First date (dd.mm.YYYY or YYYY-MM-DD).")
@click.option("--to", "date_end", help="Last date.")
@click.option("--min", "amount_start", help="Smallest amount.")
@click.option("--max", "amount_end", help="Largest amount.")
@click.option("--certificate")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--offset", default=0, type=click.IntRange(0))
@json_option
@pass_state
def payment_list(
    state: CliState,
    types: tuple[str, ...],
    date_start: str | None,
    date_end: str | None,
    amount_start: str | None,
    amount_end: str | None,
    certificate: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Payments matching every given filter, newest first."""
    query = PaymentQuery(
        types=frozenset(PaymentType(t) for t in types),
        date_start=day(date_start, "from"),
        date_end=day(date_end, "to"),
        amount_start=understood(amount_start, "min", positive=False) if amount_start else None,
        amount_end=understood(amount_end, "max", positive=False) if amount_end else None,
        certificate=certificate,
    )
    listing = state.staff.payments().list(state.staff_id(), query, Page(limit, offset))
    show(
        [show_as.payment_row(r) for r in listing.items],
        PAYMENT_COLUMNS,
        as_json,
        f"payments ({listing.total} in all)",
    )


def _recorded(recorded: PaymentView) -> None:
    extra = f", paid until {recorded.extended_to}" if recorded.extended_to else ""
    click.echo(
        f"payment {recorded.id} recorded: {recorded.payment_type} {recorded.amount} UAH, "
        f"{recorded.status}{extra}"
    )


DATE_HELP = "dd.mm.YYYY or YYYY-MM-DD; today when not given"
YES = click.option(
    "--yes", "-y", is_flag=True, help="Do it without asking (a terminal is asked first)."
)
# an amount may be typed negative: it reaches the fund's own check, not click's options
AMOUNT_COMMAND: dict[str, Any] = {"context_settings": {"ignore_unknown_options": True}}


@payment.command("record", **AMOUNT_COMMAND)
@click.argument("member_id", type=int)
@click.argument("amount")
@click.option("--date", "on", help=f"When the money arrived ({DATE_HELP}).")
@YES
@pass_state
def payment_record(state: CliState, member_id: int, amount: str, on: str | None, yes: bool) -> None:
    """Record a member's contribution that arrived outside the gateway."""
    paid_on = day(on, "date") or state.today()
    money = understood(amount)
    confirm(f"Record {money} UAH paid by member {member_id} on {paid_on:%d.%m.%Y}?", yes)
    _recorded(state.staff.payments().record_top_up(state.staff_id(), member_id, money, paid_on))


@payment.command("payout", **AMOUNT_COMMAND)
@click.argument("request_id", type=int)
@click.argument("amount")
@click.option("--date", "on", help=f"When the money was paid ({DATE_HELP}).")
@YES
@pass_state
def payment_payout(
    state: CliState, request_id: int, amount: str, on: str | None, yes: bool
) -> None:
    """Record a payout of a request (never past its approved amount)."""
    paid_on = day(on, "date") or state.today()
    money = understood(amount)
    confirm(f"Record a payout of {money} UAH on request {request_id}, {paid_on:%d.%m.%Y}?", yes)
    _recorded(state.staff.payments().record_payout(state.staff_id(), request_id, money, paid_on))


@payment.command("approve-payout")
@click.argument("payment_id", type=int)
@YES
@pass_state
def payment_approve(state: CliState, payment_id: int, yes: bool) -> None:
    """Approve a pending four-eyes payout (not the one who recorded it)."""
    confirm(f"Approve payout {payment_id}: the money is then counted as paid?", yes)
    approved = state.staff.payments().approve_payout(state.staff_id(), payment_id)
    click.echo(f"payout {approved.id} approved: {approved.amount} UAH")


REASON = click.option(
    "--reason", required=True, help="Why (kept in the audit trail; at most 500 characters)."
)


@payment.command("refund")
@click.argument("payment_id", type=int)
@REASON
@YES
@pass_state
def payment_refund(state: CliState, payment_id: int, reason: str, yes: bool) -> None:
    """Refund a whole confirmed contribution through the gateway that took it (an admin;
    above the four-eyes threshold a second admin approves it first)."""
    confirm(f"Refund payment {payment_id} through its gateway?", yes)
    refunded = state.staff.refunds().refund(state.staff_id(), payment_id, reason)
    _refund_said(refunded)


@payment.command("refund-approve")
@click.argument("payment_id", type=int)
@YES
@pass_state
def payment_refund_approve(state: CliState, payment_id: int, yes: bool) -> None:
    """Approve a refund waiting for a second admin (not the one who asked); the gateway
    is asked then."""
    confirm(f"Approve the refund of payment {payment_id}: the gateway is asked at once?", yes)
    _refund_said(state.staff.refunds().approve_refund(state.staff_id(), payment_id))


@payment.command("reverse")
@click.argument("payment_id", type=int)
@REASON
@YES
@pass_state
def payment_reverse(state: CliState, payment_id: int, reason: str, yes: bool) -> None:
    """Reverse a contribution staff recorded (a bank transfer returned): the days it
    bought are taken back at once (an admin)."""
    confirm(f"Reverse payment {payment_id} and take back the days it bought?", yes)
    reversed_ = state.staff.refunds().reverse(state.staff_id(), payment_id, reason)
    click.echo(f"payment {reversed_.id} reversed: {reversed_.amount} UAH")


def _refund_said(payment: PaymentView) -> None:
    if payment.status is PaymentStatus.REFUND_PENDING_APPROVAL:
        click.echo(f"payment {payment.id}: the refund waits for a second admin's approval")
    else:
        click.echo(
            f"payment {payment.id}: refund of {payment.amount} UAH asked of {payment.gateway};"
            " the days it bought are taken back when the gateway reverses it"
        )


@payment.command("reconcile")
@click.option(
    "--older-than",
    "minutes",
    default=FundSettings().reconcile_after_seconds // 60,
    show_default=True,
    type=click.IntRange(0),
    help="Minutes a pending payment has waited.",
)
@click.option(
    "--reversals-days",
    default=0,
    show_default=True,
    type=click.IntRange(0, 366),
    help="Also ask about one-off payments confirmed in the last N days and apply a "
    "reversal the gateway reports (the timer uses 7).",
)
@click.option(
    "--limit",
    default=RECHECK_LIMIT,
    show_default=True,
    type=click.IntRange(1),
    help="Confirmed payments asked about in one run, the least recently checked first.",
)
@pass_state
def payment_reconcile(state: CliState, minutes: int, reversals_days: int, limit: int) -> None:
    """Ask the gateway about pending payments and settle them (a scheduled job).
    Checkouts still unpaid after KASA_CHECKOUT_EXPIRY_HOURS become expired; with
    --reversals-days, reversals of recently confirmed payments are found too."""
    gateway = state.system.callbacks()

    def work(step: Callable[[str], None]) -> ReconcileReport:
        result: ReconcileReport = gateway.reconcile(
            minutes * 60, progress=step, reversals_days=reversals_days, limit=limit
        )
        return result

    report = with_progress("reconciling", None, work)
    if not report.errors:
        settled = report.confirmed + report.failed + report.reversed + report.expired
        status.record(state.container().settings().data_dir, "reconcile", changed=settled)
    click.echo(
        f"checked {report.checked}: confirmed {report.confirmed}, failed "
        f"{report.failed}, reversed {report.reversed}, expired {report.expired}, "
        f"unchanged {report.unchanged}, "
        f"errors {len(report.errors)}"
    )
    for error in report.errors:
        click.echo(f"error: {error}", err=True)


# -- membership ----------------------------------------------------------------------------
@main.group()
def membership() -> None:
    """Membership: who is about to expire, and the reminder job."""


@membership.command("expiring")
@click.option("--days", default=7, show_default=True, type=click.IntRange(0, 366))
@json_option
@pass_state
def expiring(state: CliState, days: int, as_json: bool) -> None:
    """Approved members whose "paid until" falls within the next N days."""
    members = state.system.reminders().expiring(days)
    show(
        [show_as.member(m) for m in members],
        ["id", "certificate", "last_name", "first_name", "phone", "paid_until"],
        as_json,
        f"expiring within {days} days",
    )


@membership.command("remind")
@pass_state
def remind(state: CliState) -> None:
    """Tell the members due a reminder (by the notifications: push, and SMS); safe to run
    every hour (never twice a period)."""
    reminders = state.system.reminders()
    due = reminders.due()

    def work(step: Callable[[str], None]) -> ReminderReport:
        result: ReminderReport = reminders.send(progress=lambda m: step(f"member {m.id}"))
        return result

    report = with_progress("reminding", len(due), work)
    click.echo(f"due {report.due}: told {report.sent}, already told {report.already_sent}")
