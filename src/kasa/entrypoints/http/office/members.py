"""Members in the office: the search and the review queue, paged; a member's card with
their documents shown inline (each view audited); and the decisions staff take there
(approve, accept or refuse new documents, accept a program change, block, unblock), each
asked for confirmation first and its result shown on the card."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect

from kasa.application.books import Books
from kasa.application.members import BackOfficeMembers, MemberData
from kasa.application.reads import AuditQuery, Page
from kasa.application.views import MemberDetail, MemberView, NotificationQuery
from kasa.domain.audit import ObjectKind
from kasa.domain.errors import Conflict, InvalidInput, KasaError, NotFound
from kasa.domain.members import MemberStatus
from kasa.domain.search import query_terms
from kasa.domain.values import Email, Iban, Phone, TaxNumber
from kasa.entrypoints.http.common import file_response
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.errors import STATUS
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.office.base import (
    PATH,
    Form,
    PageNumber,
    field_errors,
    page,
    require_form_token,
    signed_in,
)
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_date

PER_PAGE = 50
CARD_ROWS = 10  # notifications and audit events on the card; the rest a link away


@get(f"{PATH}/members", include_in_schema=False)
@given_straight
async def members(
    request: Request[Any, Any, Any],
    back_office: NamedDependency[BackOfficeMembers],
    q: Annotated[str, QueryParameter(max_length=200)] = "",
    number: PageNumber = 1,
) -> Response[str]:
    """The review queue (no words), or the members every word finds (name, phone,
    certificate, tax number), a page at a time."""
    user = signed_in(request)
    words = query_terms(q.split())
    found = await read(
        back_office.search,
        user.staff_id,
        words,
        frozenset(),
        Page(PER_PAGE + 1, (number - 1) * PER_PAGE),
    )
    return page(
        request,
        "members.html",
        "Учасники" if words else "Учасники на перевірці",
        section="members",
        members=list(found)[:PER_PAGE],
        query=q,
        number=number,
        more=len(found) > PER_PAGE,
    )


@get(f"{PATH}/members/{{member_id:int}}", include_in_schema=False)
@given_straight
async def member_card(
    request: Request[Any, Any, Any],
    back_office: NamedDependency[BackOfficeMembers],
    books: NamedDependency[Books],
    member_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
) -> Response[str]:
    """A member's whole file: profile, program, documents, payments, requests, the
    latest notifications and the latest of the audit trail (each with a link to all)."""
    user = signed_in(request)
    detail = await read(back_office.detail, user.staff_id, member_id)
    latest = Page(CARD_ROWS, 0)
    told = await read(
        books.notifications, user.staff_id, NotificationQuery(member_id=member_id), latest
    )
    trail = await read(
        books.audit_trail,
        user.staff_id,
        AuditQuery(object_kind=ObjectKind.MEMBER, object_id=str(member_id)),
        latest,
    )
    name = " ".join(part for part in (detail.member.last_name, detail.member.first_name) if part)
    name = name or detail.member.phone
    done = request.query_params.get("done", "")
    return page(
        request,
        "member.html",
        name,
        section="members",
        detail=detail,
        name=name,
        notifications=told,
        trail=trail,
        done=DONE.get(done, ""),
        actions=available(detail),
    )


# what each decision is called, asked and said when done
ACTIONS = {
    "approve": ("Схвалити учасника", "Схвалити профіль і видати номер посвідчення?"),
    "accept_documents": ("Прийняти документи", "Прийняти нові документи учасника?"),
    "refuse_documents": (
        "Відхилити документи",
        "Відхилити нові документи? Учасник отримає причину і подасть їх знову.",
    ),
    "accept_program": ("Прийняти зміну програми", "Прийняти нову програму учасника?"),
    "block": ("Заблокувати", "Заблокувати учасника? Він не зможе користуватися застосунком."),
    "unblock": ("Розблокувати", "Розблокувати учасника?"),
}
DONE = {
    "correct": "Дані виправлено; зміни записано до журналу.",
    "unchanged": "Нічого не змінено.",
    "approve": "Учасника схвалено.",
    "accept_documents": "Документи прийнято.",
    "refuse_documents": "Документи відхилено; учасник отримав причину.",
    "accept_program": "Зміну програми прийнято.",
    "block": "Учасника заблоковано.",
    "unblock": "Учасника розблоковано.",
}
Action = Annotated[str, PathParameter(max_length=32)]


def known(action: str) -> str:
    if action not in ACTIONS:
        raise NotFound("Такої сторінки немає.")
    return action


def available(detail: MemberDetail) -> list[tuple[str, str]]:
    """The decisions the member's state allows, as (action, its name)."""
    member = detail.member
    found = []
    if member.status is MemberStatus.PENDING_REVIEW:
        found.append("approve")
    if detail.new_identities:
        found += ["accept_documents", "refuse_documents"]
    if detail.new_program is not None and member.status is MemberStatus.APPROVED:
        found.append("accept_program")
    found.append("unblock" if member.status is MemberStatus.BLOCKED else "block")
    return [(action, ACTIONS[action][0]) for action in found]


# what staff may correct on a member's file, in the form's order
CORRECTED = (
    "last_name",
    "first_name",
    "middle_name",
    "birth_date",
    "passport_data",
    "inn",
    "phone",
    "email",
    "iban",
    "certificate",
)


def _as_typed(member: MemberView) -> dict[str, str]:
    """The member's data as the correction form shows it."""
    shown = {name: getattr(member, name) or "" for name in CORRECTED}
    shown["birth_date"] = member.birth_date.isoformat() if member.birth_date else ""
    return {name: str(value) for name, value in shown.items()}


def _corrections(member: MemberView, typed: dict[str, str]) -> MemberData:
    """What the form changes: only the fields typed differently from the file; a field
    of its own kind (date, tax number, phone, e-mail, IBAN) is read as that kind."""
    before = _as_typed(member)
    changed = {
        name: typed.get(name, "").strip()
        for name in CORRECTED
        if typed.get(name, "").strip() != before[name]
    }
    if "birth_date" in changed and not changed["birth_date"]:
        raise InvalidInput.field("birth_date", "is required")
    kinds: dict[str, Any] = {
        "birth_date": lambda text: parse_date(text, "birth_date"),
        "inn": lambda text: TaxNumber.parse(text, "inn"),
        "phone": lambda text: Phone.parse(text, "phone"),
        "email": lambda text: Email.parse(text, "email"),
        "iban": lambda text: Iban.parse(text, "iban"),
    }
    parsed: dict[str, Any] = {
        name: kinds[name](text) if name in kinds else text for name, text in changed.items()
    }
    return MemberData(**parsed)


async def _correction_form(
    request: Request[Any, Any, Any],
    member: MemberView,
    typed: dict[str, str],
    error: KasaError | None = None,
) -> Response[str]:
    return page(
        request,
        "correct.html",
        "Виправити дані",
        status=(STATUS.get(type(error)) or 400) if error else 200,
        section="members",
        member=member,
        values=typed,
        fields=CORRECTED,
        errors=field_errors(error) if error else {},
    )


@get(f"{PATH}/members/{{member_id:int}}/correct", include_in_schema=False)
@given_straight
async def correction_form(
    request: Request[Any, Any, Any],
    back_office: NamedDependency[BackOfficeMembers],
    member_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
) -> Response[str]:
    """The member's data as a form: what staff change is corrected, the rest stays."""
    user = signed_in(request)
    member = (await read(back_office.detail, user.staff_id, member_id)).member
    return await _correction_form(request, member, _as_typed(member))


@post(f"{PATH}/members/{{member_id:int}}/correct", include_in_schema=False, status_code=303)
@given_straight
async def correct(
    request: Request[Any, Any, Any],
    back_office: NamedDependency[BackOfficeMembers],
    member_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: Form,
) -> Response[Any]:
    """The correction, by the admin API's use case (audited with the fields changed); a
    value it cannot take brings the form back with the error beside its field."""
    user = require_form_token(request, data)
    member = (await read(back_office.detail, user.staff_id, member_id)).member
    typed = {name: str(data.get(name, ""))[:500] for name in CORRECTED}
    try:
        corrections = _corrections(member, typed)
        if corrections.given():
            await run(back_office.correct, user.staff_id, member_id, corrections)
    except (InvalidInput, Conflict) as error:
        return await _correction_form(request, member, typed, error)
    done = "correct" if corrections.given() else "unchanged"
    return Redirect(f"{PATH}/members/{member_id}?done={done}", status_code=303)


@get(f"{PATH}/members/{{member_id:int}}/{{action:str}}", include_in_schema=False)
@given_straight
async def decision_form(
    request: Request[Any, Any, Any],
    back_office: NamedDependency[BackOfficeMembers],
    member_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    action: Action,
) -> Response[str]:
    """The question before a decision: what will happen, and the form that does it."""
    user = signed_in(request)
    detail = await read(back_office.detail, user.staff_id, member_id)
    return _question(request, detail.member, known(action))


def _question(
    request: Request[Any, Any, Any],
    member: MemberView,
    action: str,
    *,
    reason: str = "",
    error: InvalidInput | None = None,
) -> Response[str]:
    name, question = ACTIONS[action]
    errors = field_errors(error) if error else {}
    if "refuse_documents" in errors:  # the API's name for the reason
        errors["reason"] = errors.pop("refuse_documents")
    return page(
        request,
        "decide.html",
        name,
        status=400 if error else 200,
        section="members",
        member=member,
        action=action,
        question=question,
        reason=reason,
        errors=errors,
    )


@post(f"{PATH}/members/{{member_id:int}}/{{action:str}}", include_in_schema=False, status_code=303)
@given_straight
async def decide(
    request: Request[Any, Any, Any],
    back_office: NamedDependency[BackOfficeMembers],
    member_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    action: Action,
    data: Form,
) -> Response[Any]:
    """The decision, taken by the same use case as the admin API's; the card then says
    what was done (a refusal's reason it cannot take: the question again, with why)."""
    user = require_form_token(request, data)
    staff_id = user.staff_id
    known(action)
    reason = data.get("reason", "")
    take = {
        "approve": partial(back_office.approve, staff_id, member_id, next_certificate=True),
        "accept_documents": partial(back_office.accept_documents, staff_id, member_id),
        "refuse_documents": partial(back_office.refuse_documents, staff_id, member_id, reason),
        "accept_program": partial(back_office.accept_program_change, staff_id, member_id),
        "block": partial(back_office.block, staff_id, member_id),
        "unblock": partial(back_office.unblock, staff_id, member_id),
    }[action]
    try:
        await run(take)
    except InvalidInput as error:
        member = (await read(back_office.detail, staff_id, member_id)).member
        return _question(request, member, action, reason=reason, error=error)
    return Redirect(f"{PATH}/members/{member_id}?done={action}", status_code=303)


@get(f"{PATH}/files/{{file_id:int}}", include_in_schema=False)
@given_straight
async def member_file(
    request: Request[Any, Any, Any],
    back_office: NamedDependency[BackOfficeMembers],
    file_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
) -> Response[Any]:
    """A member's document, shown inline (never as a page of ours); each view is in the
    audit trail."""
    user = signed_in(request)
    return file_response(await run(back_office.file, user.staff_id, file_id))


HANDLERS = [
    members,
    member_card,
    correction_form,
    correct,
    decision_form,
    decide,
    member_file,
]
