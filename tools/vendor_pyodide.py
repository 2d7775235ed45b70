"""Vendor the Python runtime of code cells: Pyodide from npm and the redis-py wheel from PyPI.

uv run python tools/vendor_pyodide.py [--pyodide 314.0.8]

Writes static/vendor/pyodide-<version>/ with only the files a code cell loads (the
loader, the WebAssembly interpreter, the standard library, the lock file), their
licences, gzip siblings of the compressible ones (served when the browser accepts
gzip), and static/vendor/redis-py-<version>/ with the wheel of the redis-py version
uv.lock pins (its sha256 checked against uv.lock) and its licence. Needs npm and node.

One step goes beyond copying, for start-up time: Pyodide's standard library comes as
source, which the interpreter compiles at every start (4 of the 5 seconds a worker took
here). Pyodide itself (under node) compiles the modules a code cell's start imports
(Pyodide's own, redis-py's, the runtime's in tryredis/pycells) to bytecode: in the
standard library zip they replace their source (the rest stays source), and for
redis-py they go into a zip of ``__pycache__`` files laid over the unpacked wheel. Both
are unchecked hash-based .pyc files of this exact interpreter. Re-running the script
with the same versions gives the same modules (marshal's bytes may differ in places).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sysconfig
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
PYODIDE_VERSION = "314.0.8"
# What loadPyodide() fetches; nothing else of the npm package is needed at run time.
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
)
# Served gzipped to browsers that accept it; the zip and the wheel are compressed already.
GZIPPED = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "pyodide-lock.json")
RUNTIME = ("__init__", "endpoint", "connection", "helpers", "runner", "trace")  # not browser
NODE_SCRIPT = """
import { loadPyodide } from "%(pyodide)s/pyodide.mjs";
import fs from "node:fs";
const [work] = process.argv.slice(2);
const py = await loadPyodide({ indexURL: "%(pyodide)s/" });
py.FS.mkdirTree("/work");
for (const name of fs.readdirSync(work)) {
  py.FS.writeFile("/work/" + name, new Uint8Array(fs.readFileSync(work + "/" + name)));
}
const site = py.runPython("import sysconfig; sysconfig.get_path('purelib')");
py.unpackArchive(py.FS.readFile("/work/wheel.whl"), "wheel", { extractDir: site });
py.unpackArchive(py.FS.readFile("/work/runtime.zip"), "zip", { extractDir: "/runtime" });
py.runPython(py.FS.readFile("/work/compile.py", { encoding: "utf8" }));
for (const name of ["python_stdlib.zip", "pycache.zip", "tag"]) {
  fs.writeFileSync(work + "/out-" + name, py.FS.readFile("/work/out-" + name));
}
"""
# Runs inside Pyodide: import what a cell's start imports, then compile those modules.
COMPILE_PY = """
import importlib._bootstrap_external as bootstrap
import importlib.util, sys, sysconfig, zipfile

sys.path.insert(0, "/runtime")
import tryredis.pycells.connection, tryredis.pycells.runner, tryredis.pycells.trace
sys.path.pop(0)
STDLIB = next(p for p in sys.path if p.endswith(".zip"))
SITE = "/" + sysconfig.get_path("purelib").lstrip("/")  # sysconfig says //lib/...
EPOCH = (1980, 1, 1, 0, 0, 0)
loaded = {m.__spec__.origin for m in list(sys.modules.values())
          if getattr(m, "__spec__", None) and m.__spec__.origin}

def pyc(source, name):
    code = compile(source, name, "exec", dont_inherit=True)
    return bytes(bootstrap._code_to_hash_pyc(code, importlib.util.source_hash(source), False))

with zipfile.ZipFile("/work/python_stdlib.zip") as old, \
        zipfile.ZipFile("/work/out-python_stdlib.zip", "w", zipfile.ZIP_DEFLATED) as new:
    for info in old.infolist():
        data = old.read(info)
        if f"{STDLIB}/{info.filename}" in loaded and info.filename.endswith(".py"):
            new.writestr(zipfile.ZipInfo(info.filename + "c", EPOCH), pyc(data, info.filename),
                         zipfile.ZIP_DEFLATED)
        else:
            new.writestr(info, data)

tag = sys.implementation.cache_tag
open("/work/out-tag", "w").write(tag)
with zipfile.ZipFile("/work/out-pycache.zip", "w", zipfile.ZIP_DEFLATED) as out:
    for origin in sorted(o for o in loaded if o.startswith(SITE + "/redis/")):
        folder, _, file = origin[len(SITE) + 1:].rpartition("/")
        name = f"{folder}/__pycache__/{file[:-3]}.{tag}.pyc"
        out.writestr(zipfile.ZipInfo(name, EPOCH), pyc(open(origin, "rb").read(), origin))
"""
MPL_2_0 = Path("/usr/share/common-licenses/MPL-2.0")  # Debian's copy of the licence text


def npm_pack(spec: str, workdir: Path) -> Path:
    """``npm pack`` a package into ``workdir`` and unpack it; the package directory."""
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        archive.extractall(workdir, filter="data")
    return workdir / "package"


def write_gzip(path: Path) -> None:
    """``path.gz`` beside ``path``, byte-identical on every run (no name, no time)."""
    with (
        path.with_name(path.name + ".gz").open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out,
    ):
        out.write(path.read_bytes())


def pyodide_licence(version: str, spdx: str) -> str:
    """The licence file: Pyodide's (MPL-2.0, not in the npm package) and CPython's."""
    if spdx != "MPL-2.0":
        raise SystemExit(f"pyodide {version} says its licence is {spdx}: update this script")
    if not MPL_2_0.is_file():
        raise SystemExit(f"{MPL_2_0} is missing (Debian: apt install base-files)")
    cpython = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    return (
        f"Pyodide {version} (npm package pyodide@{version}), https://pyodide.org\n"
        f"Licence: {spdx}. The npm package ships no licence text; this is the MPL-2.0's.\n"
        "It contains CPython compiled to WebAssembly and its standard library, under the\n"
        "PSF licence, which follows the MPL-2.0 text below.\n\n"
        f"{MPL_2_0.read_text()}\n\n"
        "================ CPython ================\n\n"
        f"{cpython.read_text()}"
    )


def vendor_pyodide(version: str) -> Path:
    """Fetch pyodide@version from npm and copy what code cells need."""
    target = VENDOR / f"pyodide-{version}"
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_pack(f"pyodide@{version}", Path(tmp))
        meta = json.loads((package / "package.json").read_text())
        if meta["version"] != version:
            raise SystemExit(f"npm answered pyodide {meta['version']}, not {version}")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in PYODIDE_FILES:
            shutil.copyfile(package / name, target / name)
            if name in GZIPPED:
                write_gzip(target / name)
        (target / "LICENSE").write_text(pyodide_licence(version, meta["license"]))
    return target


def compile_startup(pyodide: Path, wheel: Path) -> None:
    """Precompile what a cell's start imports (see the module's docstring), with Pyodide."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copyfile(pyodide / "python_stdlib.zip", work / "python_stdlib.zip")
        shutil.copyfile(wheel, work / "wheel.whl")
        with zipfile.ZipFile(work / "runtime.zip", "w") as runtime:
            runtime.write(ROOT / "tryredis" / "__init__.py", "tryredis/__init__.py")
            for name in RUNTIME:
                runtime.write(
                    ROOT / "tryredis" / "pycells" / f"{name}.py", f"tryredis/pycells/{name}.py"
                )
        (work / "compile.py").write_text(COMPILE_PY)
        script = work / "compile.mjs"
        script.write_text(NODE_SCRIPT % {"pyodide": pyodide.resolve().as_posix()})
        subprocess.run(["node", str(script), str(work)], check=True)
        shutil.copyfile(work / "out-python_stdlib.zip", pyodide / "python_stdlib.zip")
        tag = f"cpython-{pyodide.name.split('-')[1].split('.')[0]}"
        shutil.copyfile(
            work / "out-pycache.zip", wheel.with_name(f"{wheel.stem}.{tag}-pycache.zip")
        )


def locked_wheel(name: str) -> tuple[str, str, str]:
    """(version, wheel URL, sha256) of a pure-Python package as uv.lock pins it."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    package = next(p for p in lock["package"] if p["name"] == name)
    wheel = next(w for w in package["wheels"] if w["url"].endswith("-py3-none-any.whl"))
    return package["version"], wheel["url"], wheel["hash"].removeprefix("sha256:")


def vendor_redis_py() -> Path:
    """Download the redis-py wheel uv.lock pins, check its hash, copy it and its licence."""
    version, url, sha256 = locked_wheel("redis")
    target = VENDOR / f"redis-py-{version}"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a PyPI https URL)
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"{url}: sha256 does not match uv.lock")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    wheel = target / url.rsplit("/", 1)[1]
    wheel.write_bytes(data)
    with zipfile.ZipFile(wheel) as archive:
        licence = next(n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
        text = archive.read(licence).decode()
    (target / "LICENSE").write_text(f"redis-py {version} (PyPI: redis=={version})\n\n{text}")
    return target


def main() -> None:
    """Vendor both; print what was written and how big it is."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pyodide", default=PYODIDE_VERSION, help="pyodide npm version")
    args = parser.parse_args()
    pyodide, redis_py = vendor_pyodide(args.pyodide), vendor_redis_py()
    compile_startup(pyodide, next(redis_py.glob("*.whl")))
    for directory in (pyodide, redis_py):
        for path in sorted(directory.iterdir()):
            print(f"{path.stat().st_size:>10,}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
