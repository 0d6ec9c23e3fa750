"""What a client developer meets: errors keyed by the field in the project's words, the
API reference, and the docs pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from kasa.domain.staff import Role
from kasa.domain.values import Phone
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.errors import ERROR_RESPONSES
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import Fund
from tests.integration.http.conftest import MobileWorld, build_kasa
from tests.integration.http.test_mobile_api import JPEG, profile_form


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"phone": "is required"}),
        ({"phone": 5}, {"phone": "must be text, not a whole number"}),
        (
            {"phone": "+380501112233", "create": "yes"},
            {"create": "must be true or false, not text"},
        ),
        (
            {"phone": "+380501112233", "create": 0},
            {"create": "must be true or false, not a whole number"},
        ),
        ([], {"body": "must be a JSON object"}),
        (
            {"phone": "0501112233"},
            {
                "phone": "must be a phone number in international form: + and digits,"
                " e.g. +380501234567"
            },
        ),
        ("+380501112233", {"body": "must be a JSON object"}),
    ],
)
def test_invalid_fields_are_named_in_the_projects_words(
    world: MobileWorld, body: Any, errors: dict[str, str]
) -> None:
    r = world.client.post("/user/signrequest", json=body)
    assert r.status_code == 400 and r.json()["errors"] == errors


@pytest.fixture(params=["mobile", "admin"])
def any_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient[Any]]:
    kasa, _ = build_kasa(tmp_path)
    make = create_mobile_app if request.param == "mobile" else create_admin_app
    with TestClient(make(kasa)) as client:
        yield client
    kasa.adapters.database().dispose()


def test_the_docs_page_loads_everything_from_the_app_itself(any_app: TestClient[Any]) -> None:
    page = any_app.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert {r.rsplit("/", 1)[-1] for r in references} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    }
    assert "://" not in page.text.split("<body")[0]  # nothing from another host
    for reference in references:
        assert reference.startswith("/docs/assets/"), reference
        asset = any_app.get(reference)
        assert asset.status_code == 200 and len(asset.content) > 1000, reference
    assert "SwaggerUIBundle" in any_app.get("/docs/assets/swagger-ui-bundle.js").text
    assert any_app.get("/docs/assets/swagger-editor.js").status_code == 404  # only the page's
    assert any_app.get("/docs/openapi.json").json()["openapi"].startswith("3.1")


# -- the API reference -----------------------------------------------------------------------
# fields whose values are one of a fixed list: the document must list them
ENUM_LIKE = {
    "status",
    "payment_status",
    "resolution",
    "type",
    "payment_type",
    "source",
    "role",
    "identity_type",
    "event_type",
    "event_types",
    "actor_kind",
    "object_kind",
    "author",
    "phone_change",
}


def schemas_in(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object under ``node`` that has properties, with where it is."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield path, node
        for key, value in node.items():
            yield from schemas_in(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from schemas_in(value, f"{path}/{n}")


def values_under(node: Any, keys: tuple[str, ...]) -> Iterator[Any]:
    """Everything under the given keys anywhere in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys:
                yield value
            else:
                yield from values_under(value, keys)
    elif isinstance(node, list):
        for value in node:
            yield from values_under(value, keys)


def lists_values(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether a property's schema says which values it takes (an enum, a constant, or
    a reference to one, also inside a list or beside null)."""
    if "enum" in schema or "const" in schema:
        return True
    if "$ref" in schema:
        return lists_values(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if isinstance(schema.get("items"), dict):
        return lists_values(schema["items"], components)
    options = [*schema.get("oneOf", []), *schema.get("anyOf", []), *schema.get("allOf", [])]
    real = [o for o in options if o.get("type") != "null"]
    return bool(real) and all(lists_values(o, components) for o in real)


# answers whose meaning depends on the route (not found what, which state, which rule)
# or on the caller (how to sign in again, why not allowed)
ROUTE_OWN = ("404", "409", "422")
GENERAL_WORDS = [ERROR_RESPONSES[int(code)] for code in ("401", "403", *ROUTE_OWN)]


def test_the_api_reference_describes_every_operation_field_and_value(
    any_app: TestClient[Any],
) -> None:
    document = any_app.get("/docs/openapi.json").json()
    components = document.get("components", {}).get("schemas", {})
    missing: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            text = operation.get("description", "")
            if len(text) < 40 or "May be called by" not in text:
                missing.append(f"{method.upper()} {path}: no description of what and who")
            for status, answer in operation.get("responses", {}).items():
                if not answer.get("description"):
                    missing.append(f"{method.upper()} {path} {status}: no description")
                # what a refusal of this kind means here is the route's own to say
                elif status in ROUTE_OWN and answer["description"] in GENERAL_WORDS:
                    missing.append(f"{method.upper()} {path} {status}: only general words")
                # the caller is told how to sign in again, or why it is not allowed
                elif status in ("401", "403") and answer["description"] in GENERAL_WORDS[:2]:
                    missing.append(f"{method.upper()} {path} {status}: not the caller's words")
    for where, schema in schemas_in(document):
        for name, field in schema["properties"].items():
            if not field.get("description"):
                missing.append(f"{where}.{name}: no description")
            if name in ENUM_LIKE and not lists_values(field, components):
                missing.append(f"{where}.{name}: a bare string, its values not listed")
    examples = json.dumps(list(values_under(document, ("example", "examples"))))
    missing += [f"filler example {f}" for f in re.findall(r'"([A-Za-z]{20})"', examples)]
    assert not missing, f"{len(missing)} gaps, e.g. " + "; ".join(missing[:12])


def test_options_lists_every_method_a_path_takes(tmp_path: Path) -> None:
    """Checked on every documented path of both apps, each with a token of its own."""
    kasa, fakes = build_kasa(tmp_path)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    fund.accounts.create(None, login="chief", role=Role.ADMIN, password="a long password 1")
    staff = fund.accounts.sign_in("chief", "a long password 1").access_token
    phone = Phone.parse("+380501112233")
    fund.sign.request_code(phone, True)
    member = fund.sign.sign_in(phone, fakes.sms.last_code(phone.e164))
    multi = 0
    for make, token in ((create_mobile_app, member), (create_admin_app, staff)):
        with TestClient(make(kasa)) as client:
            document = client.get("/docs/openapi.json").json()
            for path, operations in document["paths"].items():
                concrete = re.sub(r"\{[^}]+\}", "1", path)
                answer = client.options(concrete, headers={"Authorization": f"Bearer {token}"})
                documented = {m.upper() for m in operations} | {"OPTIONS"}
                allowed = {m.strip() for m in answer.headers["allow"].split(",")}
                assert allowed >= documented, (path, allowed, documented)
                anonymous = client.options(concrete)  # which methods: no token needed
                assert (anonymous.status_code, anonymous.headers["allow"]) == (
                    204,
                    answer.headers["allow"],
                ), path
                multi += len(documented) > 2
    assert multi >= 5  # /member, /program, /request, /user, /user/{id} take two methods or more
    kasa.adapters.database().dispose()


def test_document_errors_name_the_form_fields(world: MobileWorld) -> None:
    _, headers = world.sign_up("+380501112233")
    program_id = world.fund.program()
    r = world.client.post(
        "/user/profile/create",
        headers=headers,
        data=profile_form(program_id),
        files=[
            ("inn", ("inn.jpg", JPEG + b"1", "image/jpeg")),
            ("id_1", ("front.jpg", JPEG + b"2", "image/jpeg")),
        ],
    )
    assert r.status_code == 400, r.text
    missing = r.json()["errors"]["identity"]
    assert "id_2" in missing and "book_address" in missing, missing
    assert "id_card" not in r.text and "passport_page" not in r.text


def test_a_body_the_route_may_go_without_is_documented_as_optional(world: MobileWorld) -> None:
    _, headers = world.sign_up("+380501112233")
    paths = world.client.get("/docs/openapi.json").json()["paths"]
    for path in ("/user/request/list", "/user/charges/list", "/user/request/create"):
        assert paths[path]["post"]["requestBody"]["required"] is False
        assert world.client.post(path, headers=headers).status_code != 400  # taken without one
    assert paths["/user/signin"]["post"]["requestBody"]["required"] is True


def test_a_json_body_is_held_to_the_documented_types(tmp_path: Path) -> None:
    """No number for a boolean or text for a number, as the document says; a whole number
    written with a zero fraction is a whole number, as in JSON Schema."""
    kasa, fakes = build_kasa(tmp_path)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    fund.accounts.create(None, login="chief", role=Role.ADMIN, password="a long password 1")
    headers = {
        "Authorization": "Bearer "
        + fund.accounts.sign_in("chief", "a long password 1").access_token
    }
    search = {"filter": {"query": "", "fields": {"certificate": False}}, "offset": 0}
    with TestClient(create_admin_app(kasa)) as client:
        assert client.post("/members", headers=headers, json={**search, "limit": 50.0}).is_success
        for bad, errors in (
            ({"limit": "50"}, {"limit": "must be a whole number, not text"}),
            ({"limit": 5.5}, {"limit": "must be a whole number, not a number"}),
            (
                {"filter": {"query": "", "fields": {"certificate": 0}}},
                {"filter.fields.certificate": "must be true or false, not a whole number"},
            ),
        ):
            r = client.post("/members", headers=headers, json={**search, **bad})
            assert r.status_code == 400 and r.json()["errors"] == errors, r.text
    kasa.adapters.database().dispose()


def test_a_route_answering_a_stored_file_documents_every_kind_of_file(
    any_app: TestClient[Any],
) -> None:
    document = any_app.get("/docs/openapi.json").json()
    answering_files = {
        (path, method): set(op["responses"]["200"].get("content", {}))
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "application/pdf" in op.get("responses", {}).get("200", {}).get("content", {})
    }
    expected = {"image/jpeg", "image/png", "application/pdf", "text/plain"}
    assert answering_files and all(kinds == expected for kinds in answering_files.values())
    plain_text_only = [
        (path, method)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if set(op.get("responses", {}).get("200", {}).get("content", {})) == {"text/plain"}
    ]
    assert plain_text_only == []  # a file route no longer says only text/plain


def test_what_the_schema_allows_is_what_the_route_takes(tmp_path: Path) -> None:
    """Bounds a route keeps are in its schema: an amount that must be more than zero is
    `exclusiveMinimum: 0`, a login and a member's phone have their patterns (so an empty
    one is invalid by the schema, not only by the route)."""
    kasa, _ = build_kasa(tmp_path)
    with TestClient(create_admin_app(kasa)) as client:
        schemas = client.get("/docs/openapi.json").json()["components"]["schemas"]
    amount = schemas["ManualPayment"]["properties"]["amount"]
    assert amount["exclusiveMinimum"] == 0 and "minimum" not in amount
    for where, name in (("RequestChanges", "suma"), ("ProgramForm", "month_price")):
        number = schemas[where]["properties"][name]["oneOf"][0]  # it may be left out
        assert number["exclusiveMinimum"] == 0 and "minimum" not in number, where

    def pattern(schema: dict[str, Any]) -> str:
        return str(schema.get("pattern") or schema["oneOf"][0]["pattern"])

    login = pattern(schemas["StaffChanges"]["properties"]["login"])
    phone = pattern(schemas["MemberEdit"]["properties"]["phone"])
    assert login.startswith("^[A-Za-z0-9]") and phone == r"^\+[1-9][0-9]{7,14}$"


def test_no_path_parameter_may_be_left_out(any_app: TestClient[Any]) -> None:
    """A route with and without an id is two operations: a generated client cannot call
    an operation whose path parameter is nullable."""
    document = any_app.get("/docs/openapi.json").json()
    nullable = [
        (path, method, parameter["name"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
        and (not parameter.get("required") or "null" in json.dumps(parameter.get("schema", {})))
    ]
    assert nullable == []
    if "/user/{user_id}" in document["paths"]:
        assert {"/user", "/user/{user_id}"} <= set(document["paths"])


def test_every_summary_is_a_whole_sentence_without_markup(any_app: TestClient[Any]) -> None:
    document = any_app.get("/docs/openapi.json").json()
    summaries = [
        operation["summary"]
        for item in document["paths"].values()
        for operation in item.values()
        if "summary" in operation
    ]
    assert summaries
    for summary in summaries:
        assert summary.endswith(".") and summary[0].isupper(), summary
        assert "`" not in summary and "**" not in summary, summary


def test_an_amount_is_a_json_number_never_text(world: MobileWorld, tmp_path: Path) -> None:
    """`"300"` is not the number the document asks for; `300` and `300.5` are."""
    world.fund.approved_member()
    member_id, headers = world.sign_up("+380501117777")
    text = world.client.post("/user/payments/liqpay", headers=headers, json={"amount": "300"})
    assert text.status_code == 400
    assert text.json()["errors"] == {"amount": "must be a number, not text"}
    number = world.client.post("/user/payments/liqpay", headers=headers, json={"amount": 300})
    assert number.status_code == 422  # past the schema: this member has not submitted yet
    kasa, fakes = build_kasa(tmp_path / "admin")
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    fund.accounts.create(None, login="chief", role=Role.ADMIN, password="a long password 1")
    staff = {
        "Authorization": "Bearer "
        + fund.accounts.sign_in("chief", "a long password 1").access_token
    }
    payment = {"member": member_id, "type": "top_up", "date": "2026-01-15", "amount": "300"}
    with TestClient(create_admin_app(kasa)) as client:
        r = client.put("/payment", headers=staff, json=payment)
        assert r.status_code == 400 and r.json()["errors"] == {
            "amount": "must be a number, not text"
        }
    kasa.adapters.database().dispose()


def test_an_optional_body_is_left_out_never_sent_as_null(world: MobileWorld) -> None:
    _, headers = world.sign_up("+380501116666")
    for path in ("/user/request/list", "/user/charges/list"):
        omitted = world.client.post(path, headers=headers)
        assert omitted.status_code == 200, path
        null = world.client.post(
            path, headers={**headers, "Content-Type": "application/json"}, content=b"null"
        )
        assert null.status_code == 400 and null.json()["errors"] == {
            "body": "must be a JSON object"
        }, path
