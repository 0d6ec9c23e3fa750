"""A member's first day through the Python client generated from the members' API
document (openapi-python-client), run by the generator's own Python with the generated
package on its path. Prints one JSON object of what each call answered.

    python generated_first_day.py signup BASE OUTBOX PHONE PROGRAM_ID
    python generated_first_day.py requests BASE TOKEN
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from kasa_mobile_api_client import AuthenticatedClient, Client  # type: ignore[import-not-found]
from kasa_mobile_api_client.api.payments import (  # type: ignore[import-not-found]
    user_charges_list_charges_list,
    user_payments_list_payments_list,
)
from kasa_mobile_api_client.api.profile import (  # type: ignore[import-not-found]
    user_profile_create_profile_create,
)
from kasa_mobile_api_client.api.programs import (  # type: ignore[import-not-found]
    program_list_program_list,
)
from kasa_mobile_api_client.api.requests import (  # type: ignore[import-not-found]
    user_request_create_request_create,
    user_request_list_request_list,
)
from kasa_mobile_api_client.api.sign_in import (  # type: ignore[import-not-found]
    user_signin_sign_in,
    user_signrequest_sign_request,
)
from kasa_mobile_api_client.models import (  # type: ignore[import-not-found]
    ProfileForm,
    RequestForm,
    SignIn,
    SignRequest,
)
from kasa_mobile_api_client.types import File  # type: ignore[import-not-found]

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 64


def last_code(outbox: Path, phone: str) -> str:
    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    return str([s for s in sent if s["to"] == phone][-1]["body"].rsplit(" ", 1)[-1])


def sign_up(base: str, outbox: Path, phone: str, program_id: int) -> dict[str, object]:
    said: dict[str, object] = {}
    client = Client(base_url=base)
    asked = user_signrequest_sign_request.sync_detailed(
        client=client, body=SignRequest(phone=phone, create=True)
    )
    said["signrequest"] = asked.status_code
    signed = user_signin_sign_in.sync_detailed(
        client=client, body=SignIn(phone=phone, code=last_code(outbox, phone))
    )
    said["signin"] = signed.status_code
    token = signed.parsed.access_token
    said["token"] = token
    programs = program_list_program_list.sync(client=client)
    said["programs"] = [p.program_id for p in programs]
    member = AuthenticatedClient(base_url=base, token=token)

    def file(name: str, tag: bytes) -> File:
        return File(payload=io.BytesIO(JPEG + tag), file_name=name, mime_type="image/jpeg")

    form = ProfileForm(
        first_name="Олена",
        last_name="Коваль",
        email="olena@example.com",
        program_id=program_id,
        iban="UA213223130000026007233566001",
        inn=file("inn.jpg", b"1"),
        id_1=file("front.jpg", b"2"),
        id_2=file("back.jpg", b"3"),
    )
    said["profile"] = user_profile_create_profile_create.sync_detailed(
        client=member, body=form
    ).status_code
    return said


def requests(base: str, token: str) -> dict[str, object]:
    member = AuthenticatedClient(base_url=base, token=token)
    receipt = File(payload=io.BytesIO(JPEG + b"r"), file_name="чек.jpg", mime_type="image/jpeg")
    created = user_request_create_request_create.sync_detailed(
        client=member, body=RequestForm(comment="Ліки", files=[receipt])
    )
    listed = user_request_list_request_list.sync(client=member)  # no body at all
    charges = user_charges_list_charges_list.sync(client=member)  # no body at all
    payments = user_payments_list_payments_list.sync_detailed(client=member)
    return {
        "request_create": created.status_code,
        "requests": [r.comment for r in listed],
        "charges": len(charges),
        "payments": payments.status_code,
    }


if __name__ == "__main__":
    step, base, *rest = sys.argv[1:]
    if step == "signup":
        print(json.dumps(sign_up(base, Path(rest[0]), rest[1], int(rest[2]))))
    else:
        print(json.dumps(requests(base, rest[0])))
