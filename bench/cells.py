"""How big the code cells' runtime is, and how long a cell's Python takes to start.

uv run python bench/cells.py [--warm 5]   (needs redis-server and chromium)

Serves the site (a private redis-server), opens a lesson with a coding exercise in
headless Chromium with a persistent profile, and starts Python by running the
exercise's starter code: once with an empty cache (everything downloaded over the
loopback), then ``--warm`` more times on new pages (a new worker each time; the HTTP
cache and V8's compiled WebAssembly are warm). For each start it reports the worker's
own phases (fetched, interpreter ready, packages unpacked, redis-py imported) and the
time from the click on Run to the tests' result. Sizes are the vendored files, as
stored and as sent (gzip where the site serves it gzipped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import settings_for  # noqa: E402
from tests.support.live import serving  # noqa: E402
from tests.support.redis_servers import running_redis  # noqa: E402
from tryredis.app import create_app  # noqa: E402
from tryredis.pycells import runtime  # noqa: E402
from tryredis.pycells.bundle import runtime_bundle  # noqa: E402

STATIC = ROOT / "static"
SLUG, EXERCISE = "cache-aside", "get-stars"
READY = """() => new Promise((resolve) => {
  const status = document.querySelector("#ex-%s [data-cell-status]");
  const done = () => /ok|error/.test(status.dataset.tone || "");
  if (done()) { resolve(); return; }
  new MutationObserver(() => { if (done()) resolve(); })
    .observe(status, { attributes: true });
})"""


def sizes() -> list[tuple[str, int, int]]:
    """(file, bytes stored, bytes sent) of what a lesson with cells downloads, Python included."""
    pyodide = STATIC / runtime.PYODIDE
    files = [pyodide / n for n in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm")]
    files += [pyodide / "python_stdlib.zip", pyodide / "pyodide-lock.json"]
    files += [STATIC / runtime.WHEEL, STATIC / runtime.PYCACHE, STATIC / runtime.WORKER]
    files += [STATIC / runtime.EDITOR, STATIC / "js/cells.js", STATIC / "css/cells.css"]
    rows = []
    for path in files:
        gz = path.with_name(path.name + ".gz")  # what the site sends to a gzip browser
        sent = gz.stat().st_size if gz.is_file() else path.stat().st_size
        rows.append((str(path.relative_to(STATIC)), path.stat().st_size, sent))
    data = runtime_bundle().data
    rows.append(("(the runtime modules zip)", len(data), len(data)))
    return rows


async def one_start(context: Any, base: str) -> dict[str, Any]:
    """Open the lesson on a new page, run the exercise's starter; the worker's numbers."""
    page = await context.new_page()
    ready: dict[str, Any] = {}
    await page.goto(f"{base}/lesson/{SLUG}")
    box = page.locator(f"#ex-{EXERCISE}")
    await box.scroll_into_view_if_needed()
    await box.locator(".cm-content").wait_for()
    started = time.perf_counter()
    await box.locator("[data-cell-run]").click()
    await page.evaluate(READY % EXERCISE)
    ready["run_s"] = time.perf_counter() - started
    ready["status"] = await box.locator("[data-cell-status]").text_content()
    phases = await page.locator("[data-cells]").get_attribute("data-ready")
    ready["phases"] = json.loads(phases) if phases else None
    await page.close()
    return ready


async def measure(base: str, warm: int) -> list[dict[str, Any]]:
    """One cold start, then ``warm`` warm ones, in one persistent profile."""
    with tempfile.TemporaryDirectory() as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            results = [await one_start(context, base) for _ in range(1 + warm)]
            await context.close()
    return results


def main() -> None:
    """Measure and print a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warm", type=int, default=5, help="warm starts after the cold one")
    args = parser.parse_args()
    load = os.getloadavg()
    with running_redis() as server, serving(create_app(settings_for(server))) as base:
        results = asyncio.run(measure(base, args.warm))
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True)
    print(
        f"{time.strftime('%Y-%m-%d')}: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"{chromium.stdout.strip()}, Pyodide {runtime.PYODIDE.split('-')[1].rstrip('/')}, "
        f"load average before/after {load[0]:.1f}/{os.getloadavg()[0]:.1f}\n"
    )
    rows = sizes()
    print("| file | stored | sent |\n|---|---:|---:|")
    for name, stored, sent in rows:
        print(f"| `{name}` | {stored / 1e6:.2f} MB | {sent / 1e6:.2f} MB |")
    total_stored, total_sent = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"| **total** | **{total_stored / 1e6:.1f} MB** | **{total_sent / 1e6:.1f} MB** |\n")
    print("| start | Python ready | fetched | interpreter | unpacked | imported | Run to result |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for number, result in enumerate(results):
        phases = result["phases"] or {}
        label = "cold (empty cache)" if number == 0 else f"warm {number}"
        cells = [
            f"{phases.get(k, 0) / 1000:.2f} s"
            for k in ("fetched", "interpreter", "unpacked", "imported")
        ]
        print(
            f"| {label} | {phases.get('ms', 0) / 1000:.2f} s | {' | '.join(cells)} | "
            f"{result['run_s']:.2f} s |"
        )
    warm_ready = [r["phases"]["ms"] / 1000 for r in results[1:] if r["phases"]]
    if warm_ready:
        print(
            f"\nwarm starts: median {statistics.median(warm_ready):.2f} s, "
            f"max {max(warm_ready):.2f} s (n={len(warm_ready)})"
        )


if __name__ == "__main__":
    main()
