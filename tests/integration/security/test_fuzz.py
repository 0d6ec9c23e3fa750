"""Both apps fuzzed from their own OpenAPI documents with schemathesis, in process,
signed in as a member and as an admin: no input may produce a server error, and every
answer must be one the document promises: a documented status code, content type and
headers, and a body that conforms to the documented schema.

Schemathesis' two checks about inputs (``positive_data_acceptance``,
``negative_data_rejection``) are left out: the documents describe the shape of each
input, while the rules behind them (a valid Ukrainian tax number, an IBAN's check
digits, a phone number's plan) are the domain's, so schema-valid data may rightly be
refused with 400."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kasa.application.ports import TokenAudience
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import Fund
from tests.integration.http.conftest import build_kasa

EXAMPLES = 20


def _world() -> tuple[Any, Any, str, str]:
    kasa, fakes = build_kasa(Path(tempfile.mkdtemp(prefix="kasa-fuzz-")))
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    member_id = fund.approved_member(fund.program())
    fund.requests.create(member_id, "receipt", [])
    tokens = kasa.adapters.tokens()
    return (
        kasa,
        fund,
        tokens.issue(TokenAudience.MEMBER, member_id),
        tokens.issue(TokenAudience.STAFF, fund.admin_id),
    )


KASA, FUND, MEMBER_TOKEN, STAFF_TOKEN = _world()
mobile = schemathesis.openapi.from_asgi("/docs/openapi.json", create_mobile_app(KASA))
admin = schemathesis.openapi.from_asgi("/docs/openapi.json", create_admin_app(KASA))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def no_server_error(case: Any, token: str) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    assert "Traceback" not in response.text


@mobile.parametrize()
@FUZZ
def test_mobile_api_never_fails_on_input(case: Any) -> None:
    no_server_error(case, MEMBER_TOKEN)


@admin.parametrize()
@FUZZ
def test_admin_api_never_fails_on_input(case: Any) -> None:
    no_server_error(case, STAFF_TOKEN)
