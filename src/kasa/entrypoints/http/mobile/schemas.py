"""What the members' app sends and what it gets back (msgspec Structs), in the field
names the app uses. Dates go out as ``dd.mm.YYYY``; money as a JSON number with at most
two decimals."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from litestar.datastructures import UploadFile

from kasa.entrypoints.http.fields import Id


# -- what the app sends ---------------------------------------------------------------
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


# -- what it gets back -----------------------------------------------------------------
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
