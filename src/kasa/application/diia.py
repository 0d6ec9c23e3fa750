"""Identity documents shared from Diia, and staff accepting new documents."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from kasa.application.access import signed_in_member
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.ports import IdentityProvider, RandomSource, SharedIdentity
from kasa.application.refusals import UnverifiedCallbacks
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.application.uploads import FileStaging, Upload
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import Busy, DeliveryFailed, InvalidInput, KasaError
from kasa.domain.files import FileKind
from kasa.domain.identity import IdentityType, new_identity, supersede_pending
from kasa.domain.values import TaxNumber


@attrs.frozen
class DiiaLink:
    deeplink: str
    request_id: str


@use_cases
@attrs.frozen
class DiiaSharing:
    uow: UnitOfWorkFactory
    clock: FundClock
    random: RandomSource
    identity: IdentityProvider
    staging: FileStaging
    refusals: UnverifiedCallbacks

    def start(self, member_id: int) -> DiiaLink:
        """Ask Diia for a sharing deep link and remember its request id on the member."""
        now = self.clock.now()
        with self.uow() as uow:
            member = signed_in_member(uow, member_id)
            request_id = self.random.request_id()
            deeplink = self.identity.start_sharing(request_id)
            member.diia_request_id = request_id
            member.updated_at = now
            audit(
                uow,
                EventType.DIIA_REQUESTED,
                Actor.member(member_id),
                ObjectKind.MEMBER,
                member_id,
                now,
                request_id=request_id,
            )
            uow.commit()
            return DiiaLink(deeplink, request_id)

    def receive(
        self,
        encode_data: str,
        files: Mapping[str, bytes],
        trace_id: str | None = None,
        address: str = "",
    ) -> int:
        """Diia posts the documents back: decrypt, match by request id, fill in the
        profile data and store the documents as new, all or nothing. Returns the member id.
        Refusals are recorded; data that cannot be decrypted is counted per address and
        audited once a minute. A failure of the file store or a busy database is not a
        refusal: it is answered as such (502, 503) and nothing is kept."""
        try:
            shared = self.identity.decode_callback(encode_data, files, trace_id)
        except InvalidInput as error:
            self.refusals.refuse("diia", ObjectKind.MEMBER, address, error.message)
            raise
        try:
            if trace_id and trace_id != shared.request_id:
                raise InvalidInput("The request id of the header and the data differ.")
            return self._store(shared)
        except (DeliveryFailed, Busy):
            raise  # our side failed for now (502, 503): Diia may send the same data again
        except KasaError as error:
            self._refused(trace_id or "", error.message)
            if isinstance(error, InvalidInput):
                raise
            raise InvalidInput(f"The Diia data was refused: {error.message}") from error

    def _store(self, shared: SharedIdentity) -> int:
        now = self.clock.now()
        uploads = [
            Upload.of(f"diia:{doc.identity_type}", doc.file_name, doc.content)
            for doc in shared.documents
        ]
        kinds = [_identity_type(doc.identity_type) for doc in shared.documents]
        with self.staging.of(uploads) as staged, self.uow() as uow:
            member = uow.members.by_diia_request(shared.request_id)
            if member is None or member.id is None:
                raise InvalidInput("No member is waiting for this Diia request.")
            member = uow.members.get_for_update(member.id)
            assert member is not None and member.id is not None
            staged.require_room(uow, member.id)
            member.set_identity_data(
                first_name=shared.first_name or None,
                middle_name=shared.middle_name if shared.first_name else None,
                last_name=shared.last_name or None,
                birth_date=shared.birth_date,
                inn=TaxNumber.parse(shared.tax_number) if shared.tax_number else None,
                passport_data=shared.passport_data or None,
                now=now,
            )
            member.diia_answer = shared.raw
            member.diia_request_id = None  # a sharing request is answered once
            existing = uow.identities.for_member(member.id)
            for upload, kind in zip(uploads, kinds, strict=True):
                stored = uow.files.add(
                    staged.save(upload, member_id=member.id, kind=FileKind.DOCUMENT)
                )
                assert stored.id is not None
                supersede_pending(existing, kind, now)
                uow.identities.add(new_identity(member.id, stored.id, kind, now))
            if uploads:
                member.documents_uploaded(now)
            audit(
                uow,
                EventType.DIIA_RECEIVED,
                Actor.system(),
                ObjectKind.MEMBER,
                member.id,
                now,
                request_id=shared.request_id,
                documents=[str(k) for k in kinds],
            )
            uow.commit()
            return member.id

    def _refused(self, request_id: str, why: str) -> None:
        with self.uow() as uow:
            audit(
                uow,
                EventType.CALLBACK_REFUSED,
                Actor.system(),
                ObjectKind.MEMBER,
                request_id or "-",
                self.clock.now(),
                source="diia",
                reason=why,
            )
            uow.commit()


def _identity_type(value: str) -> IdentityType:
    try:
        return IdentityType(value)
    except ValueError:
        raise InvalidInput(f"Diia sent a document of an unknown type: {value}.") from None
