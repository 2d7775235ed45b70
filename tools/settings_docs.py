"""Regenerate the README's settings table and .env.example from tryredis/settings/fields.py FIELDS.

Run ``uv run python tools/settings_docs.py`` after adding or changing a setting;
tests/test_settings.py checks that both files agree with FIELDS.
"""

from __future__ import annotations

from pathlib import Path

from tryredis.settings import FIELDS

ROOT = Path(__file__).resolve().parents[1]


def table() -> str:
    """The README's settings table rows, one per field."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in FIELDS:
        default = f"`{field.default}`" if field.default else "(unset)"
        rows.append(f"| `{field.env}` | {default} | {field.doc} |")
    return "\n".join(rows)


def env_example(current: str) -> str:
    """.env.example with one commented block per field, keeping the file's header."""
    header = current.split("\n\n# ", 1)[0] if current else ""
    blocks = [f"# {field.doc}\n# {field.env}={field.default}" for field in FIELDS]
    return header + "\n\n" + "\n\n".join(blocks) + "\n"


def main() -> None:
    """Rewrite both files in place."""
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    start = readme.index("<!-- settings-table")
    body_start = readme.index("\n", start) + 1
    end = readme.index("<!-- /settings-table -->")
    readme_path.write_text(readme[:body_start] + table() + "\n" + readme[end:])
    example = ROOT / ".env.example"
    example.write_text(env_example(example.read_text()))
    print(f"wrote {readme_path.name} and {example.name}")


if __name__ == "__main__":
    main()
