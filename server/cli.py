"""The ``communs`` command: serve, migrate, worker, actors, tokens and moderation.

Every command reads the same ``COMMUNS_*`` settings; a bad setting stops it with one line.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError

from schemas.api import ActorCreate
from schemas.states import ActorKind, DeliveryState, DomainBlock
from server.accounts.accounts import create_account, normalize_email
from server.accounts.links import LinkPurpose, issue_link
from server.accounts.members import add_member
from server.clock import utcnow
from server.domain.access import Role
from server.domain.actors import (
    create_local_actor,
    delete_local_actor,
    ensure_instance_actor,
    get_local_actor,
)
from server.domain.moderation import (
    normalize_host,
    set_domain_block,
    suspend_actor,
    unsuspend_actor,
)
from server.domain.tokens import issue_token, list_tokens, revoke_token
from server.errors import ServiceError
from server.settings import Settings
from server.storage.db import Database
from server.storage.migrations import upgrade
from server.urls import Urls

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
actor_app = typer.Typer(no_args_is_help=True, help="Manage local actors.")
token_app = typer.Typer(no_args_is_help=True, help="Manage API tokens.")
domain_app = typer.Typer(no_args_is_help=True, help="Block, silence or unblock remote domains.")
account_app = typer.Typer(no_args_is_help=True, help="Manage the accounts people sign in with.")
app.add_typer(account_app, name="account")
app.add_typer(actor_app, name="actor")
app.add_typer(token_app, name="token")
app.add_typer(domain_app, name="domain")

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line to stderr and return the exit to raise."""
    typer.echo(f"communs: {message}", err=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    """Return validated settings, or stop with a one-line message naming the bad setting."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "COMMUNS_" + str(first["loc"][0]).upper() if first["loc"] else "COMMUNS_*"
        raise fail(f"invalid setting {name}: {first['msg']}", 2) from None


def run_with_db(work: Callable[[Settings, Database, Urls], Awaitable[T]]) -> T:
    """Run an async job against the migrated database and dispose of the engine afterwards."""
    settings = load_settings()
    upgrade(settings.database_url)

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            return await work(settings, db, Urls(settings.base_url))
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except ServiceError as exc:
        raise fail(exc.detail) from None


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = load_settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Web processes.")] = 1,
    demo: Annotated[bool, typer.Option(help="Seed a clearly marked demo actor.")] = False,
) -> None:
    """Apply migrations, then serve the web app (and in-process workers when enabled)."""
    import uvicorn

    from server.http.connections import server_options
    from server.logs import log_config

    settings = load_settings()
    upgrade(settings.database_url)
    if demo:
        from server.demo import seed_demo, seed_demo_account

        run_with_db(seed_demo)
        email, password = run_with_db(seed_demo_account)
        typer.echo(
            f"Demo account: sign in at {settings.base_url}/signin as {email} "
            f"with the password {password}"
        )
    uvicorn.run(
        "server.cli:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(settings.log_level),
        log_level=settings.log_level,
        proxy_headers=True,
        server_header=False,
        **server_options(settings),
    )


def served_app() -> FastAPI:
    """Return the app as ``communs serve`` runs it: its heap frozen once startup is done.

    What startup built lives as long as the process: keep it out of the collector's full passes
    (one took 120 ms under inbox load, the p99 of the whole run). Only the served process does
    this; an app built by tests or embedded elsewhere keeps its collector as it was.
    """
    from server.main import create_app

    app = create_app()
    startup = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with startup(app):
            gc.freeze()
            yield

    app.router.lifespan_context = lifespan
    return app


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Deliveries in flight (default: setting).")
    ] = None,
) -> None:
    """Run the delivery and inbox workers until SIGTERM/SIGINT (in-flight sends finish)."""
    import logging.config
    import signal

    from server.logs import log_config

    settings = load_settings()
    logging.config.dictConfig(log_config(settings.log_level))
    if concurrency is not None:
        settings = settings.model_copy(update={"delivery_concurrency": concurrency})
    upgrade(settings.database_url)

    async def main() -> None:
        from server.runtime import Federation

        db = Database(settings.database_url)
        federation = await Federation.start(settings, db, Urls(settings.base_url))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        federation.run_workers()
        typer.echo("worker started", err=True)
        await stop.wait()
        await federation.close()
        await db.dispose()

    import uvloop

    uvloop.run(main())


@app.command()
def deliveries(
    activity: Annotated[str | None, typer.Option(help="Only this activity's URI.")] = None,
    state: Annotated[DeliveryState | None, typer.Option(help="Only this state.")] = None,
    retry: Annotated[bool, typer.Option("--retry", help="Queue failed ones again.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Rows to show.")] = 50,
) -> None:
    """List deliveries (state, attempts, last status and error), or retry the failed ones."""
    from server.publishing.status import list_deliveries, retry_deliveries

    async def work(settings: Settings, db: Database, urls: Urls) -> None:
        async with db.session() as session:
            if retry:
                count = await retry_deliveries(session, activity=activity)
                typer.echo(f"{count} deliveries queued again")
                return
            rows, _ = await list_deliveries(session, activity=activity, state=state, limit=limit)
        for row in rows:
            status = row.last_status if row.last_status is not None else "-"
            error = (row.last_error or "").replace("\n", " ")[:80]
            typer.echo(
                f"{row.id}\t{row.state}\t{row.attempts}\t{status}\t{row.activity_type}"
                f"\t{row.inbox}\t{error}"
            )

    run_with_db(work)


@account_app.command("create")
def account_create(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    admin: Annotated[bool, typer.Option("--admin", help="An instance admin.")] = False,
    member_of: Annotated[
        str | None, typer.Option(help="Make it the owner of this local actor.")
    ] = None,
) -> None:
    """Create an account; a single-use sign-in link (valid two days) is printed on the last
    line: whoever opens it signs in and chooses a password."""
    address = normalize_email(email)
    if address is None:
        raise fail(f"not an email address: {email}", 2)

    async def work(settings: Settings, db: Database, urls: Urls) -> str:
        async with db.session() as session:
            now = utcnow()
            account = await create_account(session, address, is_admin=admin, now=now)
            if member_of is not None:
                actor = await get_local_actor(session, member_of)
                await add_member(session, account.id or 0, actor.id or 0, Role.owner)
            secret = await issue_link(session, account, LinkPurpose.signin, now=now)
            await session.commit()
            return urls.url(f"/signin/link/{secret}")

    typer.echo(run_with_db(work))


@actor_app.command("create")
def actor_create(
    username: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    kind: Annotated[ActorKind, typer.Option(help="What the actor is.")] = ActorKind.cooperative,
    summary: Annotated[str, typer.Option(help="Bio, in Markdown.")] = "",
    language: Annotated[str, typer.Option(help="What it publishes in (BCP 47: fr, en…).")] = "en",
) -> None:
    """Create a local actor with its RSA-2048 key pair."""
    try:
        data = ActorCreate(
            username=username, name=name, kind=kind, summary=summary, language=language
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"invalid {first['loc'][0]}: {first['msg']}", 2) from None

    async def work(settings: Settings, db: Database, urls: Urls) -> str:
        async with db.session() as session:
            await ensure_instance_actor(session, urls, settings.domain)
            actor = await create_local_actor(session, urls, settings.domain, data)
            return actor.uri

    uri = run_with_db(work)
    typer.echo(uri)


@actor_app.command("delete")
def actor_delete(
    username: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a local actor for good: followers are told, its URLs answer 410."""
    if not yes:
        typer.confirm(f"Delete {username} for good?", abort=True)

    async def work(settings: Settings, db: Database, urls: Urls) -> None:
        async with db.session() as session:
            await delete_local_actor(session, urls, await get_local_actor(session, username))

    run_with_db(work)
    typer.echo(f"{username}: deleted (running workers send the Delete to its followers)")


@actor_app.command("suspend")
def actor_suspend(username: str) -> None:
    """Suspend a local actor: hidden, its Follows rejected, its tokens read-only."""
    _moderate_actor(username, suspend=True)


@actor_app.command("unsuspend")
def actor_unsuspend(username: str) -> None:
    """Lift a local actor's suspension."""
    _moderate_actor(username, suspend=False)


def _moderate_actor(username: str, *, suspend: bool) -> None:
    async def work(settings: Settings, db: Database, urls: Urls) -> None:
        async with db.session() as session:
            if suspend:
                await suspend_actor(session, username)
            else:
                await unsuspend_actor(session, username)

    run_with_db(work)
    typer.echo(f"{username}: {'suspended' if suspend else 'no longer suspended'}")


@domain_app.command("block")
def domain_block(domain: Annotated[str, typer.Argument(help="host[:port]")]) -> None:
    """Reject a domain: drop its activities, remove follows with it, deliver nothing to it."""
    _moderate_domain(domain, DomainBlock.reject)


@domain_app.command("silence")
def domain_silence(domain: Annotated[str, typer.Argument(help="host[:port]")]) -> None:
    """Silence a domain: hide its actors from the directory, hold their Follows for approval."""
    _moderate_domain(domain, DomainBlock.silence)


@domain_app.command("unblock")
def domain_unblock(domain: Annotated[str, typer.Argument(help="host[:port]")]) -> None:
    """Lift a domain's block or silence."""
    _moderate_domain(domain, DomainBlock.none)


def _moderate_domain(domain: str, block: DomainBlock) -> None:
    try:
        host = normalize_host(domain)
    except ServiceError as exc:
        raise fail(exc.detail, 2) from None

    async def work(settings: Settings, db: Database, urls: Urls) -> str:
        async with db.session() as session:
            change = await set_domain_block(session, host, block, local_domain=settings.domain)
        if block == DomainBlock.reject:
            return (
                f"{host}: blocked ({change.follows_removed} follows removed, "
                f"{change.deliveries_abandoned} deliveries abandoned)"
            )
        return f"{host}: {'silenced' if block == DomainBlock.silence else 'unblocked'}"

    typer.echo(run_with_db(work))


@token_app.command("create")
def token_create(
    username: Annotated[str | None, typer.Argument(help="The actor the token acts as.")] = None,
    scopes: Annotated[str, typer.Option(help="Comma-separated: read, write.")] = "read,write",
    admin: Annotated[bool, typer.Option("--admin", help="An admin token (all scopes).")] = False,
) -> None:
    """Create an API token; the token alone is printed on the last line."""
    if admin == (username is not None):
        raise fail("give either USERNAME or --admin", 2)
    wanted = (
        ["read", "write", "admin"] if admin else [s.strip() for s in scopes.split(",") if s.strip()]
    )

    async def work(settings: Settings, db: Database, urls: Urls) -> str:
        async with db.session() as session:
            actor_id = None
            if username is not None:
                actor_id = (await get_local_actor(session, username)).id
            try:
                return await issue_token(session, actor_id=actor_id, scopes=wanted)
            except ValueError as exc:
                raise fail(str(exc), 2) from None

    token = run_with_db(work)
    typer.echo(token)


@token_app.command("list")
def token_list(
    username: Annotated[str | None, typer.Argument(help="Whose tokens.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="The admin tokens.")] = False,
) -> None:
    """List tokens (never their secrets): id, scopes, created, revoked."""
    if admin == (username is not None):
        raise fail("give either USERNAME or --admin", 2)

    async def work(settings: Settings, db: Database, urls: Urls) -> list[str]:
        async with db.session() as session:
            actor_id = None if username is None else (await get_local_actor(session, username)).id
            return [
                "\t".join(
                    [str(t.id), t.scopes, f"created {_when(t.created_at)}"]
                    + ([f"revoked {_when(t.revoked_at)}"] if t.revoked_at else [])
                )
                for t in await list_tokens(session, actor_id=actor_id)
            ]

    for line in run_with_db(work):
        typer.echo(line)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The id `communs token list` shows.")],
) -> None:
    """Revoke a token: requests with it are refused (401) from now on."""

    async def work(settings: Settings, db: Database, urls: Urls) -> bool:
        async with db.session() as session:
            return await revoke_token(session, token_id) is not None

    if not run_with_db(work):
        raise fail(f"no token {token_id}")
    typer.echo(f"token {token_id} revoked")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def main() -> None:
    """Entry point of the ``communs`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
