"""Parsing an uploaded file in a child process with a memory and a time limit, so that a parser that aborts,
runs out of memory or loops becomes one clear error for that file while the server and its sessions go on.

The child is a fresh interpreter (`python -m data_loaders.isolated`), never a fork of the threaded web
server: it limits its own address space with RLIMIT_AS once its imports are done, reads the file with
`reader.read_file` and writes the pickled FileResult to its standard output. Only our own code runs in
the child, and its output is read back only when it exits normally.
"""

from __future__ import annotations

import logging
import pickle
import resource
import subprocess
import sys
import uuid

from data_loaders.problems import ERROR, Problem
from data_loaders.reader import FileResult, read_file

log = logging.getLogger(__name__)
_MEMORY_EXIT = 75  # the child's exit code when the file needs more memory than it may use


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _failed(name: str, message: str) -> FileResult:
    return FileResult(name, [], [Problem(name, None, None, None, message, ERROR)])


def read_file_isolated(data: bytes, name: str, *, memory_mb: int = 1500, timeout_s: float = 120.0,
                       **kwargs) -> FileResult:
    """`reader.read_file(data, name, **kwargs)` in a child process; any failure of the child is a Problem.

    `memory_mb` is what the child may allocate beyond its start; `timeout_s` bounds the wall time.
    """
    payload = pickle.dumps((data, name, kwargs, memory_mb * 1024 * 1024), protocol=pickle.HIGHEST_PROTOCOL)
    status = "died"
    try:
        done = subprocess.run([sys.executable, "-m", "data_loaders.isolated"], input=payload, capture_output=True,
                              timeout=timeout_s, check=False)
        if done.returncode == 0:
            return pickle.loads(done.stdout)
        detail = done.stderr.decode("utf-8", "replace")[-2000:]
        # the Rust parser aborts on a failed allocation ("memory allocation of N bytes failed")
        out_of_memory = done.returncode == _MEMORY_EXIT or "memory allocation of" in detail
        status = "memory" if out_of_memory else f"died (exit code {done.returncode})"
    except subprocess.TimeoutExpired:
        status, detail = "timeout", ""
    ref = uuid.uuid4().hex[:8]
    log.error("parsing %r failed in the child process: %s [ref %s]\n%s", name, status, ref, detail)
    if status == "timeout":
        return _failed(name, f"读取文件“{name}”超过 {timeout_s:g} 秒仍未完成，已停止。文件可能过大或结构异常，"
                             f"请拆分后重试（参考编号 {ref}）。")
    if status == "memory":
        return _failed(name, f"读取文件“{name}”需要的内存超过 {memory_mb:,} MB 的上限，已停止。请拆分后重试"
                             f"（参考编号 {ref}）。")
    return _failed(name, f"读取文件“{name}”时解析程序异常退出，文件可能已损坏或结构异常；其他数据与会话不受影响。"
                         f"请用 Excel 打开后另存为 .xlsx 再试（参考编号 {ref}）。")


def _main() -> int:
    data, name, kwargs, memory_bytes = pickle.loads(sys.stdin.buffer.read())
    limit = _vm_size() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = read_file(data, name, **kwargs)
        out = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return _MEMORY_EXIT
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
