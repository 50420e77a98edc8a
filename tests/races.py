"""Running calls at the same moment, each in its own thread on its own database connection,
for the tests of what happens when requests race."""

import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_at_once(*calls) -> list[Outcome]:
    """Start every call at the same moment in its own thread (its own connection); return
    what each returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index].value = call()
        except BaseException as error:
            outcomes[index].error = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return outcomes
