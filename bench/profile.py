"""Profile one route in-process (cProfile) against a generated database.

    python -m bench.profile --database-url URL --facts facts.json --route payments

Builds the real app on the real adapters, calls the route ``--times`` times through
ASGI in this one thread (the use cases, which the server runs in worker threads, run
inline here so that cProfile sees them) and prints the functions that took the most
time, to show what holds a route back.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
from pathlib import Path
from typing import Any

import click
import httpx

from bench.generate import Facts
from bench.run import SECRET, routes
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience


@click.command()
@click.option("--database-url", required=True)
@click.option("--facts", "facts_path", type=click.Path(path_type=Path), required=True)
@click.option("--route", "wanted", required=True, help="A word of the route's name.")
@click.option("--times", type=int, default=200, show_default=True)
@click.option("--top", type=int, default=30, show_default=True)
@click.option(
    "--own-time", "by_own_time", is_flag=True, help="Sort by time spent in each function itself."
)
def main(
    database_url: str, facts_path: Path, wanted: str, times: int, top: int, by_own_time: bool
) -> None:
    os.environ.update(KASA_DATABASE_URL=database_url, KASA_JWT_SECRET=SECRET)
    from kasa.entrypoints.container import build_container
    from kasa.entrypoints.http import admin, auth, mobile

    facts = Facts.load(facts_path)
    route = next(r for r in routes(facts) if wanted in r.name)
    kasa = build_container()

    async def inline(function: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    for module in (mobile, admin, auth):
        for name in ("run", "read"):
            if hasattr(module, name):
                setattr(module, name, inline)  # replaced for profiling only
    app = mobile.create_mobile_app(kasa) if route.app == "mobile" else admin.create_admin_app(kasa)
    asyncio.run(measure(app, route, facts, times, top, by_own_time))


async def measure(
    app: Any, route: Any, facts: Facts, times: int, top: int, by_own_time: bool
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        if route.app == "mobile":
            token = JwtTokens(SECRET, SystemClock()).issue(
                TokenAudience.MEMBER, facts.heavy_member_id
            )
        else:
            answer = await client.post(
                "/signin", json={"login": facts.staff_login, "password": facts.staff_password}
            )
            token = answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = json.dumps(route.body) if route.body is not None else None

        async def call() -> None:
            r = await client.request(route.method, route.path, content=body, headers=headers)
            assert r.status_code == 200, r.text

        await call()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(times):
            await call()
        profile.disable()
    out = io.StringIO()
    order = "tottime" if by_own_time else "cumulative"
    pstats.Stats(profile, stream=out).sort_stats(order).print_stats(top)
    click.echo(out.getvalue())


if __name__ == "__main__":
    main()
