"""The staff back office API: the routes the fund's admin site calls, thin over the use
cases, with the same auth, error and schema machinery as the mobile app. Each handler
reads its input (msgspec, then the domain's values), calls use cases and shapes the
answer (``present``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from litestar import Litestar

from kasa.application.ports import TokenAudience
from kasa.application.staff import StaffAccounts
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.admin.books import BOOKS
from kasa.entrypoints.http.admin.members import MEMBERS
from kasa.entrypoints.http.admin.payments import PAYMENTS
from kasa.entrypoints.http.admin.programs import PROGRAMS, TERMS
from kasa.entrypoints.http.admin.requests import REQUESTS
from kasa.entrypoints.http.admin.staff import SIGN_IN, STAFF
from kasa.entrypoints.http.app import Api, app_from_environment, create_app
from kasa.entrypoints.http.auth import TokenCheck
from kasa.entrypoints.http.office import office_router, templates
from kasa.entrypoints.http.threads import read


def dependencies(kasa: Kasa) -> Mapping[str, object]:
    staff = kasa.staff
    return {
        "staff_accounts": staff.accounts(),
        "back_office": staff.members(),
        "programs": staff.programs(),
        "staff_payments": staff.payments(),
        "refunds": staff.refunds(),
        "staff_requests": staff.requests(),
        "books": staff.books(),
        "office_sessions": staff.office_sessions(),
        "desk": staff.desk(),
        "notifier": kasa.system.notifier(),
        "office_production": kasa.settings().env == "production",
        "reads_on_loop": kasa.adapters.reads_on_loop(),
    }


ADMIN = Api(
    name="admin",
    title="Kasa admin API",
    description="The fund's back office: staff accounts, the review of members and "
    "documents, programs, payments and payouts, requests, the books and the audit trail.",
    audience=TokenAudience.STAFF,
    subject="staff_id",
    areas=[SIGN_IN, TERMS, STAFF, MEMBERS, PROGRAMS, PAYMENTS, REQUESTS, BOOKS],
    dependencies=dependencies,
    token_check=lambda kasa: staff_check(kasa.staff.accounts()),
    cors_origins=lambda settings: settings.http.admin_cors_origins,
    pages=lambda limits: [office_router(limits)],
    templates=templates,
)


def staff_check(accounts: StaffAccounts) -> TokenCheck:
    """A staff token's check: awaited on the event loop where the database allows it,
    else read in a thread."""
    if accounts.quick is None:
        return partial(read, accounts.authenticate)
    return accounts.authenticate_quickly


def create_admin_app(kasa: Kasa) -> Litestar:
    """The admin API on a container (real adapters, or fakes in tests)."""
    return create_app(kasa, ADMIN)


def app_factory() -> Litestar:
    """For ASGI servers: the admin app on the environment's settings, with Kasa's logs."""
    return app_from_environment(ADMIN)
