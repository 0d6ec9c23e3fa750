"""The ``plain`` Diia decoder for development and tests: the metadata is base64 JSON and
the files are clear. It reads the same JSON the Diia sharing service sends after
decryption (``KASA_DIIA_DECRYPTOR`` names the operator's real decryptor)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from kasa.application.ports import IdentityDocument, SharedIdentity
from kasa.domain.errors import InvalidInput
from kasa.domain.identity import IdentityType
from kasa.domain.values import check_date

DOCUMENT_TYPES = {
    "internal-passport": IdentityType.ID_CARD_FRONT,
    "taxpayer-card": IdentityType.TAX_NUMBER_CARD,
}


def decode_metadata(encode_data: str) -> dict[str, Any]:
    try:
        meta = json.loads(base64.b64decode(encode_data, validate=True))
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "The Diia data cannot be decrypted.", {"encodeData": "unreadable"}
        ) from None
    if not isinstance(meta, dict) or not meta.get("requestId"):
        raise InvalidInput("The Diia data has no request id.", {"encodeData": "no requestId"})
    return meta


def _birthday(text: str) -> date | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%d.%m.%Y").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        raise InvalidInput("The Diia birth date cannot be read.", {"birthday": text}) from None
    return check_date(day, "birthday")


def shared_identity(
    meta: Mapping[str, Any], files: Mapping[str, bytes], raw: str
) -> SharedIdentity:
    """Turn decrypted metadata and files into what Kasa keeps; every file named in the
    metadata must be there."""
    data = meta.get("data") or {}
    if not isinstance(data, dict):
        raise InvalidInput("The Diia data has no documents.", {"encodeData": "no data"})
    documents: list[IdentityDocument] = []
    person: dict[str, Any] = {}
    for scope, kind in DOCUMENT_TYPES.items():
        for entry in data.get(scope) or []:
            if not isinstance(entry, dict):
                continue
            if scope == "internal-passport" and not person:
                person = entry
            name = str(entry.get("fileName") or "")
            if not name:
                continue
            if name not in files:
                raise InvalidInput(f"The Diia file {name} is missing.", {name: "missing"})
            documents.append(IdentityDocument(kind, name, files[name]))
    passport = ", ".join(
        str(person[key]) for key in ("docNumber", "issueDate", "residenceUA") if person.get(key)
    )
    return SharedIdentity(
        request_id=str(meta["requestId"]),
        first_name=str(person.get("firstNameUA") or ""),
        middle_name=str(person.get("middleNameUA") or ""),
        last_name=str(person.get("lastNameUA") or ""),
        birth_date=_birthday(str(person.get("birthday") or "")),
        tax_number=str(person.get("taxpayerNumber") or ""),
        passport_data=passport,
        documents=tuple(documents),
        raw=raw,
    )


def decode_plain(encode_data: str, files: Mapping[str, bytes]) -> SharedIdentity:
    meta = decode_metadata(encode_data)
    return shared_identity(meta, files, json.dumps(meta, ensure_ascii=False))
