"""Diia document sharing over the acquirer API (``requests``), with explicit timeouts.

The session token is cached and renewed before it expires. Callbacks are decrypted by
a decryptor port: ``plain`` for development and tests, or the operator's decryptor (the
state crypto library) loaded from ``module:callable``."""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from kasa.adapters import diia_plain
from kasa.application.ports import SharedIdentity
from kasa.domain.errors import DeliveryFailed, InvalidInput, NotConfigured

TIMEOUT = (5, 20)
TOKEN_LIFETIME = 2 * 3600
RENEW_BEFORE = 10 * 60
SCOPES = ["internal-passport", "taxpayer-card"]

# (encodeData, files) -> (metadata JSON object, clear files)
Decryptor = Callable[[str, Mapping[str, bytes]], tuple[dict[str, Any], Mapping[str, bytes]]]


def plain_decryptor(
    encode_data: str, files: Mapping[str, bytes]
) -> tuple[dict[str, Any], Mapping[str, bytes]]:
    return diia_plain.decode_metadata(encode_data), files


def load_decryptor(spec: str) -> Decryptor:
    """``plain`` or ``package.module:callable``."""
    if spec == "plain":
        return plain_decryptor
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"KASA_DIIA_DECRYPTOR must be 'plain' or 'module:callable', not {spec!r}")
    function = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise ValueError(f"{spec} is not callable")
    return function  # type: ignore[no-any-return]


class DiiaIdentityProvider:
    def __init__(
        self,
        *,
        api_url: str,
        basic_auth: str,
        acquirer_token: str,
        branch_id: str,
        return_link: str,
        decryptor: Decryptor,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.basic_auth = basic_auth
        self.acquirer_token = acquirer_token
        self.branch_id = branch_id
        self.return_link = return_link
        self.decryptor = decryptor
        self.session = session or requests.Session()
        self.clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self._offer_id: str | None = None
        self._lock = threading.Lock()

    def _require_configured(self) -> None:
        if not (self.acquirer_token and self.branch_id):
            raise NotConfigured("Diia sharing is not configured on this server")

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self._require_configured()
        try:
            response = self.session.request(
                method, f"{self.api_url}{path}", timeout=TIMEOUT, **kwargs
            )
        except requests.RequestException as error:
            raise DeliveryFailed("Diia", f"Diia could not be reached: {error}") from error
        if response.status_code >= 400:
            raise DeliveryFailed(
                "Diia", f"Diia answered {response.status_code} to {path.split('/')[3]}."
            )
        try:
            answer = response.json()
        except ValueError:
            raise DeliveryFailed("Diia", "Diia's answer is not JSON.") from None
        if not isinstance(answer, dict):
            raise DeliveryFailed("Diia", "Diia's answer is not a JSON object.")
        return answer

    def _session_token(self) -> str:
        with self._lock:
            if self._token and self.clock() < self._token_until - RENEW_BEFORE:
                return self._token
            answer = self._call(
                "GET",
                f"/api/v1/auth/acquirer/{self.acquirer_token}",
                headers={"Authorization": f"Basic {self.basic_auth}"},
            )
            token = answer.get("token")
            if not isinstance(token, str) or not token:
                raise DeliveryFailed("Diia", "Diia gave no session token.")
            self._token, self._token_until = token, self.clock() + TOKEN_LIFETIME
            return token

    def _offer(self, token: str) -> str:
        if self._offer_id is None:
            answer = self._call(
                "POST",
                f"/api/v1/acquirers/branch/{self.branch_id}/offer",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "name": "Kasa identity",
                    "returnLink": self.return_link,
                    "scopes": {"sharing": SCOPES},
                },
            )
            offer_id = answer.get("_id")
            if not isinstance(offer_id, str) or not offer_id:
                raise DeliveryFailed("Diia", "Diia gave no offer id.")
            self._offer_id = offer_id
        return self._offer_id

    def start_sharing(self, request_id: str) -> str:
        token = self._session_token()
        answer = self._call(
            "POST",
            f"/api/v2/acquirers/branch/{self.branch_id}/offer-request/dynamic",
            headers={"Authorization": f"Bearer {token}"},
            json={"offerId": self._offer(token), "requestId": request_id},
        )
        deeplink = answer.get("deeplink")
        if not isinstance(deeplink, str) or not deeplink:
            raise DeliveryFailed("Diia", "Diia gave no deep link.")
        return deeplink

    def decode_callback(
        self, encode_data: str, files: Mapping[str, bytes], trace_id: str | None
    ) -> SharedIdentity:
        self._require_configured()
        try:
            meta, clear = self.decryptor(encode_data, files)
        except InvalidInput:
            raise
        except Exception as error:  # the operator's library may raise anything
            raise InvalidInput("The Diia data cannot be decrypted.") from error
        return diia_plain.shared_identity(meta, clear, json.dumps(meta, ensure_ascii=False))
