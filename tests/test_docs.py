"""The README and docs cite only what a clone has: every file they name is in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
        "tests/conformance/README.md"]  # fmt: skip
# A path-like word in backticks: a file with one of these endings, no placeholders.
NAMED = re.compile(r"`(\.{0,2}/?[\w./-]+\.(?:py|md|html|css|js|jsonl|json|toml|txt|png|sh))`")
LINKED = re.compile(r"\]\(([^)#\s]+)[^)]*\)")
OUTSIDE = re.compile(r"`([^`\n]*\.\./[^`\n]*)`")  # a command or path reaching out of the clone
PLACEHOLDER = re.compile(r"\bNN\b")  # lessons_md/NN-slug.md names a pattern, not a file


def repository_files() -> list[str]:
    """The files a clone has (git's index, plus files of this change not yet added)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
    return listed.stdout.split()


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_a_doc_names_is_in_the_repository(doc: str) -> None:
    files = repository_files()
    text = (ROOT / doc).read_text()
    missing = []
    for target in LINKED.findall(text):
        if re.match(r"[a-z]+:", target) or PLACEHOLDER.search(target):  # https://, mailto: ...
            continue
        if not (ROOT / doc).parent.joinpath(target).resolve().is_relative_to(ROOT):
            missing.append(f"{target} (outside the repository)")
        elif not (ROOT / doc).parent.joinpath(target).exists():
            missing.append(target)
    missing += [f"{found} (outside the repository)" for found in OUTSIDE.findall(text)]
    for name in NAMED.findall(text):
        if name.startswith("../") or PLACEHOLDER.search(name):
            continue
        # Module tables name files relative to their package: a path suffix is enough.
        if not any(f == name or f.endswith("/" + name.lstrip("./")) for f in files):
            missing.append(name)
    assert not missing, f"{doc} names files a clone does not have: {missing}"
