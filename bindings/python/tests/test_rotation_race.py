"""Rotation is single-use under concurrency through the Python binding.

The core's rotation revokes the old PAT with the store's atomic conditional insert. The binding
once emulated that insert for Python stores with a membership check and an ``add``, made in two
GIL acquisitions with the GIL released in between, so two threads could both pass the check and
both rotate one PAT. These tests race many threads on one PAT, round after round, and force the
worst interleaving where they can: a store whose check is slow lets every thread check before
any adds.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, List, Union

import pytest

import ls_auth
from conftest import SECRET

NOW = 1_700_000_000
ROUNDS = 50
THREADS = 8
ISSUER = ls_auth.Issuer(SECRET)


def race(pat: str, revoked: object) -> List[Union[ls_auth.Rotation, ls_auth.AuthError]]:
    """Rotates ``pat`` from THREADS threads released together; every outcome, in any order."""
    start = threading.Barrier(THREADS)
    outcomes: List[Union[ls_auth.Rotation, ls_auth.AuthError]] = []
    lock = threading.Lock()

    def rotate() -> None:
        start.wait()
        try:
            result: Union[ls_auth.Rotation, ls_auth.AuthError] = ISSUER.rotate(
                pat, now=NOW + 1, revoked=revoked  # type: ignore[arg-type]
            )
        except ls_auth.AuthError as e:
            result = e
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=rotate) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def winners(outcomes: List[Union[ls_auth.Rotation, ls_auth.AuthError]]) -> int:
    for o in outcomes:
        if isinstance(o, ls_auth.AuthError):
            assert o.code in ("token_revoked", "invalid_argument"), o
    return sum(isinstance(o, ls_auth.Rotation) for o in outcomes)


class SlowCheckSet(set):  # type: ignore[type-arg]
    """A set whose membership test is slow: every racing thread checks before any adds."""

    def __contains__(self, jti: object) -> bool:
        found = super().__contains__(jti)
        time.sleep(0.01)
        return found


def test_a_set_cannot_be_rotated_over_so_no_round_has_two_winners() -> None:
    # With the old adapter this store let several threads win each round; now it is refused.
    for round_ in range(ROUNDS):
        pat = ISSUER.mint_pat(str(round_), now=NOW)
        store = SlowCheckSet()
        n = winners(race(pat, store))
        assert n <= 1, f"round {round_}: {n} of {THREADS} rotations of one PAT won"
        assert n == 0 and not store


def test_native_store_has_exactly_one_winner_every_round() -> None:
    store = ls_auth.InMemoryRevocation()
    for round_ in range(ROUNDS):
        pat = ISSUER.mint_pat(str(round_), now=NOW)
        outcomes = race(pat, store)
        assert winners(outcomes) == 1, f"round {round_}"
        assert sum(isinstance(o, ls_auth.TokenRevoked) for o in outcomes) == THREADS - 1
    assert len(store) == ROUNDS


class HostStore:
    """A host's store over its own lock: the conditional insert is one critical section."""

    def __init__(self, pause: Callable[[], None]) -> None:
        self.revoked: set = set()  # type: ignore[type-arg]
        self.lock = threading.Lock()
        self.pause = pause

    def is_revoked(self, jti: str) -> bool:
        self.pause()
        with self.lock:
            return jti in self.revoked

    def revoke_if_active(self, jti: str, exp: int, now: int) -> bool:
        with self.lock:
            if jti in self.revoked:
                return False
            self.pause()
            self.revoked.add(jti)
            return True


@pytest.mark.parametrize("pause", [lambda: None, lambda: time.sleep(0.002)], ids=["fast", "slow"])
def test_host_store_with_atomic_insert_has_exactly_one_winner(pause: Callable[[], None]) -> None:
    store = HostStore(pause)
    for round_ in range(ROUNDS):
        pat = ISSUER.mint_pat(str(round_), now=NOW)
        assert winners(race(pat, store)) == 1, f"round {round_}"
