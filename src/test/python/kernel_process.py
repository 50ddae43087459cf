"""The kernel as an operating-system process (Linux /proc): its pid, its child processes (the Enzyme worker), CPU
time and resident memory."""
from __future__ import annotations

import os
from pathlib import Path


def kernel_pid(kernel) -> int:
    """The JVM's pid: the kernelspec's argv starts java directly."""
    return kernel.manager.provisioner.process.pid


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may contain spaces and parentheses; everything after the last ')' is fixed.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone before the open, or reaped between open and read
        return False


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass  # the thread ended while we looked
    return found


def executable(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except (FileNotFoundError, PermissionError):
        return ""


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    return status_mib(pid, "VmRSS")


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM)."""
    return status_mib(pid, "VmHWM")


def status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def executable_mappings_kib(pid: int) -> int:
    """Total size of the anonymous read-only executable mappings: the pages LLVM's JIT maps for compiled modules (made
    r-x once linked). HotSpot's code cache is writable (rwx) and grows with the classes JShell compiles, so it is left
    out."""
    total = 0
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) == 5 and "x" in fields[1] and "w" not in fields[1]:  # no path: anonymous
            low, high = (int(bound, 16) for bound in fields[0].split("-"))
            total += (high - low) // 1024
    return total
