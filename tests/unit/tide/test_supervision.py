"""The supervisor's rules on a clock of its own: a death is reported at the next poll, restarts
back off (1 s, doubling, at most 30 s) and the backoff resets once a child stayed up a minute."""

from __future__ import annotations

from tide.stack.errors import StackError
from tide.stack.supervision import Child, Supervisor


class Fake:
    def __init__(self) -> None:
        self.up = True
        self.fail = 0  # restarts that fail before one succeeds

    def restart(self) -> None:
        if self.fail:
            self.fail -= 1
            raise StackError("port still in use")
        self.up = True


def test_deaths_are_reported_and_restarts_back_off() -> None:
    now = [0.0]
    fake = Fake()
    child = Child("broker", "127.0.0.1:9092", lambda: fake.up, fake.restart, lambda: 7)
    supervisor = Supervisor([child], clock=lambda: now[0])
    assert supervisor.poll() == []
    fake.up, fake.fail = False, 2
    assert supervisor.poll() == ["broker died — restarting in 1 s"]
    assert supervisor.poll() == []  # not due yet
    now[0] = 1.0
    assert supervisor.poll() == ["broker did not come back (port still in use); next try in 2 s"]
    now[0] = 3.0
    assert supervisor.poll() == ["broker did not come back (port still in use); next try in 4 s"]
    now[0] = 7.0
    assert supervisor.poll() == ["broker back at 127.0.0.1:9092 (restarts: 1)"]
    assert supervisor.snapshot() == [{"name": "broker", "address": "127.0.0.1:9092",
                                      "state": "running", "pid": 7, "restarts": 1}]  # fmt: skip
    fake.up = False
    assert supervisor.poll() == ["broker died — restarting in 8 s"]  # it died soon: backing off
    now[0] = 15.0
    assert supervisor.poll() == ["broker back at 127.0.0.1:9092 (restarts: 2)"]
    now[0] = 15.0 + 60
    assert supervisor.poll() == []  # stable for a minute: the next death starts again at 1 s
    fake.up = False
    assert supervisor.poll() == ["broker died — restarting in 1 s"]
