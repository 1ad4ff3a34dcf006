"""Parsing a file in a child process with a memory and a time limit, so that a parser that aborts, runs out of
memory or loops becomes one clear error for that file while the caller (the web server and its sessions, the
command line, sync) goes on. Every path that reads a file uses `read_file_isolated`: the upload page, `import`
(importer.import_files) and `sync`.

The child limits its own address space with RLIMIT_AS (`memory_mb` beyond its size at the start) and is killed
after `timeout_s`. A single-threaded caller (the command line, a script, a test) forks. A process with more than
one Python thread (the threaded web server) never forks itself: its children come from a fork server
(multiprocessing's "forkserver": one single-threaded process, started on the first file with this module and the
reader imported, that forks a child for each file), which costs milliseconds where a fresh interpreter spent
about a second importing pandas and the parser for every file. Either way the child reads the
file with `reader.read_file` and hands back the pickled FileResult, read only when it exits normally; only our
own code runs in the child. What the child logs on stderr (a parser's panic message, a reader's traceback, each
with the reference number its sentence gives) is passed on to the caller's stderr, the server's log; Rust's
stack backtraces are off in the child (RUST_BACKTRACE=0).

In the child, calamine parses an .xlsx on a second thread while the inspection runs in a process forked for it
(reader.read_file's `parse_ahead`, data_loaders.aside) and the tables are built meanwhile: when the child then
fails in any way (died, out of memory or time), the caller inspects the file itself (limits.inspect: bounded
memory, no cell parsed), and a file that breaks a limit gets the limit's sentence, as it would have had the
inspection finished first.

`meanwhile` (import_files: the write side's preparation, importer._prepare) runs in the caller once the child
has started, so the caller's database reads overlap the child's parsing; the child's time limit still counts
from its start (a child whose answer is already waiting is read even when `meanwhile` ran past the limit).
"""

from __future__ import annotations

import faulthandler
import logging
import multiprocessing
import os
import pickle
import resource
import select
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from dashboard.core.settings import Limits
from data_loaders.limits import Refused, inspect
from data_loaders.problems import ERROR, Problem
from data_loaders.reader import FileResult, read_file

log = logging.getLogger(__name__)
_MEMORY_EXIT = 75  # the child's exit code when the file needs more memory than it may use
MEMORY_MB = 1500  # what a child may allocate beyond its start
TIMEOUT_S = 120.0  # wall time of one file


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _failed(name: str, message: str) -> FileResult:
    return FileResult(name, [], [Problem(name, None, None, None, message, ERROR)])


def read_file_isolated(data: bytes, name: str, *, memory_mb: int = MEMORY_MB, timeout_s: float = TIMEOUT_S,
                       meanwhile: Callable[[], object] | None = None, **kwargs) -> FileResult:
    """`reader.read_file(data, name, **kwargs)` in a child process; any failure of the child is a Problem.

    `memory_mb` is what the child may allocate beyond its start; `timeout_s` bounds the wall time. `meanwhile()`
    runs in this process while the child parses (its errors are logged and dropped: it may only prepare).
    """
    if hasattr(os, "fork") and threading.active_count() == 1:
        status, detail, result = _forked(data, name, kwargs, memory_mb * 1024 * 1024, timeout_s, meanwhile)
    else:
        status, detail, result = _served(data, name, kwargs, memory_mb * 1024 * 1024, timeout_s, meanwhile)
    if result is not None:
        return result
    ref = uuid.uuid4().hex[:8]
    log.error("parsing %r failed in the child process: %s [ref %s]\n%s", name, status, ref, detail)
    refused = _refusal(data, name, kwargs.get("limits"))
    if refused is not None:  # the parse that ran ahead of the child's inspection broke first: the limit says why
        return _failed(name, refused)
    if status == "timeout":
        return _failed(name, f"读取文件“{name}”超过 {timeout_s:g} 秒仍未完成，已停止。文件可能过大或结构异常，"
                             f"请拆分后重试（参考编号 {ref}）。")
    if status == "memory":
        return _failed(name, f"读取文件“{name}”需要的内存超过 {memory_mb:,} MB 的上限，已停止。请拆分后重试"
                             f"（参考编号 {ref}）。")
    return _failed(name, f"读取文件“{name}”时解析程序异常退出，文件可能已损坏或结构异常；其他数据与会话不受影响。"
                         f"请用 Excel 打开后另存为 .xlsx 再试（参考编号 {ref}）。")


def _refusal(data: bytes, name: str, limits: Limits | None) -> str | None:
    """The inspection's sentence when the file breaks a limit (limits.inspect: bounded memory, linear time, no
    cell parsed), else None. The child parses ahead of its own inspection, so a file the inspection refuses can
    end the child before the refusal is written; asked again here, the file gets the same sentence."""
    try:
        inspect(data, name, limits if limits is not None else Limits())
    except Refused as exc:
        return str(exc)
    except Exception:
        log.exception("inspecting %r after its child failed", name)
    return None


def _status(code: int, detail: str) -> str:
    # the Rust parser aborts on a failed allocation ("memory allocation of N bytes failed")
    if code == _MEMORY_EXIT or "memory allocation of" in detail:
        return "memory"
    return f"died (exit code {code})"


def _meanwhile(fn: Callable[[], object] | None) -> None:
    if fn is None:
        return
    try:
        fn()
    except Exception:  # a preparation that failed is simply not used
        log.debug("the preparation beside the parsing child failed", exc_info=True)


_SERVER_LOCK = threading.Lock()
_server: list = []  # the fork server's multiprocessing context, once made


def _fork_server():
    """multiprocessing's fork server, with data_loaders.fork_preload (the reader, pandas and python-calamine; the
    caller's `__main__` not run again in the children) imported before it forks: made on first use;
    multiprocessing starts the server process again should it have died."""
    with _SERVER_LOCK:
        if not _server:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["data_loaders.fork_preload"])
            _server.append(context)
        return _server[0]


def _served(data, name, kwargs, memory_bytes, timeout_s, meanwhile=None) -> tuple[str, str, FileResult | None]:
    # the request goes through a temporary file, not a pipe: the server holds no pickled copy of the file's
    # bytes while the child reads (50 MB less at the largest file allowed); the answer and the child's stderr too
    with tempfile.TemporaryDirectory(prefix="isolated-") as tmp:
        request, answer, errors = (os.path.join(tmp, part) for part in ("request", "answer", "errors"))
        with open(request, "wb") as out:
            pickle.dump((data, name, kwargs, memory_bytes), out, protocol=pickle.HIGHEST_PROTOCOL)
        child = _fork_server().Process(target=_serve_one, args=(request, answer, errors), daemon=True)
        child.start()
        deadline = time.monotonic() + timeout_s
        _meanwhile(meanwhile)
        # a second of grace after a late `meanwhile` to collect an answer the child already wrote
        child.join(max(deadline - time.monotonic(), 0 if meanwhile is None else 1.0))
        if child.exitcode is None:
            child.kill()
            child.join()
            return "timeout", "", None
        try:
            with open(errors, "rb") as logged:
                detail = _tail(logged)
        except FileNotFoundError:  # the child died before it opened its stderr
            detail = ""
        return _outcome(child.exitcode, detail, lambda: pickle.loads(Path(answer).read_bytes()))


def _tail(f, size: int = 20_000) -> str:
    """The last `size` bytes of what a child wrote on its stderr (an open binary file)."""
    f.seek(0, 2)
    f.seek(max(0, f.tell() - size))
    return f.read().decode("utf-8", "replace")


def _outcome(code: int, detail: str, answer: Callable[[], FileResult]) -> tuple[str, str, FileResult | None]:
    """(status, detail, result) of a child that exited with `code`, for both kinds of child: on 0 its log goes to
    this process's stderr and `answer()` is read (a missing or truncated answer is a failed child)."""
    if code != 0:
        return _status(code, detail), detail[-2000:], None
    if detail:  # what the child logged (a parser's panic, a reader's traceback with its reference)
        sys.stderr.write(detail)
    try:
        return "ok", "", answer()
    except Exception as exc:  # noqa: BLE001 - a missing or truncated answer is a failed child
        return f"unreadable answer ({exc.__class__.__name__})", "", None


def _serve_one(request: str, answer: str, errors: str) -> None:
    """A child forked by the fork server: stderr into `errors`, the request read, the answer written; never returns."""
    def work() -> int:
        with open(request, "rb") as f:
            data, name, kwargs, memory_bytes = pickle.load(f)
        out = _read_capped(data, name, kwargs, memory_bytes)
        if out is None:
            return _MEMORY_EXIT
        with open(answer, "wb") as f:
            f.write(out)
        return 0

    _run_child(os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), work)


def _run_child(errors_fd: int, work: Callable[[], int]) -> None:
    """The end of every child: its stderr (fd 2, and the log through sys.stderr) goes to `errors_fd`, `work()`
    gives the exit code (1 when it raised), and the process ends with os._exit: no cleanup of the caller's state,
    and a parse still running on the reader's daemon thread is not waited for."""
    code = 1
    try:
        faulthandler.disable()  # an abort's own message goes to the errors file, not the caller's terminal
        os.dup2(errors_fd, 2)
        # the child's log too, even when the caller had replaced sys.stderr (contextlib.redirect_stderr)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1,  # noqa: SIM115
                          closefd=False)  # open until os._exit
        code = work()
    except BaseException:  # noqa: BLE001 - the child reports by its exit code only
        code = 1
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)


def _forked(data, name, kwargs, memory_bytes, timeout_s, meanwhile=None) -> tuple[str, str, FileResult | None]:
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as errors:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _run_child(errors.fileno(), lambda: _child(data, name, kwargs, memory_bytes, write_end))
        os.close(write_end)
        chunks: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        timed_out = False
        try:
            _meanwhile(meanwhile)
            while True:
                left = deadline - time.monotonic()
                # what the child has written is read before the deadline is judged (`meanwhile` may end late)
                ready, _w, _x = select.select([read_end], [], [], min(max(left, 0.0), 1.0))
                if ready:
                    chunk = os.read(read_end, 1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
                elif left <= 0:
                    timed_out = True
                    break
        finally:
            os.close(read_end)
            if timed_out:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            _pid, wait_status = os.waitpid(pid, 0)
        if timed_out:
            return "timeout", "", None
        return _outcome(os.waitstatus_to_exitcode(wait_status), _tail(errors), lambda: pickle.loads(b"".join(chunks)))


def _quiet_panics() -> None:
    """A panic of the Rust parser is caught (reader.is_parser_panic) and becomes the file's sentence, with a
    reference number the log repeats beside the panic's message; Rust's own stack backtrace (RUST_BACKTRACE=1,
    set in many developer shells) would put dozens of frames before that sentence on the terminal."""
    os.environ["RUST_BACKTRACE"] = "0"


def _read_capped(data, name, kwargs, memory_bytes) -> bytes | None:
    """The child's work: cap its address space, read the file (calamine parsing ahead of the inspection, see
    reader.read_file) and pickle the result; None when it needed more memory than the cap."""
    _quiet_panics()
    limit = _vm_size() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        return pickle.dumps(read_file(data, name, parse_ahead=True, **kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return None


def _child(data, name, kwargs, memory_bytes, out_fd: int) -> int:
    out = _read_capped(data, name, kwargs, memory_bytes)
    if out is None:
        return _MEMORY_EXIT
    with os.fdopen(out_fd, "wb") as pipe:
        pipe.write(out)
    return 0
