"""The members' mobile API: the routes the fund's app calls, thin over the use cases.
Each handler reads its input (msgspec, then the domain's values), calls one use case
and shapes the answer (``present.Shapes``)."""

from __future__ import annotations

from collections.abc import Mapping

from litestar import Litestar

from kasa.application.ports import TokenAudience
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.app import Api, app_from_environment, create_app
from kasa.entrypoints.http.mobile.notices import NOTICES
from kasa.entrypoints.http.mobile.payments import PAYMENTS
from kasa.entrypoints.http.mobile.present import Shapes
from kasa.entrypoints.http.mobile.profile import FILES, PROFILE
from kasa.entrypoints.http.mobile.public import APP, CALLBACKS, PROGRAMS, SIGN_IN
from kasa.entrypoints.http.mobile.requests import REQUESTS


def dependencies(kasa: Kasa) -> Mapping[str, object]:
    members = kasa.members
    return {
        "sign_in": members.sign_in(),
        "profiles": members.profiles(),
        "member_requests": members.requests(),
        "member_payments": members.payments(),
        "member_files": members.files(),
        "diia": members.diia(),
        "notifications": members.notifications(),
        "callbacks": kasa.system.callbacks(),
        "callbacks_on_loop": kasa.system.callbacks_on_loop(),
        "settings": kasa.settings(),
        "shapes": Shapes(kasa.settings()),
    }


MOBILE = Api(
    name="mobile",
    title="Kasa mobile API",
    description="The members' API of the mutual aid fund: sign-in by SMS code, profile "
    "and documents, programs, contributions through LiqPay, requests for aid.",
    audience=TokenAudience.MEMBER,
    subject="member_id",
    areas=[APP, SIGN_IN, PROGRAMS, CALLBACKS, FILES, PROFILE, REQUESTS, PAYMENTS, NOTICES],
    dependencies=dependencies,
)


def create_mobile_app(kasa: Kasa) -> Litestar:
    """The mobile API on a container (real adapters, or fakes in tests)."""
    return create_app(kasa, MOBILE)


def app_factory() -> Litestar:
    """For ASGI servers: the mobile app on the environment's settings, with Kasa's logs."""
    return app_from_environment(MOBILE)
