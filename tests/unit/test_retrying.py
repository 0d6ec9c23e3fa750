"""A unit of work the database aborts (deadlock, lock wait timeout, busy) is run again
from the start; only the outermost use case call runs it again, and after a few
attempts the caller hears ``Busy`` with nothing changed."""

from __future__ import annotations

import attrs
import pytest

from kasa.application import retrying
from kasa.application.retrying import ATTEMPTS, Aborted, runs_many, use_cases
from kasa.domain.errors import Busy


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrying, "PAUSE_SECONDS", 0)


@use_cases
@attrs.define
class Ledger:
    aborts: int = 0
    runs: list[str] = attrs.field(factory=list)
    kept: list[str] = attrs.field(factory=list)
    abort_once: set[str] = attrs.field(factory=set)

    def write(self, what: str) -> str:
        self.runs.append(what)
        if self.aborts or what in self.abort_once:
            self.aborts = max(self.aborts - 1, 0)
            self.abort_once.discard(what)
            raise Aborted("Deadlock found when trying to get lock")
        self.kept.append(what)
        return what

    def write_twice(self, what: str) -> None:
        self.write(what)  # a use case inside another: the outer one runs again
        self.write(what + "!")

    @runs_many
    def write_each(self, items: list[str]) -> list[str]:
        return [self.write(item) for item in items]

    def _private(self) -> None:
        raise Aborted("never retried by itself")


def test_an_aborted_unit_of_work_runs_again_until_it_passes() -> None:
    ledger = Ledger(aborts=2)
    assert ledger.write("a") == "a"
    assert ledger.runs == ["a", "a", "a"] and ledger.kept == ["a"]


def test_after_the_last_attempt_the_caller_hears_busy() -> None:
    ledger = Ledger(aborts=ATTEMPTS)
    with pytest.raises(Busy, match="nothing was changed"):
        ledger.write("a")
    assert len(ledger.runs) == ATTEMPTS and ledger.kept == []


def test_only_the_outermost_call_runs_again() -> None:
    ledger = Ledger(abort_once={"b!"})
    ledger.write_twice("b")
    # the inner call did not run again by itself: the whole outer call did
    assert ledger.runs == ["b", "b!", "b", "b!"]
    assert ledger.kept == ["b", "b", "b!"]


def test_a_method_that_runs_many_units_retries_each_of_them() -> None:
    ledger = Ledger(aborts=1)
    assert ledger.write_each(["x", "y"]) == ["x", "y"]
    assert ledger.runs == ["x", "x", "y"]


def test_private_helpers_are_not_retried_by_themselves() -> None:
    with pytest.raises(Aborted):
        Ledger()._private()
