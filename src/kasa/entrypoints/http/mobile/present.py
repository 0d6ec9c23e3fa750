"""The members' app's answers, made from the reads' views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import msgspec

from kasa.application.views import (
    FileView,
    PaymentView,
    ProfileView,
    ProgramView,
    RequestDetail,
    RequestView,
    ReviewView,
)
from kasa.domain.identity import IdentityType
from kasa.domain.membership import MembershipState
from kasa.domain.payments import HELD, PaymentStatus
from kasa.entrypoints.http.fields import amount, dmy, iso, money
from kasa.entrypoints.http.mobile import schemas as s
from kasa.entrypoints.paths import MEMBER_FILE, PROGRAM_TERMS
from kasa.entrypoints.settings import Settings


@attrs.frozen
class Shapes:
    """Turns views into the app's answers; file links need the APIs' public URLs."""

    settings: Settings

    def file_url(self, member_id: int | None, stored_name: str) -> str:
        return f"{self.settings.http.public_url}{MEMBER_FILE}/{member_id}/{stored_name}"

    def program(self, program: ProgramView) -> s.ProgramOut:
        terms = program.terms_file
        return s.ProgramOut(
            program_id=program.id,
            program_name=program.name,
            program_file=f"{self.settings.http.admin_public_url}{PROGRAM_TERMS}/{terms}"
            if terms
            else "",
            month_price=money(program.month_price),
        )

    def profile(self, view: ProfileView) -> s.ProfileOut:
        m = view.member
        return s.ProfileOut(
            id=m.id,
            phone=m.phone,
            first_name=m.first_name,
            middle_name=m.middle_name,
            last_name=m.last_name,
            email=m.email,
            birth_date=dmy(m.birth_date),
            passport_data=m.passport_data,
            inn=m.inn,
            iban=m.iban,
            photo=self.file_url(m.id, view.photo) if view.photo else "",
            certificate=m.certificate,
            expiration_date=dmy(m.membership.paid_until),
            is_active=m.is_active,
            is_submitted=m.is_submitted,
            status=m.status,
            membership=MembershipState(view.membership),
            credit=money(m.membership.credit),
            program=self.program(view.program) if view.program else None,
        )

    def review(self, view: ReviewView, fields: Mapping[IdentityType, str]) -> s.ReviewOut:
        return s.ReviewOut(
            review_state=view.state,
            profile=self.profile(view.profile) if view.profile else None,
            refused_documents=[
                s.RefusedDocument(
                    type=doc.identity_type,
                    field=fields[doc.identity_type],
                    reason=doc.refusal_reason,
                    refused_at=dmy(doc.refused_at) or "",
                    file=self.file_url(doc.file.member_id, doc.file.stored_name),
                )
                for doc in view.refused_documents
            ],
        )

    @staticmethod
    def charge(payment: PaymentView, diagnosis: str) -> s.Charge:
        return s.Charge(
            date=dmy(payment.moved_at),
            sum=money(payment.amount),
            diagnosis=diagnosis,
            request_id=payment.request_id,
            type=payment.payment_type,
        )

    @staticmethod
    def top_up(payment: PaymentView) -> s.TopUpOut:
        return s.TopUpOut(
            dmy(payment.moved_at),
            money(payment.amount),
            dmy(payment.extended_to),
            as_member_sees(payment.status),
            payment.gateway,
        )

    @staticmethod
    def payment(payment: PaymentView) -> s.PaymentOut:
        status = as_member_sees(payment.status)
        confirmed = payment.payment_date if status == "confirmed" else None
        return s.PaymentOut(
            payment.payment_identifier or "",
            payment.gateway,
            money(payment.amount),
            status,
            iso(payment.created_at) or "",
            iso(confirmed),
            dmy(payment.extended_to),
        )

    def files(self, files: Sequence[FileView]) -> list[s.FileOut]:
        return [
            s.FileOut(f.id, f.original_name, self.file_url(f.member_id, f.stored_name))
            for f in files
        ]

    def summary(self, r: RequestView) -> s.RequestSummary:
        return s.RequestSummary(
            id=r.id,
            status=r.status,
            comment=r.request_text,
            date=dmy(r.created_at),
            date_modified=dmy(r.updated_at),
            sum=amount(r.approved_amount),
            diagnos=r.diagnosis,
            files=self.files(r.files),
        )

    def detail(self, view: RequestDetail) -> s.RequestDetail:
        r = view.request
        return s.RequestDetail(
            **msgspec.structs.asdict(self.summary(r)),
            messages=[
                s.MessageOut(m.id, m.message, m.author, m.author_name, m.created_at.isoformat())
                for m in view.messages
            ],
            charges=[self.charge(p, r.diagnosis) for p in view.charges],
        )


def as_member_sees(status: PaymentStatus) -> s.MemberPaymentStatus:
    """A refund under way is, for the member, a confirmed payment until it is reversed."""
    if status in HELD:
        return "confirmed"
    return status.value  # type: ignore[return-value]
