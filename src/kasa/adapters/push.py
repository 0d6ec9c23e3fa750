"""Push notifications: Firebase Cloud Messaging's HTTP v1 API, or the console.

FCM takes one message a request at ``{api}/v1/projects/{project}/messages:send`` with a
bearer token of the fund's service account. google-auth makes the token from the
account's JSON (it asks the account's own ``token_uri``) and keeps it until shortly
before it expires. FCM's answers become what the notifier does: a token FCM no longer
knows is forgotten, too many now is tried again after ``Retry-After``, the fund's
credentials refused pause push, anything else is tried again later.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import requests
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import service_account

from kasa.application.ports import PushMessage, PushOutcome, PushResult

log = logging.getLogger("kasa.push")
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
TIMEOUT = 10
# FCM's error codes that mean the token will never take a push again
TOKEN_GONE = frozenset({"UNREGISTERED", "SENDER_ID_MISMATCH", "INVALID_ARGUMENT"})


class ConsolePush:
    """Pushes written to the log instead of sent (development, no credentials)."""

    def send(self, message: PushMessage) -> PushResult:
        log.info(
            "push to %s…: %s (%s, notification %s)",
            message.token[:12],
            message.text,
            message.event,
            message.notification_id,
        )
        return PushResult(PushOutcome.SENT)


class FcmPush:
    def __init__(self, credentials_file: Path, api_url: str) -> None:
        info = json.loads(credentials_file.read_text(encoding="utf-8"))
        self.project = str(info["project_id"])
        self.url = f"{api_url.rstrip('/')}/v1/projects/{self.project}/messages:send"
        self.credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=[SCOPE]
        )
        self.http = requests.Session()
        self.lock = threading.Lock()

    def _token(self) -> str:
        """The access token, asked for again shortly before it expires."""
        with self.lock:
            if not self.credentials.valid:
                self.credentials.refresh(AuthRequest(self.http))
            return str(self.credentials.token)

    def send(self, message: PushMessage) -> PushResult:
        try:
            token = self._token()
        except Exception as error:
            return PushResult(PushOutcome.CREDENTIALS, detail=f"no access token: {error}")
        try:
            answer = self.http.post(
                self.url,
                json={"message": fcm_message(message)},
                headers={"Authorization": f"Bearer {token}"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            return PushResult(PushOutcome.FAILED, detail=f"FCM could not be reached: {error}")
        return outcome_of(answer.status_code, _json(answer), answer.headers.get("Retry-After"))


def fcm_message(message: PushMessage) -> dict[str, Any]:
    """One HTTP v1 message: the text as the notification, what it is about as data
    (strings only, as FCM wants), and the collapse key for Android and iOS."""
    data = {"event": message.event, "notification_id": str(message.notification_id)}
    if message.request_id is not None:
        data["request_id"] = str(message.request_id)
    if message.payment_id is not None:
        data["payment_id"] = str(message.payment_id)
    body: dict[str, Any] = {
        "token": message.token,
        "notification": {"body": message.text},
        "data": data,
    }
    if message.collapse_key:
        body["android"] = {"collapse_key": message.collapse_key}
        body["apns"] = {"headers": {"apns-collapse-id": message.collapse_key}}
    return body


def outcome_of(status: int, body: dict[str, Any], retry_after: str | None) -> PushResult:
    """What an FCM answer means for the notification."""
    if 200 <= status < 300:
        return PushResult(PushOutcome.SENT)
    code = _error_code(body)
    detail = f"FCM answered {status}" + (f" {code}" if code else "")
    if code in TOKEN_GONE or status == 404:
        return PushResult(PushOutcome.TOKEN_GONE, detail=detail)
    if status in (429, 503):
        return PushResult(PushOutcome.BUSY, _seconds(retry_after), detail)
    if status == 401 or (status == 403 and not code):
        return PushResult(PushOutcome.CREDENTIALS, detail=detail)
    return PushResult(PushOutcome.FAILED, detail=detail)


def _error_code(body: dict[str, Any]) -> str:
    """FCM's own error code (``UNREGISTERED``…) from the error's details, else the
    status name."""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    assert isinstance(error, dict)
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    status = error.get("status")
    return str(status) if status in TOKEN_GONE else ""


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _seconds(text: str | None) -> int | None:
    try:
        return max(0, int(text)) if text else None
    except ValueError:
        return None
