"""The dependency-injector containers: ``Adapters`` (the outside world), ``Services``
(what use cases share), the use cases by who uses them (``MemberUseCases``,
``StaffUseCases``, ``SystemUseCases``), each given only the ports it uses, and ``Kasa``,
which joins them. Tests override the adapters with fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import attrs
from dependency_injector import containers, providers

from kasa.adapters.diia import DiiaIdentityProvider, load_decryptor
from kasa.adapters.files import LocalFileStore
from kasa.adapters.hashing import Argon2Passwords, HmacCodes
from kasa.adapters.liqpay import LiqPayGateway
from kasa.adapters.monobank import MonobankGateway
from kasa.adapters.push import ConsolePush, FcmPush
from kasa.adapters.s3 import S3FileStore, WithFallback
from kasa.adapters.sms import ConsoleSms, OutboxSms, TwilioSms
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.loop import LoopCallbacks, loop_reads, loop_writes
from kasa.adapters.sql.quick import quick_reads
from kasa.adapters.system import SecretRandom, SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.books import Books
from kasa.application.callbacks import GatewayCallbacks
from kasa.application.clock import FundClock
from kasa.application.codes import OneTimeCodes
from kasa.application.diia import DiiaSharing
from kasa.application.housekeeping import Housekeeping
from kasa.application.inbox import MemberNotifications
from kasa.application.jobs import Reminders
from kasa.application.members import BackOfficeMembers, MemberFiles
from kasa.application.notifying import Notifier
from kasa.application.office import OfficeDesk, OfficeSessions, SessionTimes
from kasa.application.payments import MemberPayments, StaffPayments
from kasa.application.ports import FileStore, Gateways, PaymentGateway
from kasa.application.profiles import Profiles
from kasa.application.programs import ProgramAdmin
from kasa.application.refunds import Refunds
from kasa.application.refusals import UnverifiedCallbacks
from kasa.application.requests import MemberRequests, StaffRequests
from kasa.application.settings import FundSettings
from kasa.application.signin import MemberSignIn
from kasa.application.staff import StaffAccounts
from kasa.application.uploads import FileStaging
from kasa.application.watching import Watching
from kasa.entrypoints.paths import LIQPAY_CALLBACK, MONOBANK_CALLBACK, PAYMENT_DONE
from kasa.entrypoints.settings import Settings


def _code_key(settings: Settings) -> bytes:
    return ("sign-in-codes:" + settings.secret()).encode()


def switched_on(settings: Settings, **makers: Callable[[], PaymentGateway]) -> Gateways:
    """The gateways the settings switch on, in their order, each made by its maker."""
    return Gateways(tuple(makers[name]() for name in settings.gateways.names))


def file_store(
    kind: str, fallback: str, local: Callable[[], FileStore], s3: Callable[[], FileStore]
) -> FileStore:
    """The store files are kept in (and, while they move, the one a file not found there
    is read from); only the kinds named are made."""
    stores = {"local": local, "s3": s3}
    chosen = stores[kind]()
    return WithFallback(chosen, stores[fallback]()) if fallback else chosen


class Adapters(containers.DeclarativeContainer):
    """The outside world: database, SMS, push, gateway, Diia, files, clock, hashing,
    tokens."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    random = providers.Singleton(SecretRandom)
    database = providers.Singleton(
        SqlDatabase,
        url=settings.provided.database.url,
        pool_size=settings.provided.database.pool_size,
        read_url=settings.provided.database.read_url,
        max_lag=settings.provided.database.replica_max_lag,
    )
    uow = providers.Callable(lambda database: database.unit_of_work, database)
    reads = providers.Singleton(
        lambda database, ttl: database.reads(programs_ttl=ttl),
        database,
        settings.provided.http.programs_cache_seconds,
    )
    # a member's profile and the staff token check read on the event loop
    # (MariaDB/MySQL), on a pool as small as the reads' own threads
    quick = providers.Singleton(
        lambda database, connections: quick_reads(database.url, connections),
        database,
        settings.provided.process.read_threads,
    )
    # units of work run on the event loop (MariaDB/MySQL): a gateway's callbacks
    on_loop = providers.Singleton(
        lambda database, connections: loop_writes(database.url, connections),
        database,
        settings.provided.process.worker_threads,
    )
    # the staff's member search read on the event loop too (MariaDB/MySQL, no replica:
    # the replica's reads choose their database in a thread), on as many connections
    # as the callbacks' (two gave a fifth fewer searches a second: the rest waited)
    reads_on_loop = providers.Singleton(
        lambda database, connections: (
            None if database.replica is not None else loop_reads(database.url, connections)
        ),
        database,
        settings.provided.process.worker_threads,
    )
    # the staff's lists and the program list: from the replica, when there is one
    lists = providers.Singleton(
        lambda database, reads, ttl: (
            reads if database.replica is None else database.lists(programs_ttl=ttl)
        ),
        database,
        reads,
        settings.provided.http.programs_cache_seconds,
    )
    local_files = providers.Singleton(LocalFileStore, root=settings.provided.files.folder)
    s3_files = providers.Singleton(
        S3FileStore,
        bucket=settings.provided.files.s3_bucket,
        endpoint=settings.provided.files.s3_endpoint,
        region=settings.provided.files.s3_region,
        access_key=settings.provided.files.s3_access_key,
        secret_key=settings.provided.files.s3_secret_key,
    )
    files = providers.Singleton(
        file_store,
        settings.provided.files.store,
        settings.provided.files.fallback,
        local_files.provider,
        s3_files.provider,
    )
    sms = providers.Selector(
        settings.provided.sms.backend,
        console=providers.Singleton(ConsoleSms),
        outbox=providers.Singleton(OutboxSms, path=settings.provided.sms.outbox, clock=clock),
        twilio=providers.Singleton(
            TwilioSms,
            account_sid=settings.provided.sms.account_sid,
            auth_token=settings.provided.sms.auth_token,
            sender=settings.provided.sms.sender,
            api_url=settings.provided.sms.api_url,
        ),
    )
    push = providers.Selector(
        settings.provided.notifications.backend,
        console=providers.Singleton(ConsolePush),
        fcm=providers.Singleton(
            FcmPush,
            credentials_file=settings.provided.notifications.credentials,
            api_url=settings.provided.notifications.fcm_api_url,
        ),
    )
    liqpay = providers.Singleton(
        LiqPayGateway,
        public_key=settings.provided.liqpay.public_key,
        private_key=settings.provided.liqpay.private_key,
        api_url=settings.provided.liqpay.api_url,
        callback_url=providers.Callable(lambda s: s.http.public_url + LIQPAY_CALLBACK, settings),
        sandbox=settings.provided.liqpay.sandbox,
    )
    monobank = providers.Singleton(
        MonobankGateway,
        token=settings.provided.monobank.token,
        api_url=settings.provided.monobank.api_url,
        webhook_url=providers.Callable(lambda s: s.http.public_url + MONOBANK_CALLBACK, settings),
        redirect_url=providers.Callable(
            lambda s: s.monobank.redirect_url or s.http.public_url + PAYMENT_DONE, settings
        ),
    )
    # every gateway switched on, each made only when it is
    gateways = providers.Singleton(
        switched_on, settings, liqpay=liqpay.provider, monobank=monobank.provider
    )
    identity = providers.Singleton(
        DiiaIdentityProvider,
        api_url=settings.provided.diia.api_url,
        basic_auth=settings.provided.diia.basic_auth,
        acquirer_token=settings.provided.diia.acquirer_token,
        branch_id=settings.provided.diia.branch_id,
        return_link=settings.provided.diia.return_link,
        decryptor=providers.Callable(load_decryptor, settings.provided.diia.decryptor),
    )
    passwords = providers.Singleton(Argon2Passwords)
    code_hasher = providers.Singleton(HmacCodes, key=providers.Callable(_code_key, settings))
    tokens = providers.Singleton(
        JwtTokens,
        secret=providers.Callable(lambda s: s.secret(), settings),
        clock=clock,
        member_ttl=providers.Callable(lambda s: timedelta(seconds=s.tokens.member_ttl), settings),
        staff_ttl=providers.Callable(lambda s: timedelta(seconds=s.tokens.staff_ttl), settings),
    )


class Services(containers.DeclarativeContainer):
    """What the use cases share, made from the adapters: the fund's clock and rules,
    file staging, one-time codes, the count of unverifiable callbacks."""

    adapters = providers.DependenciesContainer()
    fund = providers.Dependency(instance_of=FundSettings)

    clock = providers.Singleton(FundClock, clock=adapters.clock, zone=fund.provided.zone)
    staging = providers.Singleton(FileStaging, files=adapters.files, settings=fund, clock=clock)
    codes = providers.Singleton(
        OneTimeCodes,
        uow=adapters.uow,
        clock=clock,
        random=adapters.random,
        hasher=adapters.code_hasher,
        sms=adapters.sms,
        settings=fund,
    )
    refusals = providers.Singleton(UnverifiedCallbacks, uow=adapters.uow, clock=clock)


class MemberUseCases(containers.DeclarativeContainer):
    """What members do, through the mobile API."""

    adapters = providers.DependenciesContainer()
    services = providers.DependenciesContainer()
    fund = providers.Dependency(instance_of=FundSettings)

    sign_in = providers.Singleton(
        MemberSignIn,
        uow=adapters.uow,
        clock=services.clock,
        codes=services.codes,
        tokens=adapters.tokens,
    )
    profiles = providers.Singleton(
        Profiles,
        uow=adapters.uow,
        reads=adapters.reads,
        lists=adapters.lists,
        clock=services.clock,
        codes=services.codes,
        staging=services.staging,
        settings=fund,
        quick=adapters.quick,
    )
    requests = providers.Singleton(
        MemberRequests,
        uow=adapters.uow,
        reads=adapters.reads,
        clock=services.clock,
        staging=services.staging,
        settings=fund,
    )
    payments = providers.Singleton(
        MemberPayments,
        uow=adapters.uow,
        reads=adapters.reads,
        clock=services.clock,
        random=adapters.random,
        gateways=adapters.gateways,
    )
    files = providers.Singleton(MemberFiles, reads=adapters.reads, files=adapters.files)
    notifications = providers.Singleton(
        MemberNotifications, uow=adapters.uow, reads=adapters.reads, clock=services.clock
    )
    diia = providers.Singleton(
        DiiaSharing,
        uow=adapters.uow,
        clock=services.clock,
        random=adapters.random,
        identity=adapters.identity,
        staging=services.staging,
        refusals=services.refusals,
    )


class StaffUseCases(containers.DeclarativeContainer):
    """What staff do, through the admin API, the office pages and the command line."""

    adapters = providers.DependenciesContainer()
    services = providers.DependenciesContainer()
    fund = providers.Dependency(instance_of=FundSettings)
    office_times = providers.Dependency(instance_of=SessionTimes)

    accounts = providers.Singleton(
        StaffAccounts,
        uow=adapters.uow,
        reads=adapters.reads,
        clock=services.clock,
        passwords=adapters.passwords,
        tokens=adapters.tokens,
        random=adapters.random,
        settings=fund,
        quick=adapters.quick,
    )
    office_sessions = providers.Singleton(
        OfficeSessions,
        uow=adapters.uow,
        clock=services.clock,
        random=adapters.random,
        accounts=accounts,
        times=office_times,
    )
    members = providers.Singleton(
        BackOfficeMembers,
        uow=adapters.uow,
        reads=adapters.reads,
        lists=adapters.lists,
        clock=services.clock,
        files=adapters.files,
    )
    requests = providers.Singleton(
        StaffRequests,
        uow=adapters.uow,
        reads=adapters.reads,
        lists=adapters.lists,
        clock=services.clock,
    )
    payments = providers.Singleton(
        StaffPayments,
        uow=adapters.uow,
        reads=adapters.reads,
        lists=adapters.lists,
        clock=services.clock,
        settings=fund,
    )
    refunds = providers.Singleton(
        Refunds,
        uow=adapters.uow,
        clock=services.clock,
        gateways=adapters.gateways,
        settings=fund,
    )
    programs = providers.Singleton(
        ProgramAdmin,
        uow=adapters.uow,
        reads=adapters.reads,
        lists=adapters.lists,
        clock=services.clock,
        staging=services.staging,
        files=adapters.files,
    )
    books = providers.Singleton(
        Books, reads=adapters.reads, lists=adapters.lists, clock=services.clock
    )
    desk = providers.Singleton(
        OfficeDesk, reads=adapters.reads, lists=adapters.lists, clock=services.clock, books=books
    )


class SystemUseCases(containers.DeclarativeContainer):
    """What the fund does by itself: the gateway's callbacks and reconciliation, the
    scheduled reminders and the nightly housekeeping."""

    adapters = providers.DependenciesContainer()
    services = providers.DependenciesContainer()
    fund = providers.Dependency(instance_of=FundSettings)

    callbacks = providers.Singleton(
        GatewayCallbacks,
        uow=adapters.uow,
        reads=adapters.reads,
        clock=services.clock,
        gateways=adapters.gateways,
        refusals=services.refusals,
        settings=fund,
    )
    # the same, run on the event loop where the database allows it (None elsewhere)
    callbacks_on_loop = providers.Singleton(
        lambda callbacks, on_loop: (
            None
            if on_loop is None
            else LoopCallbacks(
                on_loop,
                attrs.evolve(
                    callbacks,
                    uow=on_loop.unit_of_work,
                    refusals=attrs.evolve(callbacks.refusals, uow=on_loop.unit_of_work),
                ),
            )
        ),
        callbacks,
        adapters.on_loop,
    )
    housekeeping = providers.Singleton(
        Housekeeping, uow=adapters.uow, files=adapters.files, clock=services.clock
    )
    watching = providers.Singleton(Watching, reads=adapters.reads, clock=services.clock)
    notifier = providers.Singleton(
        Notifier,
        uow=adapters.uow,
        clock=services.clock,
        push=adapters.push,
        sms=adapters.sms,
        settings=fund,
    )
    reminders = providers.Singleton(
        Reminders,
        uow=adapters.uow,
        reads=adapters.reads,
        clock=services.clock,
        settings=fund,
    )


class Kasa(containers.DeclarativeContainer):
    """The whole application: the adapters, and the use cases by who uses them. Tests
    override the adapters (``kasa.adapters.sms.override(...)``) with fakes."""

    settings = providers.Dependency(instance_of=Settings)
    fund = providers.Callable(lambda s: s.fund, settings)
    adapters = providers.Container(Adapters, settings=settings)
    services = providers.Container(Services, adapters=adapters, fund=fund)
    members = providers.Container(MemberUseCases, adapters=adapters, services=services, fund=fund)
    office_times = providers.Callable(
        lambda s: SessionTimes(
            timedelta(minutes=s.office.idle_minutes), timedelta(hours=s.office.session_hours)
        ),
        settings,
    )
    staff = providers.Container(
        StaffUseCases, adapters=adapters, services=services, fund=fund, office_times=office_times
    )
    system = providers.Container(SystemUseCases, adapters=adapters, services=services, fund=fund)


def build_container(settings: Settings | None = None) -> Kasa:
    """The application container; refuses a configuration that cannot run (in
    production: missing secrets, development-only backends), naming each problem."""
    settings = settings or Settings.load()
    settings.require_runnable()
    return Kasa(settings=settings)
