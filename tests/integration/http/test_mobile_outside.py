"""End to end through the mobile app with the real LiqPay and Diia adapters talking to
local stand-ins: a top-up from checkout to callback (and reconciliation), and a Diia
sharing from deep link to callback filling the profile."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from kasa.adapters import liqpay_codec
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import INN, PDF, Fund
from tests.integration.app.helpers import documents as profile_documents
from tests.integration.http.conftest import build_kasa
from tests.integration.test_outside_adapters import ACQUIRER, AUTH, BRANCH, diia_routes
from tests.support.standin import Answer, Received, standin

PRIVATE = "private-key-of-the-fund"


def signed_in(client: TestClient[Any], phone: str, fakes: Any) -> dict[str, str]:
    client.post("/user/signrequest", json={"phone": phone, "create": True})
    token = client.post(
        "/user/signin", json={"phone": phone, "code": fakes.sms.last_code(phone)}
    ).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_top_up_from_checkout_to_callback_and_reconciliation(tmp_path: Path) -> None:
    def status(got: Received) -> Answer:
        form = got.form()
        assert liqpay_codec.sign(PRIVATE, form["data"]) == form["signature"]
        order_id = liqpay_codec.decode(form["data"])["order_id"]
        return Answer(
            200,
            {
                "result": "ok",
                "status": "success",
                "amount": "300.00",
                "order_id": order_id,
                "payment_id": 5,
            },
        )

    with standin({("POST", "/request"): status}) as liqpay:
        kasa, fakes = build_kasa(
            tmp_path,
            real_outside=True,
            KASA_LIQPAY_API_URL=liqpay.url,
            KASA_LIQPAY_PUBLIC_KEY="pub",
            KASA_LIQPAY_PRIVATE_KEY=PRIVATE,
            KASA_LIQPAY_SANDBOX="0",
        )
        fund = Fund.on(kasa, fakes, kasa.adapters.database())
        with TestClient(create_mobile_app(kasa)) as client:
            headers = signed_in(client, "+380501112233", fakes)
            with fund.uow() as uow:
                member = uow.members.by_phone("+380501112233")
            assert member is not None and member.id is not None
            fund.submit(member.id, fund.program(price="300"), docs=profile_documents())
            fund.approve(member.id)
            checkout = client.post(
                "/user/payments/liqpay", json={"amount": 300}, headers=headers
            ).json()
            params = liqpay_codec.decode(checkout["data"])
            assert params["public_key"] == "pub" and "sandbox" not in params
            assert params["server_url"] == "http://mobile.test/user/payments/liqpay-callback"
            assert checkout["checkout_url"] == f"{liqpay.url}/3/checkout"
            # the gateway calls back, signing with the fund's private key
            data = liqpay_codec.encode(
                {
                    "order_id": params["order_id"],
                    "amount": 300,
                    "status": "success",
                    "action": "pay",
                }
            )
            r = client.post(
                "/user/payments/liqpay-callback",
                data={"data": data, "signature": liqpay_codec.sign(PRIVATE, data)},
            )
            assert r.json()["changed"] is True
            # a second top-up whose callback is lost is settled by reconciliation
            client.post("/user/payments/liqpay", json={"amount": 300}, headers=headers)
            fakes.clock.advance(hours=1)
            report = fund.gateway.reconcile()
            assert (report.checked, report.confirmed) == (1, 1)
            payments = client.get("/user/payments/list", headers=headers).json()
            assert [p["status"] for p in payments] == ["confirmed", "confirmed"]
        kasa.adapters.database().dispose()
    assert [r.path for r in liqpay.received] == ["/request"]


def test_diia_sharing_from_deep_link_to_callback(tmp_path: Path) -> None:
    tokens: list[str] = []
    with standin(diia_routes(tokens)) as diia:  # type: ignore[arg-type]
        kasa, fakes = build_kasa(
            tmp_path,
            real_outside=True,
            KASA_DIIA_API_URL=diia.url,
            KASA_DIIA_BASIC_AUTH=AUTH,
            KASA_DIIA_ACQUIRER_TOKEN=ACQUIRER,
            KASA_DIIA_BRANCH_ID=BRANCH,
            KASA_DIIA_RETURN_LINK="https://kasa.test/diia",
        )
        with TestClient(create_mobile_app(kasa)) as client:
            headers = signed_in(client, "+380501112233", fakes)
            link = client.post("/user/profile/diia", headers=headers).json()
            assert link["deeplink"] == f"https://diia.app/acquirers/{link['request_id']}"
            meta = {
                "requestId": link["request_id"],
                "data": {
                    "internal-passport": [
                        {
                            "lastNameUA": "Українка",
                            "firstNameUA": "Леся",
                            "middleNameUA": "Петрівна",
                            "birthday": "25.02.1971",
                            "docNumber": "000777",
                            "taxpayerNumber": INN,
                            "fileName": "pass.pdf",
                        }
                    ],
                    "taxpayer-card": [{"fileName": "rnokpp.pdf"}],
                },
            }
            encoded = base64.b64encode(json.dumps(meta, ensure_ascii=False).encode()).decode()
            r = client.post(
                "/user/profile/diia-callback",
                data={"encodeData": encoded},
                files=[
                    ("pass.pdf", ("pass.pdf", PDF, "application/pdf")),
                    ("rnokpp.pdf", ("rnokpp.pdf", PDF + b"2", "application/pdf")),
                ],
                headers={"X-Document-Request-Trace-Id": link["request_id"]},
            )
            assert r.json() == {"success": True}
        with kasa.adapters.uow()() as uow:
            member = uow.members.by_phone("+380501112233")
            assert member is not None
            assert (member.last_name, member.first_name, str(member.inn)) == (
                "Українка",
                "Леся",
                INN,
            )
            documents = uow.identities.for_member(member.id or 0)
            assert {d.identity_type for d in documents} == {"id_card_front", "tax_number_card"}
        kasa.adapters.database().dispose()
    assert len(tokens) == 1
