"""What the admin site gets back (msgspec Structs): cards of staff, members, programs,
files, payments, requests and audit events, and the envelopes the routes answer in.
Dates go out as ISO 8601; money as a number with at most two decimals."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.events import EventKind
from kasa.domain.identity import IdentityType
from kasa.domain.members import MemberStatus
from kasa.domain.notifications import DeliveryState
from kasa.domain.payments import PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus, Resolution
from kasa.domain.staff import Role
from kasa.entrypoints.http.fields import Success, doc

ANSWER = doc("The answer.")
# fields many cards share
CardId = Annotated[int | None, doc("The id.")]
MadeAt = Annotated[str | None, doc("When it was made, ISO 8601 (UTC).")]
ChangedAt = Annotated[str | None, doc("When it last changed, ISO 8601 (UTC).")]
PersonName = Annotated[str, doc("The person's name.")]
Certificate = Annotated[str, doc("The member's certificate number.")]
EmailOrEmpty = Annotated[str, doc("E-mail address; empty when there is none.")]
Total = Annotated[int, doc("How many match, on every page together.")]
SwitchedOn = Annotated[
    bool,
    doc(
        "false when switched off (a blocked member, a deactivated account, a program"
        " no longer offered)."
    ),
]


class Shape(msgspec.Struct, kw_only=True):
    pass


class StaffCard(Shape):
    """A staff account: never its password hash."""

    id: CardId
    login: Annotated[str, doc("The login.")]
    name: PersonName
    email: EmailOrEmpty
    phone: Annotated[str, doc("Phone (E.164); empty when there is none.")]
    role: Annotated[Role, doc("`admin` or `operator`.")]
    is_active: SwitchedOn
    created_at: MadeAt
    updated_at: ChangedAt


class SignedInUser(Shape):
    name: PersonName
    login: Annotated[str, doc("The login.")]
    email: EmailOrEmpty
    role: Annotated[Role, doc("`admin` or `operator`.")]
    is_active: SwitchedOn
    updated_at: ChangedAt


class MemberCard(Shape):
    id: CardId
    phone: Annotated[str, doc("Phone (E.164); empty when there is none.")]
    first_name: Annotated[str, doc("First name.")]
    middle_name: Annotated[str, doc("Middle name (patronymic).")]
    last_name: Annotated[str, doc("Last name.")]
    email: EmailOrEmpty
    birth_date: Annotated[str | None, doc("Birth date, `YYYY-MM-DD`.")]
    passport_data: Annotated[str, doc("Passport series and number.")]
    inn: Annotated[str, doc("The tax number (RNOKPP).")]
    iban: Annotated[str, doc("The payout account (IBAN).")]
    photo: Annotated[int | None, doc("The id of the member's photo file.")]
    certificate: Certificate
    expiration_date: Annotated[
        str | None,
        doc("Paid until: the first day not paid for, `YYYY-MM-DD`; null before any payment."),
    ]
    credit: Annotated[
        float | None, doc("Paid beyond whole days, carried to the next payment, in hryvnias.")
    ]
    status: Annotated[
        MemberStatus,
        doc("`registered` (signed in only), `pending_review`, `approved` or `blocked`."),
    ]
    is_active: SwitchedOn
    is_submitted: Annotated[bool, doc("true once the profile is approved.")]
    has_new_request: Annotated[int, doc("How many of the member's requests wait for staff.")]
    has_new_program_change: Annotated[bool, doc("A program change waits for staff.")]
    has_new_passport_data: Annotated[bool, doc("New identity documents wait for staff.")]
    has_new_correction: Annotated[bool, doc("The member reported wrong data.")]
    created_at: MadeAt
    updated_at: ChangedAt


class ProgramCard(Shape):
    id: CardId
    program_name: Annotated[str, doc("The program's name.")]
    month_price: Annotated[float | None, doc("The price of 30 days, in hryvnias.")]
    program_file: Annotated[
        str,
        doc(
            "The stored name of the program's terms file (public at"
            " `GET /program/{name}`); empty when none."
        ),
    ]
    is_active: SwitchedOn
    created_by: Annotated[
        int | None, doc("The staff user who made it; null for the command line or the system.")
    ]
    updated_by: Annotated[int | None, doc("The staff user who last changed it.")]
    created_at: MadeAt
    updated_at: ChangedAt


class MemberProgramCard(ProgramCard):
    link_id: Annotated[int | None, doc("The id of the member's program choice.")]
    is_current: Annotated[bool, doc("The member's current program.")]
    is_new: Annotated[bool, doc("Waits for staff.")]


class FileCard(Shape):
    id: CardId
    filename: Annotated[str, doc("The file's stored name (use it to download).")]
    original_name: Annotated[str, doc("The name it was uploaded with.")]
    content_type: Annotated[str, doc("Its content type, recognised from its bytes.")]
    size: Annotated[int, doc("Its size in bytes.")]
    sha256: Annotated[str, doc("Its SHA-256, hex.")]
    duplicate_of_request: Annotated[
        int | None, doc("Another request that has the same file (a possible duplicate claim).")
    ]
    created_at: MadeAt


class IdentityCard(Shape):
    id: CardId
    identity_type: Annotated[IdentityType, doc("Which document it is.")]
    is_active: SwitchedOn
    is_new: Annotated[bool, doc("Waits for staff.")]
    file: Annotated[FileCard, doc("The file.")]
    refused_at: Annotated[str | None, doc("When staff refused it (ISO 8601), or null.")]
    refusal_reason: Annotated[str, doc("Why staff refused it, as the member is told.")]


class PaymentCard(Shape):
    id: CardId
    member: Annotated[int, doc("The member's id.")]
    type: Annotated[PaymentType, doc("`top_up`, `payout` or `partial_payout`.")]
    type_name: Annotated[str, doc("The payment type's name, for people.")]
    status: Annotated[
        PaymentStatus,
        doc(
            "`pending`, `confirmed`, `failed`, `reversed` or `expired`;"
            " `refund_pending_approval` (a refund waiting for a second admin) or"
            " `refund_requested` (asked of the gateway, not yet reversed)."
        ),
    ]
    amount: Annotated[float | None, doc("How much, in hryvnias.")]
    date: Annotated[str | None, doc("When the money moved (or the checkout began), ISO 8601.")]
    request: Annotated[int | None, doc("The request a payout pays.")]
    source: Annotated[PaymentSource, doc("`gateway` (LiqPay) or `manual` (recorded by staff).")]
    payment_identifier: Annotated[str | None, doc("The gateway order id (gateway payments).")]
    iban: Annotated[str, doc("The payout account (IBAN).")]
    extended_to: Annotated[str | None, doc("Paid until after this payment, `YYYY-MM-DD`.")]
    created_by: Annotated[
        int | None, doc("The staff user who made it; null for the command line or the system.")
    ]
    approved_by: Annotated[
        int | None, doc("The second staff user who approved a four-eyes payout.")
    ]
    needs_approval: Annotated[
        bool,
        doc(
            "A payout over the four-eyes threshold: it waits for (or had) a second staff"
            " user's approval."
        ),
    ]
    gateway: Annotated[
        str | None, doc("The gateway that took it (`liqpay`); null for what staff recorded.")
    ]
    created_at: MadeAt


class PaymentListed(PaymentCard):
    """A payment in the registry: with its member, and its request's diagnosis."""

    member_name: Annotated[str, doc("The member's full name.")]
    certificate: Certificate
    diagnos: Annotated[str | None, doc("The request's diagnosis.")]


class CorrectionCard(Shape):
    id: CardId
    first_name: Annotated[str, doc("First name.")]
    middle_name: Annotated[str, doc("Middle name (patronymic).")]
    last_name: Annotated[str, doc("Last name.")]
    birth_date: Annotated[str | None, doc("Birth date, `YYYY-MM-DD`.")]
    created_at: MadeAt
    resolved_at: Annotated[str | None, doc("When staff resolved it.")]
    resolved_by: Annotated[int | None, doc("The staff user who resolved it.")]


class RequestCard(Shape):
    id: CardId
    member: Annotated[int, doc("The member's id.")]
    status: Annotated[
        RequestStatus, doc("`opened`, `awaiting_agent`, `awaiting_client` or `closed`.")
    ]
    resolution: Annotated[
        Resolution | None, doc("How a closed request ended: `paid`, `rejected` or `withdrawn`.")
    ]
    reason: Annotated[str, doc("Why it was rejected.")]
    request_text: Annotated[str, doc("What the aid is for.")]
    diagnos: Annotated[str, doc("The request's diagnosis.")]
    suma: Annotated[float | None, doc("The approved amount, in hryvnias; null until set.")]
    has_duplicate_files: Annotated[bool, doc("One of its files is also on another request.")]
    date: Annotated[str | None, doc("When the money moved (or the checkout began), ISO 8601.")]
    date_modified: Annotated[str | None, doc("When it last changed, ISO 8601.")]


class RequestListed(RequestCard):
    member_name: Annotated[str, doc("The member's full name.")]
    certificate: Certificate
    files: Annotated[list[FileCard], doc("Its files.")]


class MessageCard(Shape):
    id: CardId
    message: Annotated[str, doc("The text.")]
    author: Annotated[Literal["member", "staff"], doc("Who wrote it.")]
    author_name: Annotated[str, doc("The writer's name.")]
    created_at: MadeAt


class RequestFull(RequestListed):
    messages: Annotated[list[MessageCard], doc("The conversation, oldest first.")]
    charges: Annotated[list[PaymentCard], doc("The payouts of the request.")]


class PayoutType(Shape):
    code: Annotated[str, doc("The payout type's code.")]
    name: PersonName


class NotificationCard(Shape):
    id: CardId
    member: Annotated[int, doc("The member told.")]
    event: Annotated[EventKind, doc("What the member was told of.")]
    text: Annotated[str, doc("What the member was told, in the member's language.")]
    state: Annotated[
        DeliveryState,
        doc("`pending` (not delivered yet), `sent` (see `channel`) or `failed` (see `reason`)."),
    ]
    channel: Annotated[
        str, doc("How it was delivered: `push`, `sms`, or `inbox` (only in the app).")
    ]
    reason: Annotated[str, doc("Why it waits or failed; empty once sent.")]
    attempts: Annotated[int, doc("Failed tries so far.")]
    request: Annotated[int | None, doc("The request it is about, if any.")]
    payment: Annotated[int | None, doc("The payment it is about, if any.")]
    created_at: Annotated[str | None, doc("When it was made, ISO 8601.")]
    sent_at: Annotated[str | None, doc("When it was delivered, ISO 8601; null until then.")]
    read_at: Annotated[str | None, doc("When the member read it, ISO 8601; null while unread.")]


class NotificationList(Shape):
    data: Annotated[list[NotificationCard], doc("The notifications, newest first.")]
    total: Annotated[int, doc("How many match, on every page.")]


class RequestWithPayoutTypes(RequestFull):
    payout_types: Annotated[list[PayoutType], doc("The payout types staff may record.")]
    notifications: Annotated[
        list[NotificationCard], doc("What the member was told about the request, newest first.")
    ]


class MemberFile(Shape):
    member: Annotated[MemberCard, doc("The member's id.")]
    actual_program: Annotated[ProgramCard | None, doc("The member's current program.")]
    new_program: Annotated[ProgramCard | None, doc("The program change waiting for staff.")]
    programs: Annotated[list[MemberProgramCard], doc("Every program choice, oldest first.")]
    current_identities: Annotated[list[IdentityCard], doc("The accepted identity documents.")]
    new_identities: Annotated[list[IdentityCard], doc("Documents waiting for staff.")]
    identities: Annotated[list[IdentityCard], doc("Every document ever uploaded.")]
    requests: Annotated[list[RequestCard], doc("The member's requests.")]
    payments: Annotated[list[PaymentCard], doc("The member's payments.")]
    corrections: Annotated[list[CorrectionCard], doc("The member's reports of wrong data.")]
    notifications: Annotated[
        list[NotificationCard], doc("What the member was told lately, newest first.")
    ]


class AuditCard(Shape):
    id: CardId
    event_type: Annotated[EventType, doc("What happened.")]
    actor_kind: Annotated[ActorKind, doc("Who acted: `member`, `staff` or `system`.")]
    actor_id: Annotated[
        int | None, doc("The acting member's or staff user's id; null for the system.")
    ]
    object_kind: Annotated[ObjectKind, doc("What it is about.")]
    object_id: Annotated[str, doc("The id of what it is about.")]
    details: Annotated[
        dict[str, Any], doc("What the event recorded (fields changed, amounts, addresses…).")
    ]
    at: Annotated[str | None, doc("When, ISO 8601 (UTC).")]


class MonthLineOut(Shape):
    month: Annotated[str, doc("The month, `YYYY-MM`.")]
    program: Annotated[str, doc("The program's name (empty: no program).")]
    money_in: Annotated[float, doc("Contributions confirmed, in hryvnias.")]
    money_out: Annotated[float, doc("Payouts confirmed, in hryvnias.")]
    reversed: Annotated[
        float, doc("Confirmed contributions the gateway took back that month, in hryvnias.")
    ]
    balance: Annotated[float, doc("`money_in` − `reversed` − `money_out`, in hryvnias.")]


# -- envelopes -----------------------------------------------------------------------------
class SignInOut(Shape):
    access_token: Annotated[
        str, doc("The staff token: send it as `Authorization: Bearer <token>`.")
    ]
    user: Annotated[SignedInUser, doc("Who signed in.")]


class StaffList(Shape):
    data: Annotated[list[StaffCard], ANSWER]


class StaffOne(Shape):
    data: Annotated[StaffCard, ANSWER]


class StaffCreated(Shape):
    data: Annotated[StaffCard, ANSWER]
    initial_password: Annotated[
        str, doc("The generated password, shown this once: hand it to the person.")
    ]


class Done(Shape):
    status: Success
    message: Annotated[str, doc("The text.")]


class PasswordChanged(Shape):
    status: Success
    message: Annotated[str, doc("The text.")]
    # a new token when one changed one's own password (every older token has ended)
    access_token: Annotated[
        str | None, doc("The staff token: send it as `Authorization: Bearer <token>`.")
    ] = None


class MemberList(Shape):
    data: Annotated[list[MemberCard], ANSWER]


class CertificateOut(Shape):
    data: Annotated[str, ANSWER]


class MemberSaved(Shape):
    status: Success
    data: Annotated[MemberCard, ANSWER]


class ProgramList(Shape):
    status: Success
    data: Annotated[list[ProgramCard], ANSWER]


class ProgramOne(Shape):
    status: Success
    data: Annotated[ProgramCard, ANSWER]


class PaymentSaved(Shape):
    status: Success
    data: Annotated[PaymentCard, ANSWER]


class PaymentPage(Shape):
    status: Success
    data: Annotated[list[PaymentListed], ANSWER]
    total: Total


class RequestPage(Shape):
    data: Annotated[list[RequestListed], ANSWER]
    total: Total


class RequestSaved(Shape):
    status: Success
    data: Annotated[RequestFull, ANSWER]


class RequestOpened(Shape):
    data: Annotated[RequestWithPayoutTypes, ANSWER]


class AuditPage(Shape):
    data: Annotated[list[AuditCard], ANSWER]
    total: Total


class FundReportOut(Shape):
    from_: Annotated[str | None, doc("The first day of the report.")] = msgspec.field(name="from")
    to: Annotated[str | None, doc("The last day of the report.")]
    money_in: Annotated[
        float,
        doc("Contributions confirmed in the period (including ones reversed later), in hryvnias."),
    ]
    money_out: Annotated[float, doc("Payouts confirmed, in hryvnias.")]
    months: Annotated[list[MonthLineOut], doc("Money in, reversed and out by month and program.")]
    members_by_status: Annotated[dict[str, int], doc("How many members have each status.")]
    reversed: Annotated[
        float, doc("Reversals of confirmed contributions dated in the period, in hryvnias.")
    ]
    balance: Annotated[
        float, doc("The period's `money_in` − `reversed` − `money_out`, in hryvnias.")
    ]
    balance_total: Annotated[
        float,
        doc(
            "The balance since the fund began, up to the end of the period (or today), in"
            " hryvnias; may be negative."
        ),
    ]
    notifications: Annotated[
        dict[str, int],
        doc(
            "Notifications made in the period: sent by `push`, by `sms`, or kept in the"
            " app's `inbox` only; `failed`; `pending`."
        ),
    ]
    money_in_by_gateway: Annotated[
        dict[str, float],
        doc(
            "`money_in` by the gateway that took it (`liqpay`, `monobank`), and `manual`"
            " for money staff recorded, in hryvnias."
        ),
    ] = msgspec.field(default_factory=dict)
