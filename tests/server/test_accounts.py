"""Accounts: passwords, throttled sign-in, sessions, second factor, links and invitations."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from server.accounts.accounts import create_account, normalize_email, sign_in
from server.accounts.invitations import accept_invitation, find_invitation, invite
from server.accounts.links import LinkPurpose, issue_link, use_link
from server.accounts.members import add_member, remove_member, set_role
from server.accounts.passwords import check_password
from server.accounts.sessions import find_session, open_session, revoke_session
from server.accounts.throttle import ACCOUNT_FAILURES, ADDRESS_FAILURES, wait_left
from server.accounts.totp import check_second_factor, enable_totp, new_totp_secret
from server.clock import FrozenClock
from server.domain.access import Role
from server.errors import Conflict
from server.storage.accounts import Membership
from server.storage.db import Database
from tests.conftest import create_actor

PASSWORD = "correct horse battery"


async def _account(db: Database, clock: FrozenClock, email: str = "ada@example.org"):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        account = await create_account(
            session, email, password=PASSWORD, confirmed=True, now=clock.now()
        )
        await session.commit()
        return account


def test_normalize_email__lowercases_and_refuses_non_addresses() -> None:
    assert normalize_email("  Ada@Example.ORG ") == "ada@example.org"
    assert normalize_email("not an address") is None
    assert normalize_email("a@b") is None
    assert check_password("short") == "too_short"
    assert check_password("long enough, surely") is None


async def test_sign_in__right_password_and_wrong_one(db: Database) -> None:
    clock = FrozenClock()
    await _account(db, clock)
    async with db.session() as session:
        ok = await sign_in(
            session, email="ADA@example.org", password=PASSWORD, ip="1.2.3.4", now=clock.now()
        )
        wrong = await sign_in(
            session, email="ada@example.org", password="nope", ip="1.2.3.4", now=clock.now()
        )
        unknown = await sign_in(
            session, email="bob@example.org", password=PASSWORD, ip="1.2.3.4", now=clock.now()
        )
    assert ok.reason == "ok" and ok.account is not None
    assert wrong.reason == "wrong" and unknown.reason == "wrong"


async def test_sign_in__twenty_wrong_passwords_refuse_the_right_one_until_the_wait_is_over(
    db: Database,
) -> None:
    # Given an account and 20 wrong passwords in a row
    clock = FrozenClock()
    await _account(db, clock)
    async with db.session() as session:
        reasons = [
            (
                await sign_in(
                    session, email="ada@example.org", password="bad", ip="5.6.7.8", now=clock.now()
                )
            ).reason
            for _ in range(20)
        ]
        # Then the first ACCOUNT_FAILURES were checked, and the rest refused while waiting
        assert reasons[:ACCOUNT_FAILURES] == ["wrong"] * ACCOUNT_FAILURES
        assert set(reasons[ACCOUNT_FAILURES:]) == {"throttled"}

        # When the right password comes at once, it is refused too
        right = await sign_in(
            session, email="ada@example.org", password=PASSWORD, ip="9.9.9.9", now=clock.now()
        )
        assert right.reason == "throttled" and right.wait == timedelta(minutes=1)

        # And once the wait is over it is accepted
        clock.advance(timedelta(minutes=1, seconds=1))
        later = await sign_in(
            session, email="ada@example.org", password=PASSWORD, ip="9.9.9.9", now=clock.now()
        )
        assert later.reason == "ok"


async def test_sign_in__waits_double_with_each_failure_after_the_first_wait(db: Database) -> None:
    clock = FrozenClock()
    await _account(db, clock)
    waits = []
    async with db.session() as session:
        for _ in range(ACCOUNT_FAILURES + 2):
            result = await sign_in(
                session, email="ada@example.org", password="bad", ip="5.6.7.8", now=clock.now()
            )
            assert result.reason == "wrong"
            wait = await wait_left(session, email="ada@example.org", ip="5.6.7.8", now=clock.now())
            waits.append(wait)
            clock.advance(wait)
    assert waits[: ACCOUNT_FAILURES - 1] == [timedelta(0)] * (ACCOUNT_FAILURES - 1)
    assert waits[ACCOUNT_FAILURES - 1 :] == [timedelta(minutes=m) for m in (1, 2, 4)]


async def test_sign_in__an_address_trying_many_accounts_is_throttled(db: Database) -> None:
    clock = FrozenClock()
    await _account(db, clock)
    async with db.session() as session:
        for n in range(ADDRESS_FAILURES):
            await sign_in(
                session, email=f"guess{n}@example.org", password="x", ip="6.6.6.6", now=clock.now()
            )
        from_there = await sign_in(
            session, email="ada@example.org", password=PASSWORD, ip="6.6.6.6", now=clock.now()
        )
        elsewhere = await sign_in(
            session, email="ada@example.org", password=PASSWORD, ip="7.7.7.7", now=clock.now()
        )
    assert from_there.reason == "throttled"
    assert elsewhere.reason == "ok"


async def test_session__revoked_or_expired_cookie_is_refused(db: Database) -> None:
    clock = FrozenClock()
    account = await _account(db, clock)
    async with db.session() as session:
        secret = await open_session(session, account, now=clock.now(), verified=True)
        await session.commit()
        found = await find_session(session, secret, now=clock.now())
        assert found is not None
        assert await find_session(session, secret + "x", now=clock.now()) is None
        assert await revoke_session(session, account.id, found[0].id, now=clock.now())
        assert await find_session(session, secret, now=clock.now()) is None

        other = await open_session(session, account, now=clock.now(), verified=True)
        await session.commit()
        clock.advance(timedelta(days=8))
        assert await find_session(session, other, now=clock.now()) is None


async def test_totp__a_code_counts_once_and_recovery_codes_once(db: Database) -> None:
    clock = FrozenClock()
    account = await _account(db, clock)
    secret = new_totp_secret()
    totp = pyotp.TOTP(secret)
    async with db.session() as session:
        account = await session.merge(account)
        assert await enable_totp(session, account, secret, "000000", now=clock.now()) in (None,)
        codes = await enable_totp(session, account, secret, totp.at(clock.now()), now=clock.now())
        await session.commit()
        assert codes is not None and len(codes) == 10

        clock.advance(timedelta(seconds=30))
        code = totp.at(clock.now())
        assert await check_second_factor(session, account, code, now=clock.now())
        assert not await check_second_factor(session, account, code, now=clock.now())
        assert await check_second_factor(session, account, codes[0], now=clock.now())
        assert not await check_second_factor(session, account, codes[0], now=clock.now())
        assert not await check_second_factor(session, account, "123456", now=clock.now())


async def test_links__single_use_and_expiring(db: Database) -> None:
    clock = FrozenClock()
    account = await _account(db, clock)
    async with db.session() as session:
        secret = await issue_link(session, account, LinkPurpose.reset, now=clock.now())
        late = await issue_link(session, account, LinkPurpose.reset, now=clock.now())
        await session.commit()
        assert await use_link(session, secret, LinkPurpose.signin, now=clock.now()) is None
        used = await use_link(session, secret, LinkPurpose.reset, now=clock.now())
        assert used is not None and used.id == account.id
        assert await use_link(session, secret, LinkPurpose.reset, now=clock.now()) is None
        clock.advance(timedelta(hours=2))
        assert await use_link(session, late, LinkPurpose.reset, now=clock.now()) is None


async def test_invitation__makes_a_member_once(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    clock = FrozenClock()
    actor, _ = await create_actor(app, "coop")
    account = await _account(db, clock)
    async with db.session() as session:
        secret = await invite(
            session, email="ada@example.org", actor_id=actor.id, role=Role.editor, now=clock.now()
        )
        await session.commit()
        invitation = await find_invitation(session, secret, now=clock.now())
        assert invitation is not None
        account = await session.merge(account)
        assert await accept_invitation(session, invitation, account, now=clock.now())
        assert not await accept_invitation(session, invitation, account, now=clock.now())
        await session.commit()
        assert await find_invitation(session, secret, now=clock.now()) is None
        membership = await session.get(Membership, (account.id, actor.id))
    assert membership is not None and membership.role == "editor"


async def test_members__the_last_owner_cannot_leave_nor_step_down(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    clock = FrozenClock()
    actor, _ = await create_actor(app, "coop")
    ada = await _account(db, clock)
    bob = await _account(db, clock, "bob@example.org")
    async with db.session() as session:
        await add_member(session, ada.id, actor.id, Role.owner)
        await add_member(session, bob.id, actor.id, Role.editor)
        await session.commit()
        with pytest.raises(Conflict):
            await remove_member(session, ada.id, actor.id)
        with pytest.raises(Conflict):
            await set_role(session, await session.get(Membership, (ada.id, actor.id)), Role.editor)
        await add_member(session, bob.id, actor.id, Role.owner)
        await remove_member(session, ada.id, actor.id)
        await session.commit()
        assert await session.get(Membership, (ada.id, actor.id)) is None


async def test_housekeeping__drops_spent_secrets_and_keeps_live_ones(db: Database) -> None:
    from sqlalchemy import func, select

    from server.domain.housekeeping import purge_spent_secrets
    from server.storage.accounts import AccountLink, AccountSession

    clock = FrozenClock()
    account = await _account(db, clock)
    async with db.session() as session:
        old = await open_session(session, account, now=clock.now(), verified=True)
        await issue_link(session, account, LinkPurpose.reset, now=clock.now())
        await session.commit()
        clock.advance(timedelta(days=32))
        live = await open_session(session, account, now=clock.now(), verified=True)
        await session.commit()

        await purge_spent_secrets(session, clock.now())
        await session.commit()

        sessions = await session.scalar(select(func.count()).select_from(AccountSession))
        links = await session.scalar(select(func.count()).select_from(AccountLink))
        assert await find_session(session, live, now=clock.now()) is not None
        assert await find_session(session, old, now=clock.now()) is None
    assert (sessions, links) == (1, 0)
