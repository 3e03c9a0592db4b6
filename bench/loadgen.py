"""A bounded, self-stopping HTTP/1.1 load generator for loopback benchmarks.

Two engines, same result shape:

- ``wrk`` (Debian package ``wrk``) when it is on PATH: C, so it leaves more CPU to the
  server. Headers and the list of paths go to it through a Lua script in a private
  temporary file, never on its command line.
- a Python asyncio generator otherwise: ``connections`` keep-alive connections, each
  sending the next request as soon as the previous answer is read, for ``duration``
  seconds after a ``warmup``. Run it in its own process (``python -m bench.loadgen``
  reads its JSON config on stdin) so it uses the other core; it still competes with the
  server on a 2-core machine, which is why the benchmark measures a bare Starlette
  handler with the same generator in the same run and reports ratios.

Only loopback hosts are accepted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any

REQUEST_TIMEOUT = 10.0


@dataclass
class LoadResult:
    engine: str
    connections: int
    duration_s: float
    requests: int
    errors: int
    status_counts: dict[str, int] = field(default_factory=dict)
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_loopback(host: str) -> None:
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    if host != "localhost":
        raise ValueError(f"refusing to load-test {host!r}: only loopback addresses are allowed")


@dataclass
class LoadConfig:
    """What to load and how hard: the same for both engines (a loopback ``host`` only)."""

    host: str
    port: int
    paths: list[str]
    headers: dict[str, str]
    connections: int = 32
    duration: float = 10.0
    warmup: float = 1.0

    def __post_init__(self) -> None:
        check_loopback(self.host)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


# -- Python engine --------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


@dataclass
class _Run:
    host: str
    port: int
    requests: list[bytes]
    start_recording: float
    deadline: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0


async def _connection(run: _Run, offset: int) -> None:
    index = offset
    reader = writer = None
    while time.perf_counter() < run.deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(run.host, run.port)
            assert reader is not None
            request = run.requests[index % len(run.requests)]
            index += 1
            sent = time.perf_counter()
            writer.write(request)
            status = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT)
            done = time.perf_counter()
            if sent >= run.start_recording and done <= run.deadline:
                run.latencies.append(done - sent)
                run.statuses[str(status)] = run.statuses.get(str(status), 0) + 1
                if status >= 400:
                    run.errors += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            run.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def run_python(config: LoadConfig) -> LoadResult:
    host, port, duration, connections = config.host, config.port, config.duration, config.connections
    header_text = "".join(f"{name}: {value}\r\n" for name, value in config.headers.items())
    requests = [f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{header_text}\r\n".encode() for path in config.paths]
    start = time.perf_counter()
    run = _Run(host, port, requests, start + config.warmup, start + config.warmup + duration)
    await asyncio.gather(*(_connection(run, n * 7) for n in range(connections)))
    latencies = run.latencies
    latencies.sort()
    ms = [value * 1000 for value in latencies]
    return LoadResult(
        engine="python-asyncio",
        connections=connections,
        duration_s=duration,
        requests=len(latencies),
        errors=run.errors,
        status_counts=run.statuses,
        rps=round(len(latencies) / duration, 1),
        p50_ms=round(percentile(ms, 0.50), 2),
        p90_ms=round(percentile(ms, 0.90), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        max_ms=round(ms[-1], 2) if ms else 0.0,
    )


# -- wrk engine -----------------------------------------------------------------------------

_WRK_SCRIPT = """\
local paths = {%(paths)s}
local headers = {%(headers)s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], headers)
end
done = function(summary, latency, requests)
  io.write("BENCH_JSON {")
  io.write(string.format('"requests": %%d, ', summary.requests))
  io.write(string.format('"errors": %%d, ', summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout))
  io.write(string.format('"status_errors": %%d, ', summary.errors.status))
  io.write(string.format('"duration_us": %%d, ', summary.duration))
  io.write(string.format('"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d',
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write("}\\n")
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(config: LoadConfig) -> LoadResult:
    paths, connections, duration, warmup = config.paths, config.connections, config.duration, config.warmup
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not on PATH")
    script = _WRK_SCRIPT % {
        "paths": ", ".join(_lua_string(p) for p in paths),
        "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in config.headers.items()),
    }
    fd, script_path = tempfile.mkstemp(suffix=".lua", prefix="bench-")  # mode 0600: it may hold a token
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(script)
        base = [wrk, "-t1", f"-c{connections}", "--timeout", f"{int(REQUEST_TIMEOUT)}s", "-s", script_path]
        url = f"http://{config.host}:{config.port}{paths[0]}"
        if warmup > 0:
            subprocess.run([*base, f"-d{max(1, round(warmup))}s", url], check=True, capture_output=True)
        out = subprocess.run([*base, f"-d{max(1, round(duration))}s", url], check=True, capture_output=True, text=True)
    finally:
        os.unlink(script_path)
    match = re.search(r"BENCH_JSON (\{.*\})", out.stdout)
    if not match:
        raise RuntimeError(f"could not read wrk's result:\n{out.stdout[-2000:]}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    ok = data["requests"] - data["status_errors"]
    return LoadResult(
        engine="wrk",
        connections=connections,
        duration_s=round(seconds, 2),
        requests=data["requests"],
        errors=data["errors"],
        status_counts={"2xx/3xx": ok, "4xx/5xx": data["status_errors"]},
        rps=round(data["requests"] / seconds, 1),
        p50_ms=round(data["p50_us"] / 1000, 2),
        p90_ms=round(data["p90_us"] / 1000, 2),
        p99_ms=round(data["p99_us"] / 1000, 2),
        max_ms=round(data["max_us"] / 1000, 2),
    )


# -- entry points ---------------------------------------------------------------------------


def run_in_subprocess(config: dict[str, Any], *, engine: str = "auto") -> LoadResult:
    """Run a load test in a separate process (config on stdin, so no header is on a command line)."""
    load = LoadConfig(**config)  # refuses a non-loopback host before anything starts
    if engine == "wrk" or (engine == "auto" and shutil.which("wrk")):
        return run_wrk(load)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        input=json.dumps(asdict(load)),
        capture_output=True,
        text=True,
        check=False,
        timeout=load.duration + load.warmup + 120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{proc.stderr[-2000:]}")
    return LoadResult(**json.loads(proc.stdout))


def main() -> int:
    config = json.loads(sys.stdin.read())
    result = asyncio.run(run_python(LoadConfig(**config)))
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
