"""axe-core 4.14.1 (vendored from npm, MPL-2.0: see vendor/axe-core-4.14.1/LICENSE) in a page.

The engine is injected with ``page.evaluate`` (a DevTools call, not a page script),
so the site's Content-Security-Policy stays in force while it runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core-4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"


def axe_source() -> str:
    """The engine's source, checked against the hash it was vendored with."""
    data = (AXE_DIR / "axe.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == AXE_SHA256, "axe.min.js is not the vendored file"
    return data.decode()


async def violations(page: Page, within: str | None = None) -> list[dict[str, Any]]:
    """Every rule axe-core finds violated on the page as it is now: all its rules (WCAG 2.2 A
    and AA, best practices), on the whole document or only inside the ``within`` selector."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    result: list[dict[str, Any]] = await page.evaluate(
        """async (within) => {
            const context = within ? document.querySelector(within) : document;
            const results = await window.axe.run(context, { resultTypes: ["violations"] });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({
                    target: n.target.join(" "), summary: n.failureSummary,
                })),
            }));
        }""",
        within,
    )
    return result


def describe(found: list[dict[str, Any]]) -> str:
    """A readable list of violations for an assertion message."""
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(str(node["summary"]).split())[:300]
            lines.append(f"    {node['target']}: {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)
