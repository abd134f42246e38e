"""Password guessing slowed per account and per client address, across concurrent requests (the login form and
HTTP Basic alike).

Each account and each address has a record of its consecutive failed logins. A failure is recorded the moment
the password is compared, so concurrent guesses see each other's failures; each gets a time slot after the
previous one's, lengthening with the failures (1, 2, 4 … 30 s), and its answer is held until then: 50 concurrent
guesses take minutes, not a second. A right password with no failure on record is answered at once (programs
send HTTP Basic on every request); one that comes while failures are on record waits its slot too, so a guess
that happens to be right is not told apart by its speed. A guess that would wait past MAX_WAIT_S is refused
without its password being compared. A success clears both records; a record is forgotten after FORGET_AFTER_S."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("qa.ui")
BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0
MAX_WAIT_S = 120.0
FORGET_AFTER_S = 900.0
MAX_RECORDS = 20_000


@dataclass
class _Record:
    failures: int = 0
    next_slot: float = 0.0  # when the next guess may be answered
    last: float = 0.0


@dataclass(frozen=True)
class Verdict:
    ok: bool
    wait_s: float  # hold the answer this long
    refused: bool = False  # too many guesses queued: not compared at all


class LoginThrottle:
    def __init__(self, base_s: float = BASE_DELAY_S, max_delay_s: float = MAX_DELAY_S, max_wait_s: float = MAX_WAIT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base_s, self.max_delay_s, self.max_wait_s, self.clock = base_s, max_delay_s, max_wait_s, clock
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()
        self._lock = threading.Lock()

    def delay(self, failures: int) -> float:
        return min(self.base_s * 2 ** (failures - 1), self.max_delay_s) if failures > 0 else 0.0

    def attempt(self, name: str, address: str, check: Callable[[], bool]) -> Verdict:
        """Compare the password (`check`) unless this account or address has too many guesses queued; the
        verdict and how long to hold the answer."""
        keys = (("tài khoản", name), ("địa chỉ", address))
        with self._lock:
            now = self.clock()
            records = [self._record(key, now) for key in keys]
            start = max([now, *(r.next_slot for r in records)])
            if start - now > self.max_wait_s:
                log.warning("đăng nhập bị từ chối không kiểm tra: tài khoản «%s» từ %s đang bị thử quá nhiều", name, address)
                return Verdict(False, 0.0, refused=True)
            ok = check()
            if ok and not any(r.failures for r in records):
                return Verdict(True, 0.0)
            if ok:
                for key in keys:
                    self._records.pop(key, None)
                return Verdict(True, start - now)
            for r in records:
                r.failures += 1
                r.last = now
            answer_at = start + self.delay(max(r.failures for r in records))
            for r in records:
                r.next_slot = answer_at
            failures = max(r.failures for r in records)
        log.warning("đăng nhập sai: tài khoản «%s» từ %s, lần thứ %d liên tiếp; trả lời sau %.1f s", name, address,
                    failures, answer_at - now)
        return Verdict(False, answer_at - now)

    def _record(self, key: tuple[str, str], now: float) -> _Record:
        record = self._records.get(key)
        if record is None or (now - record.last > FORGET_AFTER_S and record.next_slot < now):
            record = self._records[key] = _Record(last=now)
            while len(self._records) > MAX_RECORDS:
                self._records.popitem(last=False)
        self._records.move_to_end(key)
        return record
