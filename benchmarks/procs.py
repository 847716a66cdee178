"""Resident memory of the servers, and which process listens on a port (psutil if present, else /proc)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set

try:  # psutil is not a dependency of rasa 3.6; /proc is enough on Linux
    import psutil  # type: ignore
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None

PROC = Path("/proc")


def _children_map() -> Dict[int, List[int]]:
    children: Dict[int, List[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: split after the last ")"
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def descendants(pid: int) -> List[int]:
    if psutil is not None:
        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return []
    tree = _children_map()
    found: List[int] = []
    todo = list(tree.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(tree.get(child, []))
    return found


def rss_bytes(pid: int) -> int:
    """Resident set size of one process, 0 when it is gone."""
    if psutil is not None:
        try:
            return int(psutil.Process(pid).memory_info().rss)
        except psutil.Error:
            return 0
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """RSS of a process and all its descendants (a server's workers, if any)."""
    return sum(rss_bytes(p) for p in [pid, *descendants(pid)])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, 0 when it is gone."""
    if psutil is not None:
        try:
            times = psutil.Process(pid).cpu_times()
            return float(times.user + times.system)
        except psutil.Error:
            return 0.0
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # fields[0] is the state (field 3 of stat(5))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def schedstat(pid: int) -> tuple:
    """(seconds on a CPU, seconds runnable but waiting for a CPU) of the process's main thread
    (/proc/PID/schedstat; the event loop of rasa, the action server and the hall). (0, 0) if
    unavailable."""
    try:
        run_ns, wait_ns, _ = (PROC / str(pid) / "schedstat").read_text().split()[:3]
        return int(run_ns) / 1e9, int(wait_ns) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


def tree_cpu(pid: int) -> float:
    return sum(cpu_seconds(p) for p in [pid, *descendants(pid)])


def cmdline(pid: int) -> List[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def environ(pid: int) -> Dict[str, str]:
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    values: Dict[str, str] = {}
    for part in raw.split(b"\0"):
        key, sep, value = part.decode("utf-8", "replace").partition("=")
        if sep:
            values[key] = value
    return values


def _listening_inodes(port: int) -> Set[str]:
    inodes: Set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def listener_pid(port: int) -> Optional[int]:
    """The (oldest) process holding a listening socket on this TCP port, if visible to us."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    wanted = {f"socket:[{i}]" for i in inodes}
    owners: List[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                try:
                    if os.readlink(fd) in wanted:
                        owners.append(int(entry.name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return min(owners) if owners else None


def classify(pids: Iterable[int]) -> Dict[str, int]:
    """Name the OneTrip servers among `onetrip up`'s children by their command lines."""
    named: Dict[str, int] = {}
    for pid in pids:
        line = " ".join(cmdline(pid))
        if " run " in f" {line} " and "rasa" in line and "rasa" not in named:
            named["rasa"] = pid
        elif "rasa_sdk" in line and "actions" not in named:
            named["actions"] = pid
        elif "uvicorn" in line and "bot.hall" in line and "hall" not in named:
            named["hall"] = pid
    return named
