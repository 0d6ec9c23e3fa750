"""What the admin site sends (msgspec Structs), in the field names the site uses, each
described for the API reference. Dates are read as ``YYYY-MM-DD`` (or ``dd.mm.YYYY``);
money is a JSON number of hryvnias."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile

from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.identity import REFUSAL_REASON_MAX
from kasa.domain.payments import PaymentType
from kasa.domain.requests import RequestStatus
from kasa.domain.staff import Role
from kasa.entrypoints.http.fields import DATE_IN, E164, EMAIL, LOGIN, MAX_ID, POSITIVE, Id, doc

Offset = Annotated[int, doc("How many to skip (for paging).", ge=0, le=10**9)]
Limit = Annotated[int, doc("How many at most, 1 to 500.", ge=1, le=500)]
MemberIdField = Annotated[Id, doc("The member's id.")]
Login = Annotated[
    str,
    doc(
        "The staff user's login: latin letters, digits, `.`, `_`, `-`; at most 32 characters.",
        pattern=LOGIN,
        examples=["olena"],
    ),
]
OptionalText = "; unchanged when missing"
PaidRequest = Annotated[
    int,
    doc("The request a payout pays (required for payouts, refused for top-ups).", ge=1, le=MAX_ID),
]
OwnerId = Annotated[int, doc("The member it must belong to (a check).", ge=1, le=MAX_ID)]
ActorId = Annotated[int, doc("The acting member's or staff user's id.", ge=1, le=MAX_ID)]
# the admin site sends an empty resolution when it is not closing the request
ResolutionText = Literal["paid", "rejected", "withdrawn", ""]


class SignIn(msgspec.Struct):
    """A staff user's login and password."""

    login: Annotated[str, doc("The login (any letter case).", examples=["olena"])]
    password: Annotated[str, doc("The password.")]


class FileQuery(msgspec.Struct):
    """Which member's file to read."""

    user_id: MemberIdField
    filename: Annotated[str, doc("The file's stored name, as in the member's file.")]


ROLE = "`admin` (also manages staff accounts) or `operator`."


class NewStaff(msgspec.Struct):
    """A new staff account; its password is generated and answered once."""

    login: Login
    email: Annotated[str, doc("E-mail address.", pattern=EMAIL, max_length=128)] | None = None
    is_active: Annotated[bool, doc("false to create it switched off.")] = True
    name: Annotated[str, doc("The person's name.", examples=["Олена Шевчук"])] = ""
    phone: Annotated[str | None, doc("Phone (E.164).")] = None
    role: Annotated[Role, doc(ROLE)] = Role.OPERATOR


class StaffChanges(msgspec.Struct):
    """Changes to a staff account; what is missing stays as it is."""

    id: Annotated[Id, doc("The staff user's id.")]
    email: Annotated[str | None, doc(f"E-mail address; empty clears it{OptionalText}.")] = None
    is_active: Annotated[bool | None, doc(f"false switches the account off{OptionalText}.")] = None
    login: (
        Annotated[
            str,
            doc(
                "A new login: latin letters, digits, `.`, `_`, `-`; at most 32 characters;"
                " unchanged when missing.",
                pattern=LOGIN,
            ),
        ]
        | None
    ) = None
    name: Annotated[str | None, doc(f"The person's name{OptionalText}.")] = None
    phone: Annotated[str | None, doc(f"Phone (E.164); empty clears it{OptionalText}.")] = None
    role: Annotated[Role | None, doc(f"{ROLE} Unchanged when missing.")] = None


class PasswordChange(msgspec.Struct):
    """A new password: one's own (with the old one), or an admin's for anyone."""

    new_password: Annotated[
        str,
        doc(
            "The new password: 10 to 256 characters, not starting or ending with a space.",
            min_length=10,
            max_length=256,
        ),
    ]
    old_password: Annotated[str | None, doc("The current password (for one's own).")] = None
    id: (
        Annotated[
            int, doc("Whose password (an admin's choice); one's own when missing.", ge=1, le=MAX_ID)
        ]
        | None
    ) = None


class SearchFields(msgspec.Struct):
    """Where to look for the words; everywhere when none is chosen."""

    name: Annotated[bool, doc("First and last names.")] = False
    middle_name: Annotated[bool, doc("Middle names.")] = False
    passport: Annotated[bool, doc("Passport data.")] = False
    inn: Annotated[bool, doc("Tax numbers.")] = False
    iban: Annotated[bool, doc("IBANs.")] = False
    certificate: Annotated[bool, doc("Certificate numbers.")] = False


class MemberFilter(msgspec.Struct):
    """The words to find."""

    query: Annotated[
        str,
        doc(
            "Words, each of which must begin a word of a chosen field (case and"
            " apostrophes ignored; at most 10 words, 200 characters). Empty: the review"
            " queue.",
            max_length=200,
            examples=["Коваль Олена"],
        ),
    ] = ""
    fields: Annotated[SearchFields, doc("The fields to search.")] = msgspec.field(
        default_factory=SearchFields
    )


class MemberSearch(msgspec.Struct):
    """The review queue, or a search, a page at a time."""

    filter: Annotated[MemberFilter, doc("What to find.")] = msgspec.field(
        default_factory=MemberFilter
    )
    limit: Limit = 50
    offset: Offset = 0


class MemberId(msgspec.Struct):
    """Which one."""

    id: Annotated[Id, doc("The id.")]


class MemberEdit(msgspec.Struct):
    """A member's form as the admin site saves it: corrections, and what the member
    should be. Only differences from the member as they are act: `is_submitted: true`
    for an approved member or `is_active: true` for an active one decide nothing."""

    id: MemberIdField
    first_name: Annotated[str | None, doc(f"First name{OptionalText}.")] = None
    middle_name: Annotated[str | None, doc(f"Middle name{OptionalText}.")] = None
    last_name: Annotated[str | None, doc(f"Last name{OptionalText}.")] = None
    email: Annotated[str | None, doc(f"E-mail address{OptionalText}.")] = None
    iban: Annotated[str | None, doc(f"The payout account, a Ukrainian IBAN{OptionalText}.")] = None
    birth_date: Annotated[str | None, doc(f"Birth date, `YYYY-MM-DD`{OptionalText}.")] = None
    certificate: (
        Annotated[
            str,
            doc(f"The certificate number, unique{OptionalText}.", min_length=1, max_length=32),
        ]
        | None
    ) = None
    passport_data: Annotated[str | None, doc(f"Passport series and number{OptionalText}.")] = None
    inn: Annotated[str | None, doc(f"The tax number (RNOKPP), 10 digits{OptionalText}.")] = None
    phone: (
        Annotated[str, doc(f"The member's phone (E.164){OptionalText}.", pattern=E164)] | None
    ) = None
    is_active: Annotated[
        bool | None, doc("false blocks the member, true unblocks; unchanged when missing.")
    ] = None
    is_submitted: Annotated[
        bool | None,
        doc(
            "true approves a profile awaiting review (it needs a certificate number);"
            " false for an approved profile is refused (409: block the member instead)."
        ),
    ] = None
    approve_program_change: Annotated[bool, doc("true accepts the pending program change.")] = False
    approve_documents: Annotated[bool, doc("true accepts the new identity documents.")] = False
    refuse_documents: (
        Annotated[
            str,
            doc(
                "Refuses the new identity documents, telling the member why (shown to"
                " the member with the profile's review); a profile awaiting review goes"
                " back to the member to submit again. Not with `approve_documents` or"
                " an approval.",
                min_length=1,
                max_length=REFUSAL_REASON_MAX,
            ),
        ]
        | None
    ) = None


class ProgramForm(msgspec.Struct):
    """A program (multipart form): no `id` creates one; what is missing stays."""

    id: (
        Annotated[int, doc("The program to change; a new one when missing.", ge=1, le=MAX_ID)]
        | None
    ) = None
    month_price: Annotated[
        Decimal | None,
        doc(
            "The price of 30 days in hryvnias, more than 0 (required for a new program).",
            extra={POSITIVE: True},
        ),
    ] = None
    program_file: Annotated[
        str | None, doc("The stored name of an uploaded terms file to use as the terms.")
    ] = None
    new_program_file: Annotated[
        UploadFile | None, doc("A new terms file: PDF, JPEG, PNG or plain text.")
    ] = None
    program_name: Annotated[
        str | None, doc("The name (required for a new program), at most 128 characters.")
    ] = None
    is_active: Annotated[bool | None, doc("false stops offering it to members.")] = None


class ManualPayment(msgspec.Struct):
    """Money that moved outside the gateway: a contribution that reached the fund's
    account (`top_up`), or a payout of a request (`payout` or `partial_payout`; which one
    the amount decides)."""

    member: MemberIdField
    type: Annotated[PaymentType, doc("`top_up`, `payout` or `partial_payout`.")]
    date: Annotated[str, doc("When the money moved, `YYYY-MM-DD`.", pattern=DATE_IN)]
    amount: Annotated[
        Decimal,
        doc("How much, in hryvnias: more than 0, two decimals at most.", extra={POSITIVE: True}),
    ]
    request: PaidRequest | None = None


class PaymentFilter(msgspec.Struct):
    """Which payments: every filter given must hold."""

    type: Annotated[list[PaymentType] | None, doc("Only these types.")] = None
    date_start: Annotated[str, doc("From this day, `YYYY-MM-DD`.", pattern=DATE_IN)] | None = None
    date_end: Annotated[str, doc("Up to this day, included.", pattern=DATE_IN)] | None = None
    amount_start: Annotated[Decimal | None, doc("At least this many hryvnias.")] = None
    amount_end: Annotated[Decimal | None, doc("At most this many hryvnias.")] = None
    certificate: Annotated[str | None, doc("The member's certificate number.")] = None
    offset: Offset = 0
    limit: Limit = 50


class RequestFilter(msgspec.Struct):
    """Which requests: every filter given must hold; newest first."""

    query: Annotated[
        str | None, doc("Words beginning words of the text, diagnosis or member's name.")
    ] = None
    date_start: (
        Annotated[str, doc("Filed from this day, `YYYY-MM-DD`.", pattern=DATE_IN)] | None
    ) = None
    date_end: Annotated[str, doc("Filed up to this day, included.", pattern=DATE_IN)] | None = None
    status: Annotated[
        list[RequestStatus], doc('Only these statuses; `["opened"]` when missing.')
    ] = msgspec.field(default_factory=lambda: [RequestStatus.OPENED])
    limit: Limit = 50
    offset: Offset = 0


class RequestChanges(msgspec.Struct):
    """A request's form as the admin site saves it: an assessment and the status it
    should have (closing needs a resolution; a resolution is given only when closing;
    `opened` for a closed request reopens it)."""

    id: Annotated[Id, doc("The request's id.")]
    request_text: Annotated[str | None, doc(f"The request's text, corrected{OptionalText}.")] = None
    diagnos: Annotated[
        str | None, doc(f"The diagnosis{OptionalText}.", examples=["J06 — ГРВІ"])
    ] = None
    suma: Annotated[
        Decimal | None,
        doc(
            f"The approved amount in hryvnias, more than 0 (not below what is paid out)"
            f"{OptionalText}.",
            extra={POSITIVE: True},
        ),
    ] = None
    status: Annotated[
        RequestStatus | None,
        doc("`opened`, `awaiting_agent`, `awaiting_client` or `closed`; unchanged when missing."),
    ] = None
    resolution: Annotated[
        ResolutionText | None,
        doc(
            "When closing: `paid` (payouts reached the approved amount), `rejected` or `withdrawn`."
        ),
    ] = None
    reason: Annotated[
        str | None,
        doc(
            "Why, when rejecting (required then); the member sees it.",
            examples=["Витрати не покриває програма «Базова»."],
        ),
    ] = None


class StaffMessage(msgspec.Struct):
    """A message to the member about a request."""

    request_id: Annotated[Id, doc("The request's id.")]
    message: Annotated[
        str,
        doc(
            "The text, 1 to 4000 characters.",
            min_length=1,
            max_length=4000,
            examples=["Надішліть, будь ласка, рецепт лікаря."],
        ),
    ]


class RequestRead(msgspec.Struct):
    """Which request."""

    request: Annotated[Id, doc("The request's id.")]
    member: OwnerId | None = None


class RefundReason(msgspec.Struct):
    """Why a contribution is given back."""

    reason: Annotated[
        str,
        doc(
            "Why (required, at most 500 characters); kept in the audit trail.",
            examples=["Сплачено двічі помилково."],
        ),
    ]


class PayoutApproval(msgspec.Struct):
    """Which payout to approve."""

    payment_id: Annotated[Id, doc("The pending payout's id.")]


class AuditFilter(msgspec.Struct):
    """Which events: every filter given must hold; newest first."""

    object_kind: Annotated[ObjectKind | None, doc("What the events are about.")] = None
    object_id: Annotated[str | None, doc("The id of what they are about.")] = None
    actor_kind: Annotated[ActorKind | None, doc("Who acted: `member`, `staff` or `system`.")] = None
    actor_id: ActorId | None = None
    event_type: Annotated[list[EventType] | None, doc("Only these kinds of event.")] = None
    date_start: Annotated[str, doc("From this day, `YYYY-MM-DD`.", pattern=DATE_IN)] | None = None
    date_end: Annotated[str, doc("Up to this day, included.", pattern=DATE_IN)] | None = None
    limit: Limit = 50
    offset: Offset = 0
