"""Reference data the schema needs: identity types, payment types, request statuses,
with the names people read (the admin site shows them). Loading is idempotent: missing
rows are added, names brought up to date."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kasa.domain.identity import IdentityType
from kasa.domain.payments import PaymentType
from kasa.domain.requests import RequestStatus

IDENTITY_TYPES = {
    IdentityType.ID_CARD_FRONT: "ID-картка, лицьовий бік",
    IdentityType.ID_CARD_BACK: "ID-картка, зворотний бік",
    IdentityType.PASSPORT_PAGE_1: "Паспорт, сторінка 1",
    IdentityType.PASSPORT_PAGE_2: "Паспорт, сторінка 2",
    IdentityType.PASSPORT_ADDRESS_PAGE: "Паспорт, сторінка з адресою",
    IdentityType.TAX_NUMBER_CARD: "Картка платника податків",
}
PAYMENT_TYPES = {
    PaymentType.TOP_UP: "Поповнення",
    PaymentType.PAYOUT: "Відшкодування",
    PaymentType.PARTIAL_PAYOUT: "Часткове відшкодування",
}
REQUEST_STATUSES = {
    RequestStatus.OPENED: "Відкрито",
    RequestStatus.AWAITING_AGENT: "Очікує працівника",
    RequestStatus.AWAITING_CLIENT: "Очікує учасника",
    RequestStatus.CLOSED: "Закрито",
}
REFERENCE: dict[str, dict[str, str]] = {
    "identity_types": {k.value: v for k, v in IDENTITY_TYPES.items()},
    "payment_types": {k.value: v for k, v in PAYMENT_TYPES.items()},
    "request_statuses": {k.value: v for k, v in REQUEST_STATUSES.items()},
}


def load_reference_data(connection: sa.Connection) -> int:
    """Add missing reference rows and correct changed names; returns rows written."""
    written = 0
    for name, rows in REFERENCE.items():
        table = sa.table(name, sa.column("code", sa.String), sa.column("name", sa.String))
        existing: dict[str, Any] = dict(
            connection.execute(sa.select(table.c.code, table.c.name)).all()
        )
        for code, title in rows.items():
            if code not in existing:
                connection.execute(sa.insert(table).values(code=code, name=title))
                written += 1
            elif existing[code] != title:
                connection.execute(sa.update(table).where(table.c.code == code).values(name=title))
                written += 1
    return written
