"""Asynchronous invocation as Lambda does it: a queue, retries, event age, destinations.

``Invoke`` with ``InvocationType=Event`` and S3 notifications put the event on a bounded
in-memory queue and return at once (202 / the PutObject answer), whatever the function does.
Worker threads take events whose function has a free sandbox slot and run them; then, per the
function's **event invoke config** (``PutFunctionEventInvokeConfig``; default 2 retries, 6 h):

* function error (exception, timeout, memory, crash) → retried after 1 minute, then 2 minutes
  (``SFP_EMULATOR_RETRY_MINUTE`` seconds per minute: 0.2 by default), up to
  ``MaximumRetryAttempts``; the same request id on every attempt;
* throttled (no free slot: reserved concurrency or the emulator's limit) → back on the queue,
  not counted as an attempt; taken again as soon as a slot frees;
* an event older than ``MaximumEventAgeInSeconds`` (real time, never compressed) is dropped;
* the outcome goes to the ``OnSuccess`` / ``OnFailure`` destination as Lambda's invocation
  record (:mod:`tooling.emulator.lambda_destinations`), conditions ``Success``,
  ``RetriesExhausted``, ``EventAgeExceeded``;
* a function with reserved concurrency 0 sends new events to its on-failure destination without
  running them (Lambda's documented behaviour).

The queue is bounded (``SFP_EMULATOR_ASYNC_QUEUE_SIZE``): when full, a new event waits for room
(back-pressure on the caller) rather than being dropped. Retries never wait for room.

``install()`` also fixes moto's event invoke config: Put and Update appended a config while Get
returned the first one (put 2 retries, then 0: Get still said 2). Put now replaces it; Update
changes only the fields it names.

:class:`AsyncQueue` is plain Python (tested without moto); the moto glue is in :func:`install`.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.emulator import lambda_destinations, lambda_metrics
from tooling.emulator.lambda_destinations import (
    EVENT_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    SUCCESS,
    DeliveryError,
    DestinationSender,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tooling.emulator.lambda_runtime import Invocation, LambdaRuntime
    from tooling.emulator.settings import RuntimeSettings

LOG = logging.getLogger("sfp.emulator.async")

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_SECONDS = 21600.0
# Lambda's retry delays after a function error: 1 minute, then 2 minutes.
RETRY_DELAYS_SECONDS: tuple[float, ...] = (60.0, 120.0)
# Throttled events come back after 1 s doubling up to 5 min on Lambda (compressed here, and
# never shorter than this, so a saturated function is not polled in a tight loop).
MIN_THROTTLE_DELAY = 0.02
IDLE_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class AsyncConfig:
    """A function's event invoke config (AWS defaults when it has none)."""

    maximum_retry_attempts: int = DEFAULT_RETRIES
    maximum_event_age_seconds: float = DEFAULT_MAX_AGE_SECONDS
    on_success: str | None = None
    on_failure: str | None = None
    reserved_zero: bool = False


@dataclass
class AsyncEvent:
    """One event in the queue, with its history."""

    account_id: str
    region: str
    function_name: str
    function_key: str
    payload: bytes
    source: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received: float = field(default_factory=time.time)
    attempts: int = 0
    throttles: int = 0
    ready_at: float = 0.0
    seq: int = 0
    last: Invocation | None = None

    def sort_key(self) -> tuple[float, int]:
        return (self.ready_at, self.seq)


@dataclass
class AsyncStats:
    submitted: int = 0
    succeeded: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    dropped: int = 0
    throttled: int = 0
    delivered: int = 0
    delivery_failures: int = 0


class AsyncQueue:
    """The queue and its workers; what to run and where records go are callbacks."""

    def __init__(
        self,
        settings: RuntimeSettings,
        *,
        attempt: Callable[[AsyncEvent], Invocation | None],
        config_for: Callable[[AsyncEvent], AsyncConfig | None],
        deliver: Callable[[AsyncEvent, str, str], None],
        has_capacity: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._attempt = attempt
        self._config_for = config_for
        self._deliver = deliver
        self._has_capacity = has_capacity
        self._clock = clock
        self._wall = wall
        self._pending: list[AsyncEvent] = []
        self._keys: list[tuple[float, int]] = []
        self._in_flight = 0
        self._cond = threading.Condition()
        self._counter = itertools.count()
        self._running = False
        self._workers: list[threading.Thread] = []
        self.stats = AsyncStats()

    # --- producers ------------------------------------------------------------------------

    def submit(self, event: AsyncEvent, *, timeout: float | None = None) -> str:
        """Queue a new event (waiting for room when the queue is full); its request id."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while len(self._pending) >= self.settings.queue_size:
                remaining = None if deadline is None else deadline - self._clock()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError("the emulator's async queue stayed full")
                self._cond.wait(remaining)
            event.ready_at = self._clock()
            self._push(event)
            self.stats.submitted += 1
        return event.request_id

    def notify(self) -> None:
        """A sandbox slot was freed: workers look again."""
        with self._cond:
            self._cond.notify_all()

    # --- workers --------------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._running:
                return
            self._running = True
        for number in range(self.settings.async_workers):
            worker = threading.Thread(target=self._work, name=f"async-{number}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()
        for worker in self._workers:
            worker.join(timeout)
        self._workers = []

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            return {
                "queued": len(self._pending),
                "in_flight": self._in_flight,
                "capacity": self.settings.queue_size,
                **vars(self.stats),
            }

    def idle(self) -> bool:
        with self._cond:
            return not self._pending and not self._in_flight

    def run_once(self, event: AsyncEvent) -> None:
        """Process one taken event (exposed for tests; workers call it)."""
        config = self._config_for(event)
        if config is None:
            LOG.warning(
                "sfp-emulator: dropped event %s: function %s no longer exists",
                event.request_id,
                event.function_name,
            )
            self.stats.dropped += 1
            return
        if config.reserved_zero:
            # Lambda: with reserved concurrency 0, new events go to the on-failure destination
            # without any attempt.
            self._finish(event, config, RETRIES_EXHAUSTED)
            return
        if self._wall() - event.received > config.maximum_event_age_seconds:
            self._finish(event, config, EVENT_AGE_EXCEEDED)
            return
        invocation = self._attempt(event)
        if invocation is None:
            self.stats.dropped += 1
            return
        if invocation.status == "throttled":
            event.throttles += 1
            self.stats.throttled += 1
            delay = self.settings.retry_delay(min(2.0 ** (event.throttles - 1), 300.0))
            self._requeue(event, max(delay, MIN_THROTTLE_DELAY))
            return
        event.attempts += 1
        event.last = invocation
        if invocation.succeeded:
            self._finish(event, config, SUCCESS)
            return
        if event.attempts <= config.maximum_retry_attempts:
            self.stats.retried += 1
            index = min(event.attempts, len(RETRY_DELAYS_SECONDS)) - 1
            self._requeue(event, self.settings.retry_delay(RETRY_DELAYS_SECONDS[index]))
            return
        self._finish(event, config, RETRIES_EXHAUSTED)

    def _work(self) -> None:
        while True:
            event = self._take()
            if event is None:
                return
            try:
                self.run_once(event)
            except Exception:
                LOG.exception("sfp-emulator: async event %s broke", event.request_id)
                self.stats.dropped += 1
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _take(self) -> AsyncEvent | None:
        with self._cond:
            while self._running:
                now = self._clock()
                wake = now + IDLE_POLL_SECONDS
                for index, event in enumerate(self._pending):
                    if event.ready_at > now:
                        wake = min(wake, event.ready_at)
                        break
                    if self._has_capacity(event.function_key):
                        del self._pending[index]
                        del self._keys[index]
                        self._in_flight += 1
                        self._cond.notify_all()  # room for a waiting producer
                        return event
                self._cond.wait(max(0.0, wake - now))
            return None

    def _push(self, event: AsyncEvent) -> None:
        event.seq = next(self._counter)
        key = event.sort_key()
        index = bisect.bisect(self._keys, key)
        self._keys.insert(index, key)
        self._pending.insert(index, event)
        self._cond.notify_all()

    def _requeue(self, event: AsyncEvent, delay: float) -> None:
        with self._cond:
            event.ready_at = self._clock() + delay
            self._push(event)

    def _finish(self, event: AsyncEvent, config: AsyncConfig, condition: str) -> None:
        if condition == SUCCESS:
            self.stats.succeeded += 1
            destination = config.on_success
        else:
            if condition == EVENT_AGE_EXCEEDED:
                self.stats.expired += 1
            else:
                self.stats.failed += 1
            destination = config.on_failure
            LOG.warning(
                "sfp-emulator: async event %s for %s discarded (%s after %d attempt(s))%s",
                event.request_id,
                event.function_name,
                condition,
                event.attempts,
                f" → {destination}" if destination else "",
            )
        if not destination:
            return
        try:
            self._deliver(event, condition, destination)
            self.stats.delivered += 1
        except DeliveryError as error:
            self.stats.delivery_failures += 1
            lambda_metrics.record_destination_failure(
                event.account_id, event.region, event.function_name
            )
            LOG.warning(
                "sfp-emulator: the %s record of %s could not be delivered to %s: %s",
                condition,
                event.function_name,
                destination,
                error,
            )


# --- moto integration ------------------------------------------------------------------------

_QUEUE: AsyncQueue | None = None


def queue() -> AsyncQueue:
    if _QUEUE is None:
        raise RuntimeError("the emulator's async invocation is not installed")
    return _QUEUE


def submit(function: Any, payload: bytes, source: str) -> str:
    """Queue an asynchronous invocation of a moto function; its request id."""
    from tooling.emulator import lambda_runtime

    spec = lambda_runtime.runtime().spec_for(function)
    event = AsyncEvent(
        account_id=spec.account_id,
        region=spec.region,
        function_name=spec.name,
        function_key=spec.key,
        payload=payload,
        source=source,
    )
    return queue().submit(event)


def config_of(function: Any) -> AsyncConfig:
    """A moto function's event invoke config (AWS's defaults when it has none)."""
    configs = list(getattr(function, "event_invoke_config", []) or [])
    raw: dict[str, Any] = dict(configs[-1].config) if configs else {}
    destinations = raw.get("DestinationConfig") or {}
    reserved = function.reserved_concurrency
    return AsyncConfig(
        maximum_retry_attempts=int(raw.get("MaximumRetryAttempts", DEFAULT_RETRIES)),
        maximum_event_age_seconds=float(
            raw.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_SECONDS)
        ),
        on_success=(destinations.get("OnSuccess") or {}).get("Destination") or None,
        on_failure=(destinations.get("OnFailure") or {}).get("Destination") or None,
        reserved_zero=reserved not in (None, "") and int(reserved) == 0,
    )


def install(settings: RuntimeSettings, runtime: LambdaRuntime) -> AsyncQueue:
    """Start the queue, route Event invocations to it, fix moto's event invoke config."""
    global _QUEUE
    from tooling.emulator.lambda_runtime import lookup_function

    sender = DestinationSender(runtime.endpoint)

    def function_of(event: AsyncEvent) -> Any:
        return lookup_function(event.account_id, event.region, event.function_name)

    def attempt(event: AsyncEvent) -> Invocation | None:
        function = function_of(event)
        if function is None:
            return None
        return runtime.invoke(function, event.payload, request_id=event.request_id, wait=None)

    def config_for(event: AsyncEvent) -> AsyncConfig | None:
        function = function_of(event)
        return None if function is None else config_of(function)

    def deliver(event: AsyncEvent, condition: str, destination: str) -> None:
        function = function_of(event)
        if function is None:
            raise DeliveryError(f"function {event.function_name} no longer exists")
        spec = runtime.spec_for(function)
        last = event.last
        record = lambda_destinations.invocation_record(
            request_id=event.request_id,
            function_arn=spec.arn,
            executed_version=last.executed_version if last else spec.version,
            condition=condition,
            invoke_count=event.attempts,
            request_payload=event.payload,
            status_code=200 if last else None,
            function_error=last.function_error if last else None,
            response_payload=last.payload if last else None,
        )
        credentials = runtime.credentials_for(spec).environment
        sender.send(record, destination, function_arn=spec.arn, credentials=credentials)

    _QUEUE = AsyncQueue(
        settings,
        attempt=attempt,
        config_for=config_for,
        deliver=deliver,
        has_capacity=runtime.has_capacity,
    )
    runtime.async_submit = submit
    runtime.release_listeners.append(_QUEUE.notify)
    runtime.status_providers["async"] = _QUEUE.snapshot
    _fix_event_invoke_config()
    _QUEUE.start()
    return _QUEUE


def _fix_event_invoke_config() -> None:
    """Put replaces the config; Update changes only the fields it names (moto appended both)."""
    from moto.awslambda.models import EventInvokeConfig, LambdaBackend

    def put(self: LambdaBackend, function_name: str, config: dict[str, Any]) -> dict[str, Any]:
        function = self.get_function(function_name)
        stored = EventInvokeConfig(function.function_arn, function.last_modified, config)
        function.event_invoke_config = [stored]
        return stored.response()

    def update(self: LambdaBackend, function_name: str, config: dict[str, Any]) -> dict[str, Any]:
        function = self.get_function(function_name)
        current = function.event_invoke_config
        merged = {**(current[-1].config if current else {}), **config}
        return put(self, function_name, merged)

    LambdaBackend.put_function_event_invoke_config = put  # type: ignore[method-assign]
    LambdaBackend.update_function_event_invoke_config = update  # type: ignore[method-assign]
