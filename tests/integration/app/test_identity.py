"""Documents shared from Diia."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest

from kasa.application.settings import FundSettings
from kasa.domain.audit import EventType
from kasa.domain.errors import DeliveryFailed, InvalidInput, TooLarge
from kasa.domain.identity import IdentityType
from kasa.domain.members import MemberStatus
from tests.integration.app.helpers import INN, PDF, Fund


def diia_payload(request_id: str, **person: Any) -> tuple[str, dict[str, bytes]]:
    passport = {
        "lastNameUA": "Шевченко",
        "firstNameUA": "Тарас",
        "middleNameUA": "Григорович",
        "birthday": "09.03.1990",
        "docNumber": "000123456",
        "issueDate": "01.02.2020",
        "residenceUA": "м. Київ",
        "taxpayerNumber": INN,
        "fileName": "passport.pdf",
    }
    passport.update(person)
    meta = {
        "requestId": request_id,
        "data": {"internal-passport": [passport], "taxpayer-card": [{"fileName": "tax.pdf"}]},
    }
    encoded = base64.b64encode(json.dumps(meta, ensure_ascii=False).encode()).decode()
    return encoded, {"passport.pdf": PDF + b"p", "tax.pdf": PDF + b"t"}


def test_sharing_starts_with_a_deep_link_and_a_remembered_request(fund: Fund) -> None:
    member_id = fund.sign_up()
    link = fund.diia.start(member_id)
    assert link.deeplink.endswith(link.request_id)
    assert fund.tables().members[member_id].diia_request_id == link.request_id


def test_callback_fills_the_profile_and_stores_documents_as_new(fund: Fund) -> None:
    member_id = fund.approved_member()
    link = fund.diia.start(member_id)
    encoded, files = diia_payload(link.request_id)
    assert fund.diia.receive(encoded, files, link.request_id) == member_id
    member = fund.tables().members[member_id]
    assert (member.last_name, member.first_name, member.birth_date) == (
        "Шевченко",
        "Тарас",
        date(1990, 3, 9),
    )
    assert str(member.inn) == INN and "000123456" in member.passport_data
    assert member.has_new_passport_data and member.status is MemberStatus.APPROVED
    assert member.diia_request_id is None and "Шевченко" in (member.diia_answer or "")
    new = [d for d in fund.tables().identities.values() if d.is_new]
    assert {d.identity_type for d in new} == {
        IdentityType.ID_CARD_FRONT,
        IdentityType.TAX_NUMBER_CARD,
    }
    # the same callback again finds no member waiting: refused, nothing doubled
    with pytest.raises(InvalidInput, match="No member is waiting"):
        fund.diia.receive(encoded, files, link.request_id)
    assert len(fund.events(EventType.DIIA_RECEIVED)) == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda enc, files, rid: ("not base64!", files, rid), "cannot be decrypted"),
        (lambda enc, files, rid: (enc, {"tax.pdf": files["tax.pdf"]}, rid), "missing"),
        (lambda enc, files, rid: (enc, files, "another-id"), "differ"),
        (lambda enc, files, rid: (diia_payload("unknown")[0], files, None), "No member"),
        (
            lambda enc, files, rid: (diia_payload(rid, birthday="1990-03-09")[0], files, rid),
            "birth date",
        ),
        (
            lambda enc, files, rid: (diia_payload(rid, taxpayerNumber="1234567890")[0], files, rid),
            "check digit",
        ),
    ],
)
def test_refusals_are_recorded_and_write_nothing(fund: Fund, mutate: Any, message: str) -> None:
    member_id = fund.sign_up()
    link = fund.diia.start(member_id)
    encoded, files = diia_payload(link.request_id)
    blobs_before = dict(fund.fakes.files.blobs)
    with pytest.raises(InvalidInput, match=message):
        fund.diia.receive(*mutate(encoded, files, link.request_id))
    assert fund.fakes.files.blobs == blobs_before
    member = fund.tables().members[member_id]
    assert member.first_name == "" and member.diia_request_id == link.request_id
    assert len(fund.events(EventType.CALLBACK_REFUSED)) == 1


def test_diia_down_is_a_clear_error(fund: Fund) -> None:
    member_id = fund.sign_up()
    fund.fakes.identity.unreachable = True
    with pytest.raises(DeliveryFailed):
        fund.diia.start(member_id)
    assert fund.tables().members[member_id].diia_request_id is None


def test_undecryptable_callbacks_are_audited_once_a_minute_per_address(fund: Fund) -> None:
    for _ in range(5):
        with pytest.raises(InvalidInput, match="cannot be decrypted"):
            fund.diia.receive("not base64!", {}, None, "203.0.113.5")
    [refused] = fund.events(EventType.CALLBACK_REFUSED)
    assert refused.details["source"] == "diia" and refused.details["address"] == "203.0.113.5"
    fund.fakes.clock.advance(minutes=2)
    with pytest.raises(InvalidInput):
        fund.diia.receive("not base64!", {}, None, "203.0.113.5")
    latest = fund.events(EventType.CALLBACK_REFUSED)[-1]
    assert latest.details["not_audited_before"] == 4 and latest.details["total_from_address"] == 6


def test_diia_documents_count_toward_the_members_storage() -> None:
    small = Fund.build(FundSettings(member_storage_bytes=10))
    member_id = small.sign_up()
    link = small.diia.start(member_id)
    encoded, files = diia_payload(link.request_id)
    with pytest.raises(TooLarge):
        small.diia.receive(encoded, files, link.request_id)
    assert small.fakes.files.blobs == {}
