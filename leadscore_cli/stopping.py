"""Stop a run on SIGTERM the way Ctrl-C stops it: cleanly, even inside a polars query.

cron and systemd end a job that overruns with SIGTERM. Python's default is to die on
the spot, leaving a multi-GB temp file beside the output and no manifest. While
`handling_sigterm` is active, SIGTERM instead raises `Terminated` (a KeyboardInterrupt),
so the same cleanup runs as for Ctrl-C.

A Python signal handler cannot run while the main thread is inside a polars query (the
engine runs in Rust). polars aborts a query only on SIGINT, which it watches itself. So a
watcher thread, woken by Python's signal wake-up fd, relays a SIGTERM that arrives
during a query (`stoppable`) as SIGINT. That SIGINT also leaves Python's own SIGINT
handler pending, which would raise a second KeyboardInterrupt at some later call, in
the middle of the cleanup: `stoppable` lets it fire at once, where it is harmless.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from leadscore_cli.errors import Terminated

__all__ = [
    "committing",
    "handling_sigterm",
    "ignore_stops_if_committed",
    "note_late_stop",
    "stoppable",
    "until_exit",
]

T = TypeVar("T")


class _State:
    """What the main thread and the watcher share; `lock` orders relays and sections."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = False
        self.queries = 0  # polars queries running in `stoppable` sections
        self.terminate = False  # a SIGTERM asked the run to stop
        self.raised = False  # Terminated was raised: later SIGTERMs are ignored
        self.committed = False  # an output is in place: a stop now waits for the run's end
        self.late = False  # a stop was asked for after that
        self.noted = False  # and stderr said so
        self.sigint_handler: object = None  # the SIGINT handler `committing` replaced


_state = _State()
# Whether handlers stay after a committed run (see `until_exit`); off in a library call,
# whose caller expects its own handlers back.
_until_exit = False


def until_exit() -> None:
    """For a process that ends when its one run does (the `leadscore` command): after a
    run has committed its output, keep noting stops until the process exits, instead of
    restoring the default handlers. Otherwise a SIGTERM while the summary prints or the
    interpreter shuts down would end the process with 143, which says "no output was
    written", and a nightly retry would then compare against today's scores."""
    global _until_exit
    _until_exit = True


def ignore_stops_if_committed() -> None:
    """At the end of the process: once a run has committed, ignore stops outright.

    Python puts back the default handlers while it shuts down (which can take a moment
    for a process that held a large polars query), so a noting handler is not enough
    there: SIG_IGN is the one setting shutdown keeps."""
    if _until_exit and _state.committed:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_sigterm(signum: int, frame: object) -> None:
    """Raise Terminated once; inside a query the watcher's relay stops the run instead."""
    if _state.committed:
        _state.late = True
        return
    _state.terminate = True
    if _state.raised or _state.queries:
        return
    _state.raised = True
    raise Terminated()


def _watch(receiver: socket.socket) -> None:
    """Relay SIGTERM as SIGINT to polars while a query runs; end when the socket closes."""
    while True:
        try:
            data = receiver.recv(64)
        except OSError:
            return
        if not data:
            return
        if signal.SIGTERM not in data:
            continue
        with _state.lock:
            if _state.queries and not _state.committed:
                _state.terminate = True
                # to this thread: delivered (polars' flag and Python's set) before it returns
                signal.pthread_kill(threading.get_ident(), signal.SIGINT)


@contextmanager
def handling_sigterm() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` for the duration; a no-op outside the main thread
    (only it may set signal handlers) or when already active."""
    if _state.active or threading.current_thread() is not threading.main_thread():
        yield
        return
    receiver, sender = socket.socketpair()
    sender.setblocking(False)
    # A fresh state before the handler can run: an earlier run's `committed` would
    # otherwise swallow a SIGTERM that lands right away.
    _state.active, _state.queries, _state.terminate, _state.raised = True, 0, False, False
    _state.committed, _state.late, _state.sigint_handler = False, False, None
    _state.noted = False
    previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
    previous_fd = signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(receiver,), name="sigterm", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        if _state.committed and _until_exit:
            signal.signal(signal.SIGTERM, _on_stop_after_run)
            signal.signal(signal.SIGINT, _on_stop_after_run)
        else:
            signal.signal(signal.SIGTERM, previous_handler)
            if _state.sigint_handler is not None:
                signal.signal(signal.SIGINT, _state.sigint_handler)  # type: ignore[arg-type]
        _state.active = False
        sender.close()  # the watcher sees the end of the stream and returns
        watcher.join(timeout=1.0)
        receiver.close()


def committing() -> None:
    """Called just before an output replaces its destination. From then on a stop (SIGTERM
    or Ctrl-C) no longer aborts the run: it would report "no output was written" over a
    file already replaced, and a retry would then compare against today's scores. The
    run finishes its last steps (handoff list, manifest) instead; `note_late_stop` says so.
    """
    if not _state.active or _state.committed:
        return
    if threading.current_thread() is not threading.main_thread():
        return
    _state.committed = True
    _state.sigint_handler = signal.signal(signal.SIGINT, _on_late_sigint)


def _on_late_sigint(signum: int, frame: object) -> None:
    _state.late = True


def _on_stop_after_run(signum: int, frame: object) -> None:
    _state.late = True
    note_late_stop()


def note_late_stop() -> None:
    """Say once on stderr that a stop came after the output was written, if one did."""
    if _state.late and not _state.noted:
        _state.noted = True
        sys.stderr.write(
            "leadscore: a stop was asked for after the output was written; the run finished first\n"
        )
        sys.stderr.flush()


class _Query:
    """One polars query inside `stoppable`; `close` may safely be called again."""

    def __init__(self) -> None:
        self.running = False

    def open(self) -> None:
        with _state.lock:
            if _state.terminate:
                return  # a stop is already under way: do not start the query
            self.running = True
            _state.queries += 1

    def close(self) -> None:
        """End the query (no relay can follow), then let pending signal handlers run."""
        with _state.lock:
            if self.running:
                self.running = False
                _state.queries -= 1
        # Re-installing a handler makes Python run the pending ones first.
        signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGTERM))


def stoppable(action: Callable[[], T]) -> T:
    """Run a polars query so that SIGTERM (and Ctrl-C) stop it and leave nothing pending.

    A SIGTERM that arrives while it runs raises Terminated once the query has stopped,
    even if polars finished it first: the caller then commits nothing. Outside
    `handling_sigterm` (or the main thread) this is just `action()`.
    """
    if not _state.active or threading.current_thread() is not threading.main_thread():
        return action()
    query = _Query()
    error: BaseException | None = None
    result: T | None = None
    try:
        query.open()
        if not _state.terminate:
            result = action()
    except BaseException as exc:  # decided below, once no signal handler is pending
        error = exc
    # Python's SIGINT handler may still be pending (polars raised its own
    # KeyboardInterrupt) and fires at the next call: each call below sits in its own
    # try, so the stray interrupt is absorbed here rather than in the caller's cleanup.
    try:
        query.close()
    except KeyboardInterrupt:
        try:
            query.close()
        except KeyboardInterrupt:
            query.close()
    if _state.terminate and not _state.committed:
        _state.raised = True
        raise Terminated() from None
    if error is not None:
        raise error
    return result  # type: ignore[return-value]
