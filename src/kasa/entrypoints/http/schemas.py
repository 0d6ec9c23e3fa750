"""msgspec Structs at the HTTP edge: what the mobile app sends and what it gets back,
in the route plan's exact field names. Dates go out as ``dd.mm.YYYY``; money as a JSON
number with at most two decimals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile

from kasa.domain.errors import InvalidInput
from kasa.domain.money import KOPECKS_PER_UAH, Money
from kasa.domain.values import check_date

# -- input helpers -------------------------------------------------------------------
MAX_ID = 2**31 - 1
# Ids from clients: a positive number a database key can hold (anything else is a 400).
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


def parse_date(text: str | None, field: str) -> date | None:
    """``dd.mm.YYYY`` or ``YYYY-MM-DD``; empty means not given."""
    value = (text or "").strip()
    if not value:
        return None
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        return check_date(day, field)
    raise InvalidInput.field(field, "must be a date as dd.mm.YYYY or YYYY-MM-DD")


def dmy(value: date | datetime | None) -> str | None:
    return None if value is None else value.strftime("%d.%m.%Y")


def money(value: Money) -> float:
    """Money for JSON: a number with at most two decimals (exact for any real amount).
    Integer division rounds correctly, so this is the float nearest to the exact amount,
    as ``float(value.to_decimal())`` is."""
    return value.kopecks / KOPECKS_PER_UAH


def amount(value: Money | None) -> float | None:
    """Like :func:`money`, keeping "not set" as null."""
    return None if value is None else money(value)


# -- requests (inputs) ---------------------------------------------------------------


class SignRequest(msgspec.Struct):
    phone: str
    create: bool = False


class SignIn(msgspec.Struct):
    phone: str
    code: str


class PhoneConfirm(msgspec.Struct):
    phone: str
    code: str


class ProfileForm(msgspec.Struct):
    first_name: str
    last_name: str
    email: str
    program_id: Id
    iban: str
    inn: UploadFile
    middle_name: str = ""
    id_1: UploadFile | None = None
    id_2: UploadFile | None = None
    book_1: UploadFile | None = None
    book_2: UploadFile | None = None
    book_address: UploadFile | None = None


class ProfileEditForm(msgspec.Struct):
    email: str | None = None
    phone: str | None = None
    photo: UploadFile | None = None


class WrongData(msgspec.Struct):
    first_name: str
    last_name: str
    middle_name: str = ""
    birth_date: str | None = None


class ProgramChoice(msgspec.Struct):
    program_id: Id


class Period(msgspec.Struct):
    begin: str | None = None
    end: str | None = None


class StatusFilter(msgspec.Struct):
    status: list[str] | None = None


class MessageIn(msgspec.Struct):
    message: str


class RequestForm(msgspec.Struct):
    comment: str = ""
    files: list[UploadFile] = msgspec.field(default_factory=list)


class RequestFilesForm(msgspec.Struct):
    id: Id
    files: list[UploadFile] = msgspec.field(default_factory=list)


class TopUp(msgspec.Struct):
    amount: Decimal


class GatewayCallback(msgspec.Struct):
    data: str
    signature: str


class DiiaCallbackForm(msgspec.Struct):
    encodeData: str  # noqa: N815 - the name Diia sends


# -- responses -----------------------------------------------------------------------


class Message(msgspec.Struct):
    message: str


class ProfileEdited(msgspec.Struct, omit_defaults=True):
    message: str
    # "code_sent" when a code went to the new phone; the change waits for its confirmation
    phone_change: str | None = None


class StatusMessage(msgspec.Struct):
    status: str
    message: str


class AccessToken(msgspec.Struct):
    access_token: str


class ProgramOut(msgspec.Struct):
    program_id: int
    program_name: str
    program_file: str
    month_price: float


class ProfileOut(msgspec.Struct):
    id: int
    phone: str
    first_name: str
    middle_name: str
    last_name: str
    email: str
    birth_date: str | None
    passport_data: str
    inn: str
    iban: str
    photo: str
    certificate: str
    expiration_date: str | None
    is_active: bool
    is_submitted: bool
    status: str
    membership: str
    credit: float
    program: ProgramOut | None


class MemberProgramOut(msgspec.Struct):
    id: int
    program_id: int
    program_name: str
    month_price: float
    is_active: bool
    is_new: bool


class ProgramChanged(msgspec.Struct):
    status: str
    message: str
    data: MemberProgramOut


class Charge(msgspec.Struct):
    date: str | None
    sum: float
    diagnosis: str
    request_id: int | None
    type: str


class TopUpOut(msgspec.Struct):
    date: str | None
    sum: float
    payed_to: str | None
    status: str


class FileOut(msgspec.Struct):
    id: int
    filename: str
    url: str


class MessageOut(msgspec.Struct):
    id: int
    message: str
    author: str
    author_name: str
    created_at: str


class RequestSummary(msgspec.Struct):
    id: int
    status: str
    comment: str
    date: str | None
    date_modified: str | None
    sum: float | None
    diagnos: str
    files: list[FileOut]


class RequestDetail(msgspec.Struct):
    id: int
    status: str
    comment: str
    date: str | None
    date_modified: str | None
    sum: float | None
    diagnos: str
    files: list[FileOut]
    messages: list[MessageOut]
    charges: list[Charge]


class CheckoutOut(msgspec.Struct):
    data: str
    signature: str
    checkout_url: str


class CallbackOut(msgspec.Struct):
    status: str
    payment_status: str
    changed: bool


class DiiaLinkOut(msgspec.Struct):
    deeplink: str
    request_id: str


class DiiaDone(msgspec.Struct):
    success: bool


class Health(msgspec.Struct):
    status: str
    database: str


class ErrorOut(msgspec.Struct):
    status: str
    message: str
    errors: dict[str, str] | None = None
