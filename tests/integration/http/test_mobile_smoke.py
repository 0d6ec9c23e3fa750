from __future__ import annotations

from tests.integration.http.conftest import MobileWorld


def test_sign_up_and_program_list(world: MobileWorld) -> None:
    member_id, headers = world.sign_up("+380501112233")
    assert member_id > 0
    world.fund.program()
    r = world.client.get("/program/list")
    assert r.status_code == 200, r.text
    print(r.json())
    r = world.client.get("/user/profile/get", headers=headers)
    assert r.status_code == 403, r.text
    print(r.json())
