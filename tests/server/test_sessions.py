"""The session store: ids, maximum count with longest-idle eviction, idle expiry."""

import pytest

from server.sessions import SessionNotFoundError, SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ids_are_long_random_and_distinct() -> None:
    store = SessionStore(100, 60.0)
    ids = {store.add(object()).id for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) >= 22 for i in ids)  # 16 random bytes, URL-safe base64


def test_full_store_evicts_the_longest_idle_first() -> None:
    clock = Clock()
    store = SessionStore(3, 1e6, clock=clock)
    a = store.add("a")
    clock.now += 1
    b = store.add("b")
    clock.now += 1
    c = store.add("c")
    clock.now += 1
    store.get(a.id)  # a is now the most recently used; b is the idlest
    clock.now += 1
    d = store.add("d")
    assert len(store) == 3
    assert b.id not in store
    assert a.id in store and c.id in store and d.id in store


def test_idle_sessions_expire_and_use_refreshes() -> None:
    clock = Clock()
    store = SessionStore(10, 100.0, clock=clock)
    kept = store.add("kept")
    dropped = store.add("dropped")
    clock.now += 60
    store.get(kept.id)
    clock.now += 60  # dropped idle 120 s > 100 s; kept idle 60 s
    with pytest.raises(SessionNotFoundError):
        store.get(dropped.id)
    assert store.get(kept.id).trainer == "kept"
    clock.now += 101
    assert store.expire() == 1
    assert len(store) == 0


def test_remove_and_alive() -> None:
    store = SessionStore(2, 10.0)
    session = store.add("x")
    assert store.alive(session)
    store.remove(session.id)
    assert not store.alive(session)
    with pytest.raises(SessionNotFoundError):
        store.remove(session.id)


@pytest.mark.parametrize(("count", "ttl"), [(0, 10.0), (5, 0.0)])
def test_store_rejects_nonsense_limits(count: int, ttl: float) -> None:
    with pytest.raises(ValueError):
        SessionStore(count, ttl)


def test_the_app_sweeps_expired_sessions_in_the_background() -> None:
    import time

    from fastapi.testclient import TestClient

    from server.main import create_app, sweep_interval
    from server.settings import Settings

    settings = Settings(session_ttl_seconds=0.5)
    assert sweep_interval(settings) == 1.0
    with TestClient(create_app(settings)) as client:
        sid = client.post("/api/sessions").json()["id"]
        store = client.app.state.store
        assert sid in store
        deadline = time.monotonic() + 10
        while sid in store and time.monotonic() < deadline:
            time.sleep(0.1)  # no request touches the store meanwhile
        assert sid not in store


def test_a_watched_session_does_not_expire_and_is_evicted_last() -> None:
    clock = Clock()
    store = SessionStore(2, 100.0, clock=clock)
    watched = store.add("watched")
    watched.streams = 1
    clock.now += 1
    other = store.add("other")
    clock.now += 1
    newest = store.add("newest")  # full: the unwatched one goes, though watched is idler
    assert watched.id in store and other.id not in store and newest.id in store
    clock.now += 500
    assert store.expire() == 1  # newest expired; watched stays while its stream is open
    assert watched.id in store
    watched.streams = 0
    assert store.expire() == 1
    assert watched.id not in store


def test_when_every_session_is_watched_the_idlest_is_evicted() -> None:
    clock = Clock()
    store = SessionStore(2, 100.0, clock=clock)
    a = store.add("a")
    clock.now += 1
    b = store.add("b")
    a.streams = b.streams = 1
    clock.now += 1
    c = store.add("c")
    assert a.id not in store and b.id in store and c.id in store
