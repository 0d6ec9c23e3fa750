"""What the members' app sends and what it gets back (msgspec Structs), in the field
names the app uses, each described for the API reference. Dates go out as
``dd.mm.YYYY``; money as a JSON number of hryvnias with at most two decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile

from kasa.domain.events import EventKind
from kasa.domain.identity import IdentityType
from kasa.domain.members import MemberStatus, ReviewState
from kasa.domain.membership import MembershipState
from kasa.domain.notifications import TOKEN_PATTERN, Language, Platform
from kasa.domain.payments import PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus
from kasa.entrypoints.http.fields import (
    DATE_IN,
    E164,
    MONEY_OUT,
    POSITIVE,
    UA_IBAN,
    Code,
    Id,
    Phone,
    Success,
    doc,
)

NAME = "at most 32 characters; letters, apostrophes, hyphens and spaces"
FirstName = Annotated[
    str, doc(f"First name, {NAME}.", min_length=1, max_length=32, examples=["Олена"])
]
MiddleName = Annotated[
    str,
    doc(f"Middle name (patronymic), {NAME}; may be empty.", max_length=32, examples=["Петрівна"]),
]
LastName = Annotated[
    str, doc(f"Last name, {NAME}.", min_length=1, max_length=32, examples=["Коваль"])
]
DOCUMENT = (
    "A scan or photo of {what}: JPEG, PNG, PDF or plain text, at most the server's upload"
    " limit (10 MiB unless set otherwise)."
)
Document = Annotated[UploadFile, doc(DOCUMENT.format(what="the document"))]
Receipts = Annotated[
    list[UploadFile],
    doc(
        "Receipts or prescriptions: any number of files (at most 20 unless set otherwise).",
        max_length=20,
    ),
]
Hryvnias = Annotated[float, doc(f"An amount in {MONEY_OUT}.")]
OutDate = Annotated[str | None, doc("A date as `dd.mm.YYYY`; null when there is none.")]
ProgramId = Annotated[Id, doc("The program's id, from `GET /program/list`.", examples=[1])]
RequestId = Annotated[int, doc("The request's id.")]
Statuses = Annotated[
    list[RequestStatus] | None,
    doc("Only requests in these statuses; all of them when missing or empty."),
]
Text = Annotated[str, doc("A human-readable message, in English.")]


# -- what the app sends ---------------------------------------------------------------
class SignRequest(msgspec.Struct):
    """Ask for a sign-in code by SMS."""

    phone: Phone
    create: Annotated[
        bool,
        doc(
            "true for a first sign-in (the phone is not registered yet): without it a new"
            " phone is refused with 422 `User does not exist`; with it a registered phone is"
            " refused with 422 `User already exist`."
        ),
    ] = False


class SignIn(msgspec.Struct):
    """Sign in with the code sent to the phone."""

    phone: Phone
    code: Code


class PhoneConfirm(msgspec.Struct):
    """Confirm a new phone with the code sent to it."""

    phone: Phone
    code: Code


class ProfileForm(msgspec.Struct):
    """The profile with its identity documents (multipart form): the tax number card,
    and either both sides of the ID card (`id_1`, `id_2`) or the passport book's two
    pages and address page (`book_1`, `book_2`, `book_address`)."""

    first_name: FirstName
    last_name: LastName
    email: Annotated[
        str,
        doc(
            "E-mail address, at most 128 characters.",
            max_length=128,
            examples=["olena@example.com"],
        ),
    ]
    program_id: ProgramId
    iban: Annotated[
        str,
        doc(
            "The member's bank account for payouts: a Ukrainian IBAN, `UA` and 27 digits"
            " (its check digits are checked: a wrong one answers 400).",
            pattern=UA_IBAN,
            examples=["UA213223130000026007233566001"],
        ),
    ]
    inn: Annotated[UploadFile, doc(DOCUMENT.format(what="the tax number (RNOKPP) card"))]
    middle_name: MiddleName = ""
    id_1: Annotated[UploadFile | None, doc(DOCUMENT.format(what="the ID card's front"))] = None
    id_2: Annotated[UploadFile | None, doc(DOCUMENT.format(what="the ID card's back"))] = None
    book_1: Annotated[UploadFile | None, doc(DOCUMENT.format(what="the passport's first page"))] = (
        None
    )
    book_2: Annotated[
        UploadFile | None, doc(DOCUMENT.format(what="the passport's second page"))
    ] = None
    book_address: Annotated[
        UploadFile | None, doc(DOCUMENT.format(what="the passport's address page"))
    ] = None


class ProfileEditForm(msgspec.Struct):
    """Contacts and photo (multipart form); what is missing stays as it is."""

    email: Annotated[str, doc("A new e-mail address.", max_length=128)] | None = None
    phone: (
        Annotated[
            str,
            doc(
                "A new phone (E.164): it changes only once confirmed with the code sent to it"
                " (`POST /user/profile/phone/confirm`).",
                pattern=E164,
            ),
        ]
        | None
    ) = None
    photo: Annotated[UploadFile | None, doc("A new photo: JPEG or PNG.")] = None


class WrongData(msgspec.Struct):
    """What the member says their name and birth date really are."""

    first_name: FirstName
    last_name: LastName
    middle_name: MiddleName = ""
    birth_date: (
        Annotated[
            str, doc("Birth date as `dd.mm.YYYY` (or `YYYY-MM-DD`), 1900–2200.", pattern=DATE_IN)
        ]
        | None
    ) = None


class ProgramChoice(msgspec.Struct):
    """The program the member wants next."""

    program_id: ProgramId


class Period(msgspec.Struct):
    """An optional range of dates, both ends included."""

    begin: (
        Annotated[
            str,
            doc(
                "First day, `dd.mm.YYYY` (or `YYYY-MM-DD`); from the start when missing.",
                pattern=DATE_IN,
            ),
        ]
        | None
    ) = None
    end: (
        Annotated[
            str,
            doc(
                "Last day, `dd.mm.YYYY` (or `YYYY-MM-DD`); until today when missing.",
                pattern=DATE_IN,
            ),
        ]
        | None
    ) = None


class StatusFilter(msgspec.Struct):
    """Which of the member's requests to list."""

    status: Statuses = None


class MessageIn(msgspec.Struct):
    """A message to the fund about a request."""

    message: Annotated[
        str,
        doc(
            "The text, 1 to 4000 characters.",
            min_length=1,
            max_length=4000,
            examples=["Додаю рецепт лікаря до чека."],
        ),
    ]


class RequestForm(msgspec.Struct, frozen=True):
    """A new request for aid (multipart form)."""

    comment: Annotated[
        str,
        doc(
            "What the aid is for, at most 4000 characters.",
            max_length=4000,
            examples=["Ліки після операції: чеки з аптеки за вересень."],
        ),
    ] = ""
    files: Receipts = msgspec.field(default_factory=list)


NO_REQUEST_FORM = RequestForm()


class RequestFilesForm(msgspec.Struct):
    """More files for a request (multipart form): at least one."""

    id: Annotated[Id, doc("The request's id.")]
    files: Annotated[
        list[UploadFile], doc("Receipts or prescriptions: at least one file.", min_length=1)
    ] = msgspec.field(default_factory=list)


class TopUp(msgspec.Struct):
    """A contribution to pay through the gateway."""

    amount: Annotated[
        Decimal,
        doc(
            "How much to pay, in hryvnias: more than 0, at most two decimals. Every"
            " 30 days of membership cost the program's monthly price.",
            extra={POSITIVE: True},
        ),
    ]


class GatewayCallback(msgspec.Struct):
    """LiqPay's callback (form fields)."""

    data: Annotated[str, doc("LiqPay's base64 JSON about the payment.")]
    signature: Annotated[str, doc("LiqPay's signature of `data` (base64 SHA-1).")]


class DiiaCallbackForm(msgspec.Struct):
    """Diia's callback (multipart form) with the shared documents as files."""

    encodeData: Annotated[str, doc("Diia's encrypted description of the shared documents.")]  # noqa: N815 - the name Diia sends


# -- what it gets back -----------------------------------------------------------------
class Message(msgspec.Struct):
    message: Text


class ProfileEdited(msgspec.Struct, omit_defaults=True):
    message: Text
    phone_change: Annotated[
        Literal["code_sent"] | None,
        doc(
            "`code_sent` when a code went to the new phone: the phone changes once it is"
            " confirmed; absent when no phone change was asked for."
        ),
    ] = None


class StatusMessage(msgspec.Struct):
    status: Success
    message: Text


class AccessToken(msgspec.Struct):
    access_token: Annotated[
        str, doc("The member's token: send it as `Authorization: Bearer <token>`.")
    ]


class ProgramOut(msgspec.Struct):
    program_id: Annotated[int, doc("The program's id.")]
    program_name: Annotated[str, doc("The program's name.")]
    program_file: Annotated[
        str, doc("A link to the program's terms (a public file); empty when there are none.")
    ]
    month_price: Annotated[float, doc(f"The price of 30 days, in {MONEY_OUT}.")]


class ProfileOut(msgspec.Struct):
    id: Annotated[int, doc("The member's id.")]
    phone: Annotated[str, doc("The member's phone (E.164).")]
    first_name: Annotated[str, doc("First name.")]
    middle_name: Annotated[str, doc("Middle name (patronymic).")]
    last_name: Annotated[str, doc("Last name.")]
    email: Annotated[str, doc("E-mail address.")]
    birth_date: OutDate
    passport_data: Annotated[str, doc("Passport series and number as staff entered them.")]
    inn: Annotated[str, doc("The tax number (RNOKPP), 10 digits.")]
    iban: Annotated[str, doc("The bank account for payouts (IBAN).")]
    photo: Annotated[str, doc("A link to the member's photo; empty when there is none.")]
    certificate: Annotated[str, doc("The member's certificate number.")]
    expiration_date: Annotated[
        str | None,
        doc("Paid until: the first day not paid for (`dd.mm.YYYY`); null before any payment."),
    ]
    is_active: Annotated[bool, doc("false when the member is blocked.")]
    is_submitted: Annotated[bool, doc("true once the profile is approved.")]
    status: Annotated[MemberStatus, doc("Where the member's profile stands.")]
    membership: Annotated[
        MembershipState,
        doc(
            "Today: `active` (paid), `grace` (unpaid, within the grace days), `expired`,"
            " or `none` (never paid)."
        ),
    ]
    credit: Annotated[
        float, doc(f"Paid beyond whole days, carried to the next payment, in {MONEY_OUT}.")
    ]
    program: Annotated[ProgramOut | None, doc("The member's current program.")]


class RefusedDocument(msgspec.Struct):
    type: Annotated[IdentityType, doc("Which document it is.")]
    field: Annotated[str, doc("The profile form's file field that uploads this document again.")]
    reason: Annotated[str, doc("Why staff refused it, in their words.")]
    refused_at: Annotated[str, doc("When staff refused it, `dd.mm.YYYY`.")]
    file: Annotated[str, doc("A link to the refused file.")]


class ReviewOut(msgspec.Struct):
    review_state: Annotated[
        ReviewState,
        doc(
            "`not_submitted` (no profile yet, or staff sent it back: see"
            " `refused_documents`), `under_review` (staff have not decided yet),"
            " `approved` or `blocked`."
        ),
    ]
    profile: Annotated[
        ProfileOut | None,
        doc(
            "The profile as submitted, its `program` the one chosen last (waiting for"
            " staff or current); null before the first submission and for a blocked member."
        ),
    ]
    refused_documents: Annotated[
        list[RefusedDocument],
        doc("Documents staff refused and the member has not uploaded again."),
    ]


class MemberProgramOut(msgspec.Struct):
    id: Annotated[int, doc("The id of the member's program choice.")]
    program_id: Annotated[int, doc("The program's id.")]
    program_name: Annotated[str, doc("The program's name.")]
    month_price: Annotated[float, doc(f"The price of 30 days, in {MONEY_OUT}.")]
    is_active: Annotated[bool, doc("true for the member's current program.")]
    is_new: Annotated[bool, doc("true while the choice waits for staff.")]


class ProgramChanged(msgspec.Struct):
    status: Success
    message: Text
    data: Annotated[MemberProgramOut, doc("The choice, waiting for staff.")]


class Charge(msgspec.Struct):
    date: Annotated[str | None, doc("When the fund paid (`dd.mm.YYYY`).")]
    sum: Annotated[float, doc(f"How much, in {MONEY_OUT}.")]
    diagnosis: Annotated[str, doc("The request's diagnosis, as staff wrote it.")]
    request_id: Annotated[int | None, doc("The request paid.")]
    type: Annotated[
        PaymentType, doc("`payout` (the rest of the approved amount) or `partial_payout`.")
    ]


# a payment's status as members see it: a refund under way is still a confirmed payment
# until the gateway reverses it
MemberPaymentStatus = Literal["pending", "confirmed", "failed", "reversed", "expired"]


class TopUpOut(msgspec.Struct):
    date: Annotated[
        str | None, doc("When the money arrived, or the checkout began (`dd.mm.YYYY`).")
    ]
    sum: Annotated[float, doc(f"How much, in {MONEY_OUT}.")]
    payed_to: Annotated[
        str | None, doc("Paid until, after this payment (`dd.mm.YYYY`); null until confirmed.")
    ]
    status: Annotated[
        MemberPaymentStatus,
        doc(
            "`pending` (waiting for the gateway), `confirmed` (also while a refund staff"
            " asked for is under way), `failed`, `reversed`, or `expired` (a checkout nobody"
            " paid in time; a late payment still confirms it)."
        ),
    ]
    gateway: Annotated[
        str | None, doc("The gateway that took it (`liqpay`); null for money staff recorded.")
    ] = None


class PaymentMethod(msgspec.Struct):
    name: Annotated[str, doc("The gateway's name, as payments carry it (`liqpay`).")]
    title: Annotated[str, doc("The gateway's name for people.")]
    subscription: Annotated[bool, doc("Whether it takes a monthly subscription.")]


class PaymentOut(msgspec.Struct):
    order_id: Annotated[str, doc("The order id of the checkout.")]
    gateway: Annotated[str | None, doc("The gateway that takes it (`liqpay`).")]
    amount: Annotated[float, doc(f"How much, in {MONEY_OUT}.")]
    status: Annotated[
        MemberPaymentStatus,
        doc(
            "`pending`, `confirmed` (also while a refund is under way), `failed`, `reversed`"
            " or `expired`."
        ),
    ]
    created_at: Annotated[str, doc("When the checkout began, ISO 8601.")]
    confirmed_at: Annotated[str | None, doc("When it was confirmed, ISO 8601; null until then.")]
    paid_until: OutDate


class FileOut(msgspec.Struct):
    id: Annotated[int, doc("The file's id.")]
    filename: Annotated[str, doc("The name the file was uploaded with.")]
    url: Annotated[str, doc("A link to download it (with the member's token).")]


class MessageOut(msgspec.Struct):
    id: Annotated[int, doc("The message's id.")]
    message: Annotated[str, doc("The text.")]
    author: Annotated[Literal["member", "staff"], doc("Who wrote it.")]
    author_name: Annotated[str, doc("The writer's name.")]
    created_at: Annotated[str, doc("When, in ISO 8601 with the time zone.")]


REQUEST_STATUS = (
    "`opened` (new), `awaiting_agent` (the fund's turn), `awaiting_client` (the member's"
    " turn: answer or add files), or `closed`."
)


class RequestSummary(msgspec.Struct):
    id: RequestId
    status: Annotated[RequestStatus, doc(REQUEST_STATUS)]
    comment: Annotated[str, doc("What the aid is for.")]
    date: Annotated[str | None, doc("When it was filed (`dd.mm.YYYY`).")]
    date_modified: Annotated[str | None, doc("When it last changed (`dd.mm.YYYY`).")]
    sum: Annotated[float | None, doc(f"The approved amount, in {MONEY_OUT}; null until set.")]
    diagnos: Annotated[str, doc("The diagnosis, as staff wrote it.")]
    files: Annotated[list[FileOut], doc("The request's files.")]


class RequestDetail(RequestSummary):
    messages: Annotated[list[MessageOut], doc("The conversation, oldest first.")]
    charges: Annotated[list[Charge], doc("What the fund paid on it.")]


class CheckoutOut(msgspec.Struct):
    data: Annotated[str, doc("LiqPay's `data`: post it with `signature` to `checkout_url`.")]
    signature: Annotated[str, doc("LiqPay's `signature` of `data`.")]
    checkout_url: Annotated[str, doc("LiqPay's checkout page.")]


class MonobankCheckoutOut(msgspec.Struct):
    order_id: Annotated[str, doc("The fund's order id: ask `/user/payments/{order_id}` later.")]
    invoice_id: Annotated[str, doc("monobank's invoice id.")]
    page_url: Annotated[str, doc("monobank's payment page: open it for the member.")]


class MonobankInvoice(msgspec.Struct):
    """monobank's webhook: the invoice as it stands (JSON, signed in `X-Sign`). Only
    the fields Kasa reads are described; others are taken and ignored."""

    invoiceId: Annotated[str, doc("monobank's invoice id.")]  # noqa: N815 - monobank's name
    status: Annotated[
        Literal["created", "processing", "hold", "success", "failure", "expired", "reversed"],
        doc(
            "`created`, `processing`, `hold` (still pending), `success`, `failure`,"
            " `expired` or `reversed`."
        ),
    ]
    amount: Annotated[int, doc("The invoice's amount in kopecks.")]
    ccy: Annotated[int, doc("ISO 4217 number of the currency: 980 is UAH.")]
    reference: Annotated[str, doc("The fund's order id, given when the invoice was made.")]
    modifiedDate: Annotated[str, doc("When the invoice last changed, ISO 8601.")]  # noqa: N815


class CallbackOut(msgspec.Struct):
    status: Success
    payment_status: Annotated[PaymentStatus, doc("The payment's status now.")]
    changed: Annotated[bool, doc("false when the callback changed nothing (a repeat).")]


class DiiaLinkOut(msgspec.Struct):
    deeplink: Annotated[str, doc("Open it on the phone: Diia asks the member to share.")]
    request_id: Annotated[str, doc("Diia's id of this sharing request.")]


class DiiaDone(msgspec.Struct):
    success: Annotated[bool, doc("Always true (failures answer an error).")]


# -- being told -------------------------------------------------------------------------
class DeviceIn(msgspec.Struct):
    token: Annotated[
        str,
        doc("The phone's Firebase Cloud Messaging registration token.", pattern=TOKEN_PATTERN),
    ]
    platform: Annotated[Platform, doc("`android` or `ios`.")]


class Done(msgspec.Struct):
    status: Success
    message: Text


class NotificationOut(msgspec.Struct):
    id: Annotated[int, doc("The notification's id (page back with `before_id`).")]
    event: Annotated[
        EventKind,
        doc(
            "What happened: `message`, `request_moved`, `payout`, `payment_confirmed`,"
            " `payment_reversed`, `profile_reviewed`, `membership_expiring`, `blocked`,"
            " `unblocked`."
        ),
    ]
    text: Annotated[str, doc("What the member is told, in the member's language.")]
    created_at: Annotated[str, doc("When, ISO 8601 with the offset (UTC).")]
    read_at: Annotated[str | None, doc("When the member marked it read; null while unread.")]
    request_id: Annotated[int | None, doc("The request it is about, if any.")]
    payment_id: Annotated[int | None, doc("The payment it is about, if any.")]


class ReadMarks(msgspec.Struct):
    ids: (
        Annotated[
            list[int],
            doc("The notifications to mark read (at most 500; others are left).", max_length=500),
        ]
        | None
    ) = None
    all: Annotated[bool, doc("true marks every notification read (`ids` then unused).")] = False


class ReadDone(msgspec.Struct):
    status: Success
    marked: Annotated[int, doc("How many were unread and are read now.")]


class NotifySettings(msgspec.Struct):
    push: Annotated[bool, doc("Push notifications to the member's phones.")] = True
    sms: Annotated[
        bool,
        doc(
            "SMS for the events that have one when push cannot reach the member (with"
            " false: only the expiry reminder, and only to a member without a phone that"
            " takes pushes)."
        ),
    ] = True
    language: Annotated[Language, doc("The texts' language: `uk` or `en`.")] = Language.UK
