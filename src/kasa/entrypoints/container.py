"""The dependency-injector containers: ``Gateways`` (database, SMS, gateway, Diia,
files, clock, hashing, tokens), ``Services`` (the use cases), and the application
container that joins them. Tests override the gateways with the in-memory fakes."""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers

from kasa.adapters.diia import DiiaIdentityProvider, load_decryptor
from kasa.adapters.files import LocalFileStore
from kasa.adapters.hashing import Argon2Passwords, HmacCodes
from kasa.adapters.liqpay import LiqPayGateway
from kasa.adapters.sms import ConsoleSms, OutboxSms, TwilioSms
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.system import SecretCodes, SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.context import Context
from kasa.application.identity import DiiaSharing
from kasa.application.jobs import Reminders
from kasa.application.members import BackOfficeMembers, MemberFiles
from kasa.application.payments import GatewayPayments, MemberPayments, StaffPayments
from kasa.application.profiles import Profiles
from kasa.application.programs import ProgramAdmin
from kasa.application.reports import Books
from kasa.application.requests import MemberRequests, StaffRequests
from kasa.application.signin import MemberSignIn
from kasa.application.staff import StaffAccounts
from kasa.entrypoints.settings import Settings

CALLBACK_PATH = "/user/payments/liqpay-callback"


def _code_key(settings: Settings) -> bytes:
    return ("sign-in-codes:" + settings.secret()).encode()


class Gateways(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    codes = providers.Singleton(SecretCodes)
    database = providers.Singleton(
        SqlDatabase, url=settings.provided.database_url, pool_size=settings.provided.db_pool_size
    )
    uow = providers.Callable(lambda database: database.unit_of_work, database)
    reads = providers.Singleton(
        lambda database, ttl: database.reads(programs_ttl=ttl),
        database,
        settings.provided.programs_cache_seconds,
    )
    files = providers.Singleton(LocalFileStore, root=settings.provided.files_dir)
    sms = providers.Selector(
        settings.provided.sms_backend,
        console=providers.Singleton(ConsoleSms),
        outbox=providers.Singleton(OutboxSms, path=settings.provided.sms_outbox, clock=clock),
        twilio=providers.Singleton(
            TwilioSms,
            account_sid=settings.provided.twilio_account_sid,
            auth_token=settings.provided.twilio_auth_token,
            sender=settings.provided.sms_from,
            api_url=settings.provided.twilio_api_url,
        ),
    )
    gateway = providers.Singleton(
        LiqPayGateway,
        public_key=settings.provided.liqpay_public_key,
        private_key=settings.provided.liqpay_private_key,
        api_url=settings.provided.liqpay_api_url,
        callback_url=providers.Callable(lambda s: s.public_url + CALLBACK_PATH, settings),
        sandbox=settings.provided.liqpay_sandbox,
    )
    identity = providers.Singleton(
        DiiaIdentityProvider,
        api_url=settings.provided.diia_api_url,
        basic_auth=settings.provided.diia_basic_auth,
        acquirer_token=settings.provided.diia_acquirer_token,
        branch_id=settings.provided.diia_branch_id,
        return_link=settings.provided.diia_return_link,
        decryptor=providers.Callable(load_decryptor, settings.provided.diia_decryptor),
    )
    passwords = providers.Singleton(Argon2Passwords)
    code_hasher = providers.Singleton(HmacCodes, key=providers.Callable(_code_key, settings))
    tokens = providers.Singleton(
        JwtTokens,
        secret=providers.Callable(lambda s: s.secret(), settings),
        clock=clock,
        member_ttl=providers.Callable(lambda s: timedelta(seconds=s.member_token_ttl), settings),
        staff_ttl=providers.Callable(lambda s: timedelta(seconds=s.staff_token_ttl), settings),
    )


class Services(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    gateways = providers.DependenciesContainer()

    context = providers.Singleton(
        Context,
        uow=gateways.uow,
        clock=gateways.clock,
        codes=gateways.codes,
        sms=gateways.sms,
        gateway=gateways.gateway,
        identity=gateways.identity,
        files=gateways.files,
        passwords=gateways.passwords,
        code_hasher=gateways.code_hasher,
        tokens=gateways.tokens,
        settings=settings.provided.fund,
        reads=gateways.reads,
    )
    sign_in = providers.Singleton(MemberSignIn, context)
    profiles = providers.Singleton(Profiles, context)
    member_requests = providers.Singleton(MemberRequests, context)
    staff_requests = providers.Singleton(StaffRequests, context)
    member_payments = providers.Singleton(MemberPayments, context)
    gateway_payments = providers.Singleton(GatewayPayments, context)
    staff_payments = providers.Singleton(StaffPayments, context)
    diia = providers.Singleton(DiiaSharing, context)
    member_files = providers.Singleton(MemberFiles, context)
    back_office = providers.Singleton(BackOfficeMembers, context)
    programs = providers.Singleton(ProgramAdmin, context)
    staff_accounts = providers.Singleton(StaffAccounts, context)
    books = providers.Singleton(Books, context)
    reminders = providers.Singleton(Reminders, context)


class Kasa(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    gateways = providers.Container(Gateways, settings=settings)
    services = providers.Container(Services, settings=settings, gateways=gateways)


def build_container(settings: Settings | None = None) -> Kasa:
    """The application container; refuses a configuration that cannot run (in
    production: missing secrets, development-only backends), naming each problem."""
    settings = settings or Settings.load()
    settings.require_runnable()
    return Kasa(settings=settings)
