"""Vendor the code cells' editor: CodeMirror 6 from npm, bundled once with esbuild.

uv run python tools/vendor_codemirror.py [--update]

Installs exactly tools/codemirror/package-lock.json (``npm ci``) in a temporary
directory, bundles tools/codemirror/entry.mjs into one minified ES module, and writes
static/vendor/codemirror-<version>/ with the bundle, a gzip sibling, VERSIONS (every
npm package inside, with its version) and LICENSE (each of their licence texts).
``--update`` re-resolves the lock file to the versions in package.json first. Needs npm.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tools" / "codemirror"
VENDOR = ROOT / "static" / "vendor"
BUNDLE = "codemirror.min.js"


def npm(args: list[str], cwd: Path) -> None:
    """Run npm quietly in ``cwd``."""
    subprocess.run(["npm", *args, "--silent", "--no-audit", "--no-fund"], cwd=cwd, check=True)


def bundled_packages(metafile: Path, node_modules: Path) -> list[Path]:
    """The package directories esbuild took files from."""
    inputs = json.loads(metafile.read_text())["inputs"]
    found: set[Path] = set()
    for name in inputs:
        parts = Path(name).parts
        if "node_modules" not in parts:
            continue
        rest = parts[parts.index("node_modules") + 1 :]
        package = rest[:2] if rest[0].startswith("@") else rest[:1]
        found.add(node_modules.joinpath(*package))
    return sorted(found)


def licence_text(package: Path) -> str:
    """The package's licence file, or its package.json's licence field if it has none."""
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "license"):
        if (package / name).is_file():
            return (package / name).read_text()
    raise SystemExit(f"{package.name} ships no licence file")


def main() -> None:
    """Bundle and write the vendored directory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help="re-resolve package-lock.json")
    args = parser.parse_args()
    if args.update:
        npm(["install", "--package-lock-only"], SOURCE)
    version = json.loads((SOURCE / "package.json").read_text())["dependencies"]["codemirror"]
    target = VENDOR / f"codemirror-{version}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in ("package.json", "package-lock.json", "entry.mjs"):
            shutil.copyfile(SOURCE / name, work / name)
        npm(["ci"], work)
        meta = work / "meta.json"
        subprocess.run(
            [
                str(work / "node_modules" / ".bin" / "esbuild"),
                "entry.mjs",
                "--bundle",
                "--minify",
                "--format=esm",
                "--target=es2020",
                "--legal-comments=none",  # the licences are in LICENSE
                f"--metafile={meta}",
                f"--outfile={work / BUNDLE}",
            ],
            cwd=work,
            check=True,
        )
        packages = bundled_packages(meta, work / "node_modules")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        shutil.copyfile(work / BUNDLE, target / BUNDLE)
        versions, licences = [], []
        for package in packages:
            info = json.loads((package / "package.json").read_text())
            line = f"{info['name']}@{info['version']} ({info.get('license', '?')})"
            versions.append(line)
            licences.append(f"==== {line}\n\n{licence_text(package).strip()}\n")
    (target / "VERSIONS").write_text(
        "Bundled by tools/vendor_codemirror.py from tools/codemirror/ with esbuild:\n"
        + "".join(f"{line}\n" for line in versions)
    )
    (target / "LICENSE").write_text("\n".join(licences))
    data = (target / BUNDLE).read_bytes()
    with (
        (target / f"{BUNDLE}.gz").open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out,
    ):
        out.write(data)
    for path in sorted(target.iterdir()):
        print(f"{path.stat().st_size:>10,}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
