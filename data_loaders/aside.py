"""The inspection of an .xlsx (limits.inspect) in a process of its own, beside the isolated child's read.

In the isolated child (data_loaders.isolated), calamine parses the sheets on a second thread while the
inspection walks every cell of the same XML in Python; the sheets' tables are then built in Python too, after
the inspection, because one interpreter runs Python on one core at a time. A 100,000-row sheet: inspection
about 1.8 s beside calamine's 1.2 s, then the tables about 0.45 s. Forked into a process of its own, the
inspection runs on the other core while the child builds the tables from calamine's grids (reader._read_file),
and the child waits for its verdict before it answers: a file the inspection refuses is refused as before, and a
workbook whose verdict would change what was built (Excel error cells, the lists feeding drop-downs) is built
again with it.

The process is forked before any other thread of the child starts (a fork copies one thread), is killed when the
child ends (PR_SET_PDEATHSIG where Linux has it; otherwise it ends with its own bounded inspection), and hands
back the pickled Inspection, or the refusal's sentence, on a pipe. Where a fork is not possible (more than one
thread, no os.fork, the fork fails) `start` returns None and the child inspects in its own thread, as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import select
import signal
import threading

from dashboard.core.settings import Limits
from data_loaders.limits import Inspection, Refused, inspect

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(Exception):  # best effort: the inspection is bounded in time anyway
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(0)


class InspectionAside:
    """The inspection running in its own process: `ready`, then `verdict` (or `cancel`)."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd
        self._done = False

    @classmethod
    def start(cls, data: bytes, name: str, limits: Limits) -> InspectionAside | None:
        if not hasattr(os, "fork") or threading.active_count() != 1:
            return None
        read_end, write_end = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the inspecting process: never returns
            code = 1
            try:
                os.close(read_end)
                _die_with_parent(parent)
                try:
                    answer: tuple[str, object] = ("inspected", inspect(data, name, limits))
                except Refused as exc:
                    answer = ("refused", str(exc))
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        return cls(pid, read_end)

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether the verdict (or the process's end) can be read without waiting longer than `timeout`."""
        readable, _w, _x = select.select([self.fd], [], [], timeout)
        return bool(readable)

    def verdict(self) -> Inspection | Refused | None:
        """The inspection, or the refusal to raise; None when the process failed (the caller inspects itself).
        Waits for the process."""
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        finally:
            self._end(kill=False)
        try:
            kind, value = pickle.loads(b"".join(chunks))  # our own process's answer
        except Exception:  # noqa: BLE001 - a process that died leaves no answer, or half of one
            return None
        if kind == "refused":
            return Refused(value)
        return value if isinstance(value, Inspection) else None

    def cancel(self) -> None:
        self._end(kill=True)

    def _end(self, kill: bool) -> None:
        if self._done:
            return
        self._done = True
        os.close(self.fd)
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
