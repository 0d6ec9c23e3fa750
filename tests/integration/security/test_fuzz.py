"""Both apps fuzzed from their own OpenAPI documents with schemathesis, in process,
signed in as a member and as an admin, with schema-valid and schema-invalid inputs: no
input may produce a server error; every answer must be one the document promises (a
documented status code, content type, headers and body schema); input the document
calls valid must be taken and input it calls invalid refused; ``Allow`` of an
``OPTIONS`` answer must list the methods the document gives the path.

Valid input may still be refused where the document cannot say the rule, and these
refusals are the only ones let through (``RULES_BEYOND_A_SCHEMA``): a phone number that
fits the E.164 pattern but not its country's numbering plan, a tax number's or an IBAN's
check digits, names in any alphabet (a JSON Schema pattern cannot list every letter), a
date such as 31.02 or a range that ends before it begins, a password with spaces at its
ends, a file whose bytes are not JPEG/PNG/PDF/text or a file field sent as a text part,
multipart text that is not UTF-8, texts that are only white space (they are trimmed),
and fields one of which another requires (a new program needs a name and a price, a
payout names its request, a resolution only when closing). Answers that depend on what
the database holds are let through too: 404, 409, 422 and 429 (the limits are raised so
that 429 stays rare). The gateway's and Diia's callbacks take only data signed or
encrypted by them, which no generator can make: valid-looking data is refused there by
design.

Input the document calls invalid must be refused (``negative_data_rejection``): a JSON
body is held strictly to the documented types (no ``0`` for ``false``), and the form of
``/user/request/create``, which may be empty, is documented as optional."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kasa.application.ports import TokenAudience
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import Fund
from tests.integration.http.conftest import build_kasa

EXAMPLES = 25
# limits raised so that valid input is not refused for having come too often
ROOMY = {
    "KASA_OTP_DAILY_LIMIT": "1000000",
    "KASA_OTP_RESEND_SECONDS": "0",
    "KASA_OTP_ADDRESS_HOURLY_LIMIT": "1000000",
}
# the fields whose rules a JSON Schema cannot say (see above), as the 400 names them
RULES_BEYOND_A_SCHEMA = {
    "phone",  # the numbering plan; the fund's countries
    "inn",  # the tax number's check digit (or, in the profile form, the card's file)
    "iban",  # check digits
    "first_name",  # letters of any alphabet
    "middle_name",
    "last_name",
    "birth_date",  # a calendar date (31.02 fits the pattern)
    "begin",
    "end",
    "date",
    "date_start",
    "date_end",
    "date_from",
    "date_to",
    "from",  # a range's first day not after its last
    "new_password",  # no spaces at its ends
    "password",
    "login",  # spaces around it are trimmed
    "files",  # a file's bytes: JPEG, PNG, PDF or text
    "id_1",
    "id_2",
    "book_1",
    "book_2",
    "book_address",
    "photo",
    "new_program_file",
    "body",  # multipart text that is not UTF-8
    "program_name",  # a new program needs a name and a price
    "month_price",
    "program_file",  # must name a terms file already uploaded
    "request",  # a payout names its request, a top-up none
    "resolution",  # only when closing, and closing needs one
    "reason",  # required when rejecting
    "amount",  # more than zero where a payment is made (0 is a valid filter)
    "suma",
    "identity",  # which documents together make a profile
    "email",  # the address's rules past the pattern
    "query",  # at most 10 words
    "filter.query",
    "status",  # an export's statuses are a request's or a member's, by the export's kind
    "message",  # texts are trimmed: white space alone is no message
}
# operations whose input is signed or encrypted by an outside service
SIGNED_INPUT = {
    "POST /user/payments/liqpay-callback",
    "POST /user/payments/monobank-callback",
    "POST /user/profile/diia-callback",
}
STATE_DEPENDENT = {404, 409, 422, 429}


def _world() -> tuple[Any, Any, str, str]:
    kasa, fakes = build_kasa(Path(tempfile.mkdtemp(prefix="kasa-fuzz-")), **ROOMY)
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
for schema in (mobile, admin):
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
# the same inputs every run (they change when a document changes): a finding is fixed or
# listed above, never a failure that comes and goes between runs
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def refused_by_a_rule(case: Any, response: Any) -> bool:
    """Whether valid input was refused for a reason the document cannot say."""
    if f"{case.operation.method.upper()} {case.operation.path}" in SIGNED_INPUT:
        return True
    if response.status_code in STATE_DEPENDENT:
        return True
    if response.status_code != 400:
        return False
    fields = set(response.json().get("errors") or {})
    return bool(fields) and fields <= RULES_BEYOND_A_SCHEMA


@schemathesis.check
def valid_input_is_taken(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, less the refusals listed above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if refused_by_a_rule(case, response):
            return None
        raise


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    valid_input_is_taken,
    negative_data_rejection,
    allow_header_conformance,
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
