"""Resident memory of another process, from /proc (psutil is not installed).

``RssSampler`` samples ``VmRSS`` every few milliseconds in a thread and, on Linux, also
resets the kernel's peak counter (``echo 5 > /proc/<pid>/clear_refs``) at the start so
``VmHWM`` at the end is the true peak of the interval, even between samples.
``CpuMeter`` adds up the CPU time of processes (and their children) over an interval.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType


def read_status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"{field} not in /proc/{pid}/status")


class RssSampler:
    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self.pid = pid
        self.interval = interval
        self.start_kb = 0
        self.peak_kb = 0
        self.hwm_kb: int | None = None
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._hwm_reset = False

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, read_status_kb(self.pid, "VmRSS"))
                self.samples += 1
            except (OSError, KeyError):
                return
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self.start_kb = read_status_kb(self.pid, "VmRSS")
        self.peak_kb = self.start_kb
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            self._hwm_reset = True
        except OSError:
            self._hwm_reset = False
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        if self._hwm_reset:
            try:
                self.hwm_kb = read_status_kb(self.pid, "VmHWM")
                self.peak_kb = max(self.peak_kb, self.hwm_kb)
            except (OSError, KeyError):
                self.hwm_kb = None

    @property
    def growth_mb(self) -> float:
        return round((self.peak_kb - self.start_kb) / 1024, 1)

    def to_dict(self) -> dict[str, object]:
        return {
            "rss_before_mb": round(self.start_kb / 1024, 1),
            "rss_peak_mb": round(self.peak_kb / 1024, 1),
            "growth_mb": self.growth_mb,
            "peak_from": "VmHWM (reset before) + VmRSS samples" if self.hwm_kb is not None else "VmRSS samples",
            "samples": self.samples,
        }


# -- CPU time ---------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


class CpuMeter:
    """CPU seconds used by some processes (and, for a server like PostgreSQL, all its children)
    between ``start()`` and ``stop()``: a measure of work per request that, unlike req/s,
    does not drop when other work competes for the CPUs."""

    def __init__(self, pids: list[int], parents: list[int] | None = None) -> None:
        self.pids = list(pids)
        self.parents = list(parents or [])
        self._start: dict[int, float] = {}
        self.seconds = 0.0

    def _sample(self) -> dict[int, float]:
        pids = self.pids + self.parents + [child for parent in self.parents for child in children(parent)]
        sample = {}
        for pid in pids:
            try:
                sample[pid] = cpu_seconds(pid)
            except (OSError, IndexError, ValueError):
                continue
        return sample

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> float:
        end = self._sample()
        # a process that started during the interval used all of its CPU time in it
        self.seconds = sum(value - self._start.get(pid, 0.0) for pid, value in end.items())
        return self.seconds
