"""Throughput and latency of ``POST /api/v1/run`` against the architecture's ceiling.

Starts an embedded redis-server (the real generated config and ACL users), the
tryredis app and the bare ceiling app (bench/ceiling.py) under uvicorn with the
same options (1 worker, no access log), then drives each with wrk at 1, 16 and 64
concurrent connections. Each connection stands for one learner: the wrk script
rotates through one bearer token per connection. The per-learner rate limit is
raised for the run (this measures capacity, not the limiter).

    uv run python bench/repl.py [--seconds 10] [--record] [--baseline ../main]

``--baseline`` serves another checkout's REPL (say, main before a change) beside
this one, in the same interleaved rounds. Besides requests per second, each row
gives the web server's CPU time per request, which a busy shared VM disturbs
less than throughput. Needs ``wrk`` (``apt install wrk``). ``--record`` appends the
table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.helpers import free_port, process_cpu_seconds, redis_version  # noqa: E402
from tryredis.cli import sandbox_command_names  # noqa: E402
from tryredis.embedded import EmbeddedRedis  # noqa: E402
from tryredis.settings import Settings  # noqa: E402

CONCURRENCY = (1, 16, 64)
LUA = """
tokens = {%(tokens)s}
bodies = {%(bodies)s}
counter = 0
request = function()
  counter = counter + 1
  local i = (counter %% #tokens) + 1
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[i],
  }, bodies[i])
end
"""


@dataclass
class Measurement:
    """One wrk run."""

    target: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float  # the web server's CPU time per request (user + system)


@contextlib.contextmanager
def uvicorn(
    app: str, port: int, env: dict[str, str], cpu: str, source: Path = ROOT
) -> Iterator[tuple[str, int]]:
    """Serve ``app`` (imported from ``source``) with uvicorn, 1 worker, no access log, pinned
    to ``cpu``: (url, pid)."""
    command = [
        sys.executable, "-m", "uvicorn", app, "--port", str(port),
        "--no-access-log", "--log-level", "warning", "--workers", "1",
    ]  # fmt: skip
    if shutil.which("taskset"):
        command = ["taskset", "-c", cpu, *command]
    process = subprocess.Popen(command, env=env, cwd=source)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).close()
                break
            except OSError as error:
                if "404" in str(error):
                    break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(10)


def post(url: str, body: dict[str, object], token: str = "") -> dict[str, object]:
    """POST JSON, return the JSON answer."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = json.loads(response.read() or b"{}")
        return answer


def wrk(
    url: str,
    path: str,
    tokens: list[str],
    bodies: list[str],
    connections: int,
    seconds: int,
    cpu: str,
) -> tuple[float, float, float, int]:
    """Run wrk; return (requests/s, p50 ms, p99 ms, non-2xx count)."""
    script = LUA % {
        "tokens": ", ".join(json.dumps(t) for t in tokens),
        "bodies": ", ".join(json.dumps(b) for b in bodies),
        "path": path,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
               "-s", handle.name, url]  # fmt: skip
    if shutil.which("taskset"):
        command = ["taskset", "-c", cpu, *command]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(errors.group(1)) if errors else 0


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(seconds: int, rounds: int, baseline: Path | None = None) -> list[Measurement]:
    """Run every target at every concurrency; return the measurements.

    ``baseline``: another checkout of tryredis (say, main) whose REPL is served beside
    this one's and measured in the same rounds, so that a change is weighed in one run.
    """
    settings = Settings.from_env({})
    results: list[Measurement] = []
    with EmbeddedRedis(settings, sandbox_command_names()) as redis_server:
        if shutil.which("taskset") and redis_server.pid:
            # Redis shares the load generator's CPU; the web servers have the other one.
            pin = ["taskset", "-p", "-c", "1", str(redis_server.pid)]
            subprocess.run(pin, capture_output=True, check=False)
        env = {
            **os.environ,
            "TRYREDIS_REDIS_URL": redis_server.site_url,
            "TRYREDIS_SANDBOX_REDIS_URL": redis_server.sandbox_url,
            "TRYREDIS_RATE_PER_SECOND": "1000000",
            "TRYREDIS_RATE_BURST": "1000000",
            "TRYREDIS_IP_RATE_PER_SECOND": "1000000",
            "TRYREDIS_IP_RATE_BURST": "1000000",
            "TRYREDIS_SESSIONS_PER_IP_HOUR": "1000000",
            "BENCH_REDIS_URL": redis_server.site_url,
        }
        with contextlib.ExitStack() as stack:
            site, site_pid = stack.enter_context(
                uvicorn("tryredis.asgi:app", free_port(), env, "0")
            )
            ceiling, ceiling_pid = stack.enter_context(
                uvicorn("bench.ceiling:app", free_port(), env, "0")
            )
            old = None
            if baseline is not None:
                old = stack.enter_context(
                    uvicorn("tryredis.asgi:app", free_port(), env, "0", baseline)
                )
            tokens = [str(post(site + "/api/v1/sessions", {})["token"]) for _ in range(64)]
            for token in tokens:
                post(site + "/api/v1/run", {"lines": ["SET k hello", "SET n 0"]}, token)
            import redis

            redis.Redis.from_url(redis_server.site_url).set("tryredis:bench", "0")
            targets = [
                ("ceiling: one Redis INCR", ceiling, ceiling_pid, "/ceiling",
                 ['{"key":"tryredis:bench"}']),
                ("REPL: GET k", site, site_pid, "/api/v1/run", ['{"line":"GET k"}']),
                ("REPL: INCR n", site, site_pid, "/api/v1/run", ['{"line":"INCR n"}']),
            ]  # fmt: skip
            if old is not None:  # the two sites share one Redis, so one token serves both
                targets.append(
                    ("baseline REPL: INCR n", old[0], old[1], "/api/v1/run", ['{"line":"INCR n"}'])
                )
            for _, url, _, path, body in targets:
                wrk(url, path, tokens, body * 64, 4, 2, "1")  # warm up
            # Interleaved rounds, best of each: a noisy neighbour on a shared VM then
            # costs every target alike instead of whichever ran at that moment.
            best: dict[tuple[str, int], Measurement] = {}
            for round_number in range(rounds):
                for connections in CONCURRENCY:
                    for name, url, pid, path, body in targets:
                        before = process_cpu_seconds(pid)
                        rps, p50, p99, errors = wrk(
                            url, path, tokens[:connections], body * connections, connections,
                            seconds, "1",
                        )  # fmt: skip
                        cpu_us = (process_cpu_seconds(pid) - before) / max(rps * seconds, 1) * 1e6
                        print(
                            f"round {round_number + 1}: {name:24} c={connections:<3} "
                            f"{rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                            f"errors {errors}  worker CPU {cpu_us:5.0f} µs/request",
                            flush=True,
                        )
                        kept = best.get((name, connections))
                        if kept is None or rps > kept.requests_per_second:
                            best[(name, connections)] = Measurement(
                                name, connections, rps, p50, p99, errors, cpu_us
                            )
            for name, *_ in targets:
                results += [best[(name, c)] for c in CONCURRENCY]
    return results


def table(results: list[Measurement]) -> str:
    """The results as a Markdown table, with each REPL row's share of the ceiling."""
    ceiling = {m.connections: m.requests_per_second for m in results if m.target.startswith("ceil")}
    rows = [
        "| target | learners | req/s | share of ceiling | p50 ms | p99 ms | non-2xx "
        "| worker CPU µs/request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in results:
        share = m.requests_per_second / ceiling[m.connections] if ceiling.get(m.connections) else 0
        rows.append(
            f"| {m.target} | {m.connections} | {m.requests_per_second:.0f} | "
            f"{share:.0%} | {m.p50_ms:.2f} | {m.p99_ms:.2f} | {m.errors} | {m.cpu_us:.0f} |"
        )
    return "\n".join(rows)


def machine() -> str:
    """What the numbers were measured on."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    return (
        f"{os.cpu_count()} vCPU {cpu}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Redis {redis_version()}, {wrk_version}"
    )


def main() -> int:
    """Run the benchmark; print (and optionally record) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved runs; best kept")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument(
        "--baseline", type=Path, help="another tryredis checkout to measure beside this one"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt install wrk)", file=sys.stderr)
        return 2
    results = measure(args.seconds, args.rounds, args.baseline)
    command = f"bench/repl.py --seconds {args.seconds} --rounds {args.rounds}"
    if args.baseline:
        command += f" --baseline {args.baseline}"
    report = (
        f"### {time.strftime('%Y-%m-%d')}: `{command}`\n\n"
        f"Machine: {machine()}.\n\n{table(results)}\n"
    )
    print("\n" + report)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as results_file:
            results_file.write("\n" + report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
