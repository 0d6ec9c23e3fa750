"""The small adapters: tokens, password and code hashing, the local file store, the
outbox SMS backend and the LiqPay wire format."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import argon2
import jwt
import pytest

from kasa.adapters import liqpay_codec
from kasa.adapters.files import LocalFileStore
from kasa.adapters.hashing import PASSWORD_HASHER, Argon2Passwords, HmacCodes
from kasa.adapters.sms import ConsoleSms, OutboxSms
from kasa.adapters.tokens import VERIFIED_KEPT, JwtTokens
from kasa.application.ports import TokenAudience
from kasa.domain.errors import AuthenticationFailed, DeliveryFailed, InvalidInput, NotFound
from kasa.domain.payments import GatewayOutcome
from kasa.domain.values import Phone
from tests.support.fakes import FakeClock

SECRET = "s" * 40


# -- tokens -------------------------------------------------------------------------------
def test_tokens_carry_subject_audience_and_lifetime() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    tokens = JwtTokens(SECRET, clock, member_ttl=timedelta(days=30))
    token = tokens.issue(TokenAudience.MEMBER, 42)
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="kasa-mobile", options={"verify_exp": False}
    )
    assert claims["sub"] == "42" and claims["exp"] - claims["iat"] == 30 * 86400
    assert tokens.claims(token, TokenAudience.MEMBER)[0] == 42
    with pytest.raises(AuthenticationFailed):
        tokens.claims(token, TokenAudience.STAFF)[0]
    clock.advance(days=30)
    with pytest.raises(AuthenticationFailed, match="expired"):
        tokens.claims(token, TokenAudience.MEMBER)[0]


def test_a_verified_token_is_remembered_but_its_times_are_checked_on_every_call() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    tokens = JwtTokens(SECRET, clock, staff_ttl=timedelta(hours=8))
    token = tokens.issue(TokenAudience.STAFF, 7, version=3)
    assert tokens.claims(token, TokenAudience.STAFF) == (7, 3)
    assert tokens.claims(token, TokenAudience.STAFF) == (7, 3)  # remembered
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    with pytest.raises(AuthenticationFailed):
        tokens.claims(forged, TokenAudience.STAFF)  # only exactly the verified text
    with pytest.raises(AuthenticationFailed):
        tokens.claims(token, TokenAudience.MEMBER)  # and only for its audience
    clock.advance(hours=8)
    with pytest.raises(AuthenticationFailed, match="expired"):
        tokens.claims(token, TokenAudience.STAFF)
    early = JwtTokens(SECRET, FakeClock(datetime(2025, 1, 1, tzinfo=UTC)))
    with pytest.raises(AuthenticationFailed, match="not valid"):
        early.claims(token, TokenAudience.STAFF)  # issued in its future


def test_remembered_tokens_are_bounded() -> None:
    tokens = JwtTokens(SECRET, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    for subject in range(1, VERIFIED_KEPT + 100):
        tokens.claims(tokens.issue(TokenAudience.MEMBER, subject), TokenAudience.MEMBER)[0]
    assert 0 < len(tokens._verified) <= VERIFIED_KEPT


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "kasa-mobile", "iat": 0, "exp": 2**40},  # no subject
        {"sub": "1", "aud": "kasa-mobile", "exp": 2**40},  # no iat
        {"sub": "1", "aud": "kasa-mobile", "iat": 0},  # no exp
        {"sub": "x", "aud": "kasa-mobile", "iat": 0, "exp": 2**40},  # not an id
        {"sub": "1", "aud": "kasa-mobile", "iat": 2**39, "exp": 2**40},  # issued in the future
    ],
)
def test_tokens_missing_a_claim_are_refused(claims: dict[str, object]) -> None:
    tokens = JwtTokens(SECRET, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    with pytest.raises(AuthenticationFailed):
        tokens.claims(jwt.encode(claims, SECRET, algorithm="HS256"), TokenAudience.MEMBER)[0]


def test_the_algorithm_is_pinned_and_the_secret_long_enough() -> None:
    tokens = JwtTokens(SECRET, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    claims = {"sub": "1", "aud": "kasa-mobile", "iat": 0, "exp": 2**40}
    for token in (
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, SECRET, algorithm="HS512"),
    ):
        with pytest.raises(AuthenticationFailed):
            tokens.claims(token, TokenAudience.MEMBER)[0]
    with pytest.raises(ValueError, match="32 bytes"):
        JwtTokens("short", FakeClock())


# -- hashing -------------------------------------------------------------------------------
def test_passwords_use_argon2id_above_the_owasp_minimum() -> None:
    assert PASSWORD_HASHER.type is argon2.Type.ID
    assert PASSWORD_HASHER.memory_cost >= 19 * 1024 and PASSWORD_HASHER.time_cost >= 2
    passwords = Argon2Passwords(argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024))
    stored = passwords.hash("correct horse")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "wrong horse")
    assert not passwords.verify("not a hash", "correct horse")
    assert Argon2Passwords().needs_rehash(stored)  # weaker than the current parameters
    assert not passwords.needs_rehash(stored)


def test_codes_are_hashed_with_a_key() -> None:
    codes = HmacCodes(b"key")
    digest = codes.hash("123456")
    assert digest != hashlib.sha256(b"123456").hexdigest()
    assert codes.matches("123456", digest) and not codes.matches("123457", digest)
    assert not HmacCodes(b"other").matches("123456", digest)


# -- the file store ------------------------------------------------------------------------
def test_files_are_stored_whole_under_generated_names(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "store")
    blob = store.save([b"%PDF-1.7", b" receipt"], ".pdf", owner=42)  # written as it streams
    assert blob.size == 16 and blob.sha256 == hashlib.sha256(b"%PDF-1.7 receipt").hexdigest()
    assert blob.name.startswith("m42-") and blob.name.endswith(".pdf")
    with store.open(blob.name) as stored:
        assert stored.read() == b"%PDF-1.7 receipt"
    member_folder = tmp_path / "store" / "m42"
    assert (member_folder / blob.name).is_file()  # the member's own folder
    # only the owner may enter the store and read its files
    assert (tmp_path / "store").stat().st_mode & 0o777 == 0o700
    assert member_folder.stat().st_mode & 0o777 == 0o700
    assert (member_folder / blob.name).stat().st_mode & 0o777 == 0o600
    shared = store.save([b"terms"], ".txt")
    assert (tmp_path / "store" / "shared" / shared.name).is_file()
    tmp_path = tmp_path / "store"
    assert not list(tmp_path.rglob(".part-*"))
    store.delete(blob.name)
    store.delete(blob.name)
    with pytest.raises(NotFound):
        store.open(blob.name)


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..", "a" * 32 + "/x", "ZZ" + "0" * 30, ""]
)
def test_reads_stay_inside_the_store(tmp_path: Path, name: str) -> None:
    store = LocalFileStore(tmp_path / "store")
    with pytest.raises(NotFound):
        store.open(name)
    store.delete(name)  # nothing happens


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalFileStore(tmp_path)

    def broken_fsync(_fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("kasa.adapters.private.os.fsync", broken_fsync)
    with pytest.raises(DeliveryFailed) as caught:
        store.save([b"data"], ".txt")
    assert "disk full" in caught.value.detail and "file store" in caught.value.message
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# -- SMS outbox ---------------------------------------------------------------------------
def test_outbox_appends_one_json_line_a_message_from_many_threads(tmp_path: Path) -> None:
    outbox = OutboxSms(tmp_path / "out" / "sms.jsonl", FakeClock())
    threads = [
        threading.Thread(target=outbox.send, args=(Phone.parse("+380501234567"), f"Код {n}"))
        for n in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [json.loads(line) for line in (tmp_path / "out" / "sms.jsonl").read_text().splitlines()]
    assert len(lines) == 20 and set(lines[0]) == {"to", "body", "sent_at"}
    assert sorted(line["body"] for line in lines) == sorted(f"Код {n}" for n in range(20))


# -- LiqPay wire format ------------------------------------------------------------------------
def test_signature_of_a_known_vector() -> None:
    data = base64.b64encode(json.dumps({"order_id": "1"}).encode()).decode()
    expected = base64.b64encode(hashlib.sha1(b"priv" + data.encode() + b"priv").digest()).decode()
    assert liqpay_codec.sign("priv", data) == expected
    # base64(SHA-1("aba")), computed with openssl: echo -n aba | openssl sha1 -binary | base64
    assert liqpay_codec.sign("a", "b") == "TV7M+Tc5xjBar4lppoLMV+H9c5U="


@pytest.mark.parametrize("which", ["data", "signature"])
def test_one_changed_byte_is_refused(which: str) -> None:
    data = liqpay_codec.encode({"order_id": "o-1", "amount": "10.00", "status": "success"})
    signature = liqpay_codec.sign("priv", data)
    if which == "data":
        data = data[:5] + ("A" if data[5] != "A" else "B") + data[6:]
    else:
        signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(InvalidInput, match="signature"):
        liqpay_codec.verify("priv", data, signature)


@pytest.mark.parametrize(
    ("status", "sandbox", "outcome"),
    [
        ("success", False, GatewayOutcome.SUCCESS),
        ("sandbox", True, GatewayOutcome.SUCCESS),
        ("sandbox", False, GatewayOutcome.PENDING),
        ("failure", False, GatewayOutcome.FAILURE),
        ("error", False, GatewayOutcome.FAILURE),
        ("reversed", False, GatewayOutcome.REVERSED),
        ("wait_accept", False, GatewayOutcome.PENDING),
    ],
)
def test_statuses_map_to_outcomes(status: str, sandbox: bool, outcome: GatewayOutcome) -> None:
    assert liqpay_codec.outcome_of(status, sandbox=sandbox) is outcome


def test_the_console_sms_is_information_not_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="kasa.sms"):
        ConsoleSms().send(Phone("+380501112233"), "Ваш код: 123456")
    [record] = caplog.records
    assert record.levelno == logging.INFO and "123456" in record.getMessage()
