"""The school benchmark's report: requests by phase and outage window, the fault, memory.

Used by ``bench/school.py``; takes what a phase measured (``Run``) and writes Markdown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.helpers import git_head, machine_line, pct
from bench.school_probes import SAMPLE_SECONDS, Outage, Sample

HANG_MS = 10_000.0  # a request unanswered this long during the outage counts as a hang


@dataclass
class Run:
    """Everything one phase measured."""

    phase: str
    learners: int
    seconds: float
    started: float
    log: dict[str, list[dict[str, Any]]]
    outage: Outage | None = None
    samples: list[Sample] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    durability: dict[str, int] = field(default_factory=dict)
    site_log: str = ""
    locust_out: str = ""
    locust_cpu_s: float = 0.0


def classify(run: Run) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Requests by name, outside and during the outage."""
    outside: dict[str, list[dict[str, Any]]] = defaultdict(list)
    during: dict[str, list[dict[str, Any]]] = defaultdict(list)
    window = run.outage
    for request in run.log["req"]:
        if retried(request):
            outside["(stale keep-alive, sent again)"].append(request)
            continue
        end = request["t"] + request["d"] / 1000
        inside = (window is not None and window.killed and request["t"] <= window.site_back
                  and end >= window.killed)  # fmt: skip
        (during if inside else outside)[request["n"]].append(request)
    return outside, during


def retried(request: dict[str, Any]) -> bool:
    """A first try that found its kept-alive connection closed, sent again as browsers do."""
    return request.get("a") == 1 and request["s"] == 0 and "closed" in request.get("e", "")


def failed(request: dict[str, Any]) -> bool:
    return (request["s"] == 0 or request["s"] >= 400) and not retried(request)


def bad_in_outage(request: dict[str, Any]) -> str | None:
    """Why a request during the outage was not acceptable (None: it was)."""
    if request["d"] > HANG_MS:
        return f"hang ({request['d'] / 1000:.1f} s)"
    if request["s"] < 400:
        return None
    if request["s"] == 503 and request.get("b", "").strip():
        return None
    return f"{request['s'] or 'no answer'} {request.get('e', '')} {request.get('b', '')[:80]}"


def report(runs: list[Run], args: argparse.Namespace) -> str:
    import locust as locust_module

    lines = [
        f"{machine_line(f'Locust {locust_module.__version__}')}; commit {git_head()}.",
        "",
    ]
    for run in runs:
        lines += report_run(run)
    return "\n".join(lines)


def report_run(run: Run) -> list[str]:
    outside, during = classify(run)
    loads = [s.load for s in run.samples]
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(run.started))
    lines = [f"#### Phase: {run.phase} ({run.learners} learners, {run.seconds:g} s, started "
             f"{when})", ""]  # fmt: skip
    if loads:
        lines += [f"Load average (1 min) during the run: min {min(loads):.2f}, median "
                  f"{statistics.median(loads):.2f}, max {max(loads):.2f}; load generator CPU "
                  f"{run.locust_cpu_s:.0f} s over {run.seconds:g} s "
                  f"({run.locust_cpu_s / run.seconds:.0%} of one core).", ""]  # fmt: skip
    else:
        lines += [f"Load average (1 min) at the end: {os.getloadavg()[0]:.2f}.", ""]
    lines += ["| request | count | p50 ms | p99 ms | max ms | errors |",
              "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    errors_outside = 0
    for name in sorted(outside):
        requests = outside[name]
        times = [r["d"] for r in requests]
        errors = [r for r in requests if failed(r)]
        errors_outside += len(errors)
        lines.append(f"| {name} | {len(requests)} | {pct(times, 0.5):.1f} | "
                     f"{pct(times, 0.99):.1f} | {max(times):.1f} | {len(errors)} |")  # fmt: skip
    deliver = [d["d"] for d in run.log["deliver"]]
    if deliver:
        lines.append(f"| pub/sub message (PUBLISH sent -> SSE event read) | {len(deliver)} | "
                     f"{pct(deliver, 0.5):.1f} | {pct(deliver, 0.99):.1f} | {max(deliver):.1f} "
                     "| |")  # fmt: skip
    boards = dashboard_latency(run)
    if boards[0]:
        lines.append(f"| dashboard update (check sent -> \"done\" event read) | {len(boards[0])} "
                     f"| {pct(boards[0], 0.5):.1f} | {pct(boards[0], 0.99):.1f} | "
                     f"{max(boards[0]):.1f} | {boards[1]} never shown |")  # fmt: skip
    where = " outside the outage window" if run.outage is not None else ""
    lines += ["", f"Errors{where}: {errors_outside}."]
    kinds: dict[str, int] = defaultdict(int)
    for requests in outside.values():
        for r in requests:
            if failed(r):
                kinds[f"{r['n']}: {r['s'] or 'no answer'} {r.get('e', '')} "
                      f"{r.get('b', '')[:80]}".strip()] += 1  # fmt: skip
    for kind, count in sorted(kinds.items(), key=lambda x: -x[1])[:12]:
        lines.append(f"- {count} x {kind}")
    if run.phase == "arrivals":
        firsts = [r["t"] for r in run.log["req"] if r["n"] == "arrival: page"]
        if firsts:
            lines += ["", f"First requests spread over {max(firsts) - min(firsts):.2f} s "
                      f"({len(firsts)} learners)."]  # fmt: skip
    if run.outage is not None and run.outage.killed:
        lines += outage_report(run, during)
    if run.samples:
        lines += memory_report(run.samples)
    streams = run.log["stream"]
    if streams:
        ends: dict[str, int] = defaultdict(int)
        for s in streams:
            ends[f"{s['n']}: {s['why']}"] += 1
        lines += ["", "Streams ended: " + "; ".join(f"{k} ({v})" for k, v in sorted(ends.items()))
                  + "."]  # fmt: skip
    return [*lines, ""]


def dashboard_latency(run: Run) -> tuple[list[float], int]:
    shown: dict[tuple[str, str], float] = {}
    for board in run.log["board"]:
        shown.setdefault((board["l"], board["x"]), board["t"])
    latencies: list[float] = []
    missing = 0
    for done in run.log["done"]:
        at = shown.get((done["l"], done["x"]))
        if at is None:
            missing += 1
        else:
            latencies.append((at - done["sent"]) * 1000)
    return latencies, missing


def outage_report(run: Run, during: dict[str, list[dict[str, Any]]]) -> list[str]:
    outage = run.outage
    assert outage is not None
    lines = ["", "The fault (redis-server SIGKILLed once):", ""]
    back = outage.site_back
    lines += [
        f"- a new redis-server process after {outage.process_back - outage.killed:.2f} s, "
        f"answering PING after {outage.redis_back - outage.killed:.2f} s (the restart);",
        f"- the site answered the prober's command again {back - outage.killed:.2f} s after the "
        f"kill, {back - outage.redis_back:.2f} s after the restart (target: within 2 s);",
    ]
    statuses: dict[str, int] = defaultdict(int)
    for probe in outage.probes:
        if outage.killed <= probe["end"] and probe["t"] <= back:
            statuses[f"{probe['s']} {probe['b'][:70]}"] += 1
    lines.append("- the prober's answers during the outage: " + "; ".join(
        f"{count} x {text}" for text, count in sorted(statuses.items())) + ";")  # fmt: skip
    later = [p for p in outage.probes if p["t"] > back and p["s"] != 200]
    lines.append(f"- the prober's failed commands after service came back: {len(later)};")
    total = sum(len(v) for v in during.values())
    bad = [(name, why) for name, requests in during.items() for r in requests
           if (why := bad_in_outage(r))]  # fmt: skip
    answered: dict[str, int] = defaultdict(int)
    for name, requests in during.items():
        for r in requests:
            answered[f"{name} {r['s']}"] += 1
    slowest = max((r["d"] for v in during.values() for r in v), default=0.0)
    lines.append(f"- learners' requests overlapping the window: {total} ("
                 + ", ".join(f"{k}: {v}" for k, v in sorted(answered.items()))
                 + f"); slowest {slowest:.0f} ms; not a 503 with a message, or a hang: "
                 f"{len(bad)};")  # fmt: skip
    grouped: dict[str, int] = defaultdict(int)
    for name, why in bad:
        grouped[f"{name}: {why}"] += 1
    lines += [f"  - {count} x {why}" for why, count in sorted(grouped.items(), key=lambda x: -x[1])]
    lines.append("- durability (TRYREDIS_DATA_DIR, AOF everysec): " + ", ".join(
        f"{k} {v}" for k, v in run.durability.items()) + ".")  # fmt: skip
    lines += [f"  - {text}" for text in run.lost[:10]]
    return lines


def memory_report(samples: list[Sample]) -> list[str]:
    lines = ["", "Over time (every 60 s; RSS per worker; Redis's used_memory and RSS):", "",
             "| t s | load | workers RSS MB | Redis used_memory MB | Redis RSS MB |",
             "|---:|---:|---|---:|---:|"]  # fmt: skip
    first = samples[0].t
    shown = [s for i, s in enumerate(samples) if i % round(60 / SAMPLE_SECONDS) == 0]
    if samples[-1] is not shown[-1]:
        shown.append(samples[-1])
    for s in shown:
        used = f"{s.redis_used_mb:.1f}" if s.redis_used_mb is not None else "(down)"
        rss = f"{s.redis_rss_mb:.1f}" if s.redis_rss_mb is not None else "(down)"
        workers = " / ".join(f"{w:.0f}" for w in s.workers_rss_mb)
        lines.append(f"| {s.t - first:.0f} | {s.load:.2f} | {workers} | {used} | {rss} |")
    return lines
