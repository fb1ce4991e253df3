"""`sam build` of template.yaml, timed, and the layers it builds against Lambda's 250 MB (issue 13).

What it measures, on this machine, with a clean build directory in a temporary folder:

1. `sam build` of the whole template, RUNS times each into a clean folder (the median is the figure), without
   Docker (no --use-container), with aws-sam-cli SAM_VERSION from PyPI installed into its own virtualenv,
   .tools/sam/ (not the project's locked environment). The build runs as from a plain shell: the project's .venv
   is taken off PATH (it has no pip, which the layers' Makefiles use). Each runtime of the template needs its
   interpreter (python3.11, python3.12) on PATH. One that PATH lacks (or whose PATH entry does not run, e.g. a
   pyenv shim of a version not selected) is looked for in pyenv's versions and with `uv python find`, and put on
   the build's PATH when found. When one is missing, the whole build is not possible here: its figure is null
   with the reason, and `sam build` runs on a copy of the template without the functions of that runtime and
   the layers only they use (what that covered is printed).
2. Each layer's Makefile on its own, as sam runs it (`make -C <ContentUri> build-<LayerId> ARTIFACTS_DIR=...`).
3. Each layer's files, unzipped bytes and deflate-zipped bytes (zipped as sam zips it for CloudFormation), and for
   each set of layers the functions carry (SAM appends a function's Layers to the Globals'), the room left under
   Lambda's limit on a function's unzipped code and layers, 262,144,000 bytes (250 MiB), with the largest
   function's own code of that set.

A figure that could not be measured is null with the reason. Exits non-zero when a build that had what it needs
failed, or when a function's layers and code exceed the limit.

    .venv/bin/python bench/sam_build.py [--runs 3] [--hide python3.12] [--json FILE] [--keep]

--hide RUNTIME makes that runtime's interpreter unavailable to the build, to see what a machine without it gets.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "local"))

from panelist_local.template import load_yaml  # the template's YAML, short-form tags (!Ref) included

SAM_VERSION = "1.170.0"
SAM_TOOLS = ROOT / ".tools" / "sam"
SAM = SAM_TOOLS / "bin" / "sam"
UV = ROOT / ".tools" / "bin" / "uv"
TEMPLATE = ROOT / "template.yaml"
LIMIT = 262_144_000  # Lambda: a function's code and all its layers, unzipped ("250 MB": 250 MiB)
MIB = 1024 * 1024
BUILD_TIMEOUT = 1800.0
RUNS = 3  # sam builds, each into a clean folder: the median is the figure (a shared machine drifts)
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ------------------------------------------------------------------ the template


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, Mapping) else None


def read_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """Functions (runtime, code dir, layers in order) and layers (content dir, build method) of the template."""
    body = load_yaml(path.read_text())
    resources: Mapping[str, Any] = body["Resources"]
    globals_ = body.get("Globals", {}).get("Function", {})
    layers = {
        name: {
            "content_uri": declared["Properties"]["ContentUri"],
            "build_method": declared.get("Metadata", {}).get("BuildMethod"),
            "runtimes": list(declared["Properties"].get("CompatibleRuntimes", [])),
        }
        for name, declared in resources.items()
        if declared["Type"] == "AWS::Serverless::LayerVersion"
    }
    functions = {}
    for name, declared in resources.items():
        if declared["Type"] != "AWS::Serverless::Function":
            continue
        properties = declared["Properties"]
        refs = [_ref(layer) for layer in [*globals_.get("Layers", []), *properties.get("Layers", [])]]
        functions[name] = {
            "runtime": properties.get("Runtime", globals_.get("Runtime")),
            "code_uri": properties.get("CodeUri", globals_.get("CodeUri")),
            "layers": [ref for ref in refs if ref in layers],
        }
    return {"body": body, "functions": functions, "layers": layers}


def subset_template(template: Mapping[str, Any], missing: set[str], out: Path) -> dict[str, Any]:
    """A copy of the template without the functions of the missing runtimes and the layers only they use."""
    dropped = {name for name, f in template["functions"].items() if f["runtime"] in missing}
    kept_layers = {layer for name, f in template["functions"].items() if name not in dropped for layer in f["layers"]}
    dropped |= {name for name in template["layers"] if name not in kept_layers}
    body = dict(template["body"])
    body["Resources"] = {name: r for name, r in body["Resources"].items() if name not in dropped}
    out.write_text(json.dumps(body, indent=1))
    kept = [name for name in template["functions"] if name not in dropped]
    return {"functions": kept, "layers": sorted(kept_layers), "dropped": sorted(dropped)}


# ------------------------------------------------------------------ interpreters and the build's environment


def _python_version(executable: str, env: Mapping[str, str]) -> tuple[str | None, str]:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError as error:
        return None, str(error)
    if out.returncode:
        return None, (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[0]
    return out.stdout.strip(), ""


def find_python(runtime: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The interpreter for a Lambda runtime (python3.12): on PATH, else pyenv's versions, else uv's."""
    version = runtime.removeprefix("python")
    tried: list[str] = []
    candidates: list[tuple[str, str]] = []
    on_path = shutil.which(runtime, path=env["PATH"])
    if on_path:
        candidates.append((on_path, "on PATH"))
    else:
        tried.append(f"no {runtime} on PATH")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found_in_pyenv = sorted((pyenv / "versions").glob(f"{version}.*/bin/{runtime}"), reverse=True)
    candidates += [(str(path), "pyenv") for path in found_in_pyenv]
    if not found_in_pyenv:
        tried.append(f"none in {pyenv}/versions")
    uv = str(UV) if UV.exists() else shutil.which("uv")
    if uv:
        found = subprocess.run(
            [uv, "python", "find", "--no-project", version],
            env={**env, "UV_PYTHON_DOWNLOADS": "never"},
            capture_output=True,
            text=True,
        )
        if found.returncode == 0 and found.stdout.strip():
            candidates.append((found.stdout.strip(), "uv python find"))
        else:
            tried.append(f"`uv python find {version}` finds none")
    for path, how in candidates:
        full, error = _python_version(path, env)
        if full and full.startswith(version + "."):
            return {"path": path, "version": full, "found": how}
        tried.append(f"{path} does not run as {runtime}: {error or full}")
    return {"path": None, "version": None, "found": None, "reason": "; ".join(tried)}


def build_env(shims: Path) -> dict[str, str]:
    """This shell's environment as a plain shell has it: the project's venv off PATH, the shims first."""
    env = dict(os.environ)
    path = env.get("PATH", os.defpath).split(os.pathsep)
    if sys.prefix != sys.base_prefix:  # run from the project's venv (make bench: uv run)
        venv_bin = Path(sys.prefix, "bin").resolve()
        path = [p for p in path if p and Path(p).resolve() != venv_bin]
        env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join([str(shims), *path])
    env["SAM_CLI_TELEMETRY"] = "0"
    return env


def hide(shims: Path, runtime: str) -> None:
    stub = shims / runtime
    stub.write_text(f"#!/bin/sh\necho '{runtime}: hidden by bench/sam_build.py --hide' >&2\nexit 127\n")
    stub.chmod(0o755)


# ------------------------------------------------------------------ running and timing


def _tail(log: Path, lines: int = 12) -> list[str]:
    return log.read_text(errors="replace").strip().splitlines()[-lines:] if log.exists() else []


def _cause(tail: Sequence[str]) -> str:
    """The last line of a failed build's output that is not make's own (make: *** ... Error 1)."""
    return next((line.strip() for line in reversed(tail) if not line.startswith("make")), "no output")


def timed(command: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path) -> dict[str, Any]:
    """Wall-clock and CPU seconds (user + system of every child) of one command, its output in log."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log.open("w") as out:
        try:
            done = subprocess.run(
                list(command), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT
            )
            code: int | None = done.returncode
        except subprocess.TimeoutExpired:
            code = None
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result: dict[str, Any] = {"command": shlex.join(str(c) for c in command), "seconds": None, "cpu_seconds": None}
    if code == 0:
        result.update(seconds=round(seconds, 1), cpu_seconds=round(cpu, 1), reason=None)
    elif code is None:
        result.update(reason=f"did not finish in {BUILD_TIMEOUT:.0f} s", log_tail=_tail(log))
    else:
        tail = _tail(log)
        result.update(reason=f"failed (exit {code}) after {seconds:.1f} s: {_cause(tail)}", log_tail=tail)
    return result


def timed_runs(
    command: Sequence[str], build_dir: Path, runs: int, env: Mapping[str, str], log: Path, cwd: Path
) -> dict[str, Any]:
    """`sam build` RUNS times, each into a clean build_dir (the last one's output stays): the median, and each."""
    done: list[dict[str, Any]] = []
    for _ in range(runs):
        shutil.rmtree(build_dir, ignore_errors=True)
        result = timed([*command, "--build-dir", str(build_dir)], env, log, cwd)
        if result["reason"]:
            return {**result, "runs": [r["seconds"] for r in done]}
        done.append(result)
    return {
        "command": shlex.join(str(c) for c in [*command, "--build-dir", build_dir])
        .replace(str(cwd), "<temp dir>")
        .replace(f"{ROOT}/", ""),
        "seconds": statistics.median(r["seconds"] for r in done),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in done),
        "runs": [r["seconds"] for r in done],
        "reason": None,
    }


def ensure_sam() -> dict[str, Any]:
    """aws-sam-cli SAM_VERSION in its own virtualenv, .tools/sam/ (installed on first use, about 40 s)."""
    info: dict[str, Any] = {"version": SAM_VERSION, "path": str(SAM.relative_to(ROOT)), "install_seconds": None}
    if SAM.exists():
        out = subprocess.run([str(SAM), "--version"], capture_output=True, text=True)
        if SAM_VERSION in out.stdout.split():
            return {**info, "reason": None}
    start = time.perf_counter()
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(SAM_TOOLS)],
        [str(SAM_TOOLS / "bin" / "python"), "-m", "pip", "install", "--quiet", f"aws-sam-cli=={SAM_VERSION}"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode:
            error = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            return {**info, "reason": f"could not install aws-sam-cli {SAM_VERSION}: {shlex.join(step)}: {error}"}
    return {**info, "install_seconds": round(time.perf_counter() - start, 1), "reason": None}


# ------------------------------------------------------------------ sizes


def _files(root: Path) -> Iterable[Path]:
    for folder, _dirs, names in os.walk(root, followlinks=True):  # as sam walks it
        for name in names:
            yield Path(folder, name)


def layer_size(root: Path, work: Path) -> dict[str, Any]:
    """Files, unzipped and zipped bytes of a built layer, zipped as sam does (deflate, one entry per file)."""
    archive = work / f"{root.name}.zip"
    files = unzipped = 0
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in _files(root):
            info = zipfile.ZipInfo(str(path.relative_to(root)))
            info.create_system = 3
            info.external_attr = path.stat().st_mode << 16
            data = path.read_bytes()
            zipped.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            files += 1
            unzipped += len(data)
    size = archive.stat().st_size
    archive.unlink()
    return {"files": files, "unzipped_bytes": unzipped, "zipped_bytes": size}


def code_size(root: Path, from_source: bool) -> int:
    """Unzipped bytes of a function's own code (from source: without bytecode, which sam does not copy)."""
    total = 0
    for path in _files(root):
        if from_source and ("__pycache__" in path.parts or path.suffix == ".pyc"):
            continue
        total += path.stat().st_size
    return total


# ------------------------------------------------------------------ the run


def _mib(value: int | None) -> str:
    return "null" if value is None else f"{value / MIB:,.1f} MiB"


def _seconds(result: Mapping[str, Any] | None) -> str:
    if not result or result.get("seconds") is None:
        return "null"
    runs = result.get("runs") or []
    spread = f" median of {len(runs)} ({min(runs):.1f}-{max(runs):.1f} s)" if len(runs) > 1 else ""
    return f"{result['seconds']:.1f} s{spread}, CPU {result['cpu_seconds']:.1f} s"


def _machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    memory = next(
        (int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line),
        None,
    )
    system = platform.platform()
    if Path("/etc/os-release").exists():
        fields = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
        system = fields.get("PRETTY_NAME", system).strip('"')
    return {
        "cpus": CPUS,
        "cpu_model": model,
        "memory_gib": round(memory / 1024**3, 1) if memory else None,
        "os": system,
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def measure(hidden: Sequence[str] = (), keep: bool = False, runs: int = RUNS) -> dict[str, Any]:
    template = read_template()
    functions, layers = template["functions"], template["layers"]
    work = Path(tempfile.mkdtemp(prefix="bench-sam-build-"))
    shims = work / "bin"
    shims.mkdir()
    for runtime in hidden:
        hide(shims, runtime)
    env = build_env(shims)
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "template": {"functions": len(functions), "layers": sorted(layers)},
        "hidden": list(hidden),
        "work_dir": str(work) if keep else None,
    }
    failures: list[str] = []
    broken = False  # a build that had everything it needs failed

    # Interpreters, one per runtime; a found one that PATH lacks goes on the build's PATH.
    runtimes = sorted({f["runtime"] for f in functions.values()} | {r for x in layers.values() for r in x["runtimes"]})
    interpreters: dict[str, Any] = {}
    for runtime in runtimes:
        if runtime in hidden:
            interpreters[runtime] = {"path": None, "version": None, "found": None, "reason": "hidden (--hide)"}
            continue
        interpreters[runtime] = found = find_python(runtime, env)
        if found["path"] and found["found"] != "on PATH":
            (shims / runtime).symlink_to(found["path"])
    report["interpreters"] = interpreters
    missing = {runtime for runtime, found in interpreters.items() if not found["path"]}
    for runtime in sorted(missing):
        failures.append(f"no {runtime} here: {interpreters[runtime]['reason']}")

    sam = ensure_sam()
    report["sam_cli"] = sam
    if sam["reason"]:
        failures.append(sam["reason"])
    sam_build = [str(SAM), "build", "--cache-dir", str(work / "cache")]

    # 1. The whole template, as `sam build` in the repository does.
    full_dir = work / "full"
    report["sam_build"] = {"command": "sam build", "seconds": None, "cpu_seconds": None, "covered": None}
    if sam["reason"]:
        report["sam_build"]["reason"] = f"not run: {sam['reason']}"
    elif missing:
        report["sam_build"]["reason"] = (
            f"not possible here: the template has {', '.join(sorted(missing))} functions or layers and this machine "
            f"has no {' or '.join(sorted(missing))} for sam build to build them with (without Docker)"
        )
    else:
        command = [*sam_build, "--template-file", str(TEMPLATE)]
        result = timed_runs(command, full_dir, runs, env, work / "sam-build.log", work)
        result["covered"] = f"the whole template: {len(functions)} functions, {len(layers)} layers"
        report["sam_build"] = result
        if result["reason"]:
            broken = True
            failures.append(f"sam build: {result['reason']}")
    built_by_sam = full_dir if report["sam_build"]["seconds"] is not None else None

    # 1b. What sam can build here when the whole template cannot be.
    report["sam_build_subset"] = None
    if built_by_sam is None and not sam["reason"] and missing:
        subset_file = work / "template-subset.json"
        subset = subset_template(template, missing, subset_file)
        subset_dir = work / "subset"
        command = [*sam_build, "--template-file", str(subset_file), "--base-dir", str(ROOT)]
        result = timed_runs(command, subset_dir, runs, env, work / "sam-build-subset.log", work)
        result["command"] = (
            f"sam build on a copy of template.yaml without {', '.join(sorted(missing))} "
            f"functions and the layers only they use (--base-dir {ROOT})"
        )
        result["covered"] = (
            f"{len(subset['functions'])} of {len(functions)} functions, layers: {', '.join(subset['layers']) or 'none'}"
        )
        result["left_out"] = subset["dropped"]
        report["sam_build_subset"] = result
        if result["reason"]:
            broken = True
            failures.append(f"sam build of the subset: {result['reason']}")
        else:
            built_by_sam = subset_dir

    # 2. Each layer's Makefile on its own, as sam runs it.
    report["layer_builds"] = {}
    for name, layer in layers.items():
        if layer["build_method"] != "makefile":
            report["layer_builds"][name] = {"seconds": None, "reason": f"BuildMethod {layer['build_method']}"}
            continue
        artifacts = work / "layers" / name
        artifacts.mkdir(parents=True)
        command = ["make", "-C", str(ROOT / layer["content_uri"]), f"build-{name}", f"ARTIFACTS_DIR={artifacts}"]
        result = timed(command, env, work / f"make-{name}.log", work)
        result["command"] = shlex.join(["make", "-C", layer["content_uri"].rstrip("/"), f"build-{name}"])
        result["command"] += " ARTIFACTS_DIR=<temp dir>"
        report["layer_builds"][name] = result
        if result["reason"]:
            needs = set(layer["runtimes"]) & missing
            if needs:
                result["reason"] = f"{', '.join(sorted(needs))} missing here; {result['reason']}"
            else:
                broken = True
            failures.append(f"{result['command']}: {result['reason']}")

    # 3. Sizes: of sam's output when it built the layer, else of the Makefile's on its own.
    report["layers"] = {}
    for name in layers:
        for source, root in (("sam build", built_by_sam and built_by_sam / name), ("make", work / "layers" / name)):
            if root and root.is_dir() and any(root.iterdir()):
                ok = source == "sam build" or report["layer_builds"][name].get("seconds") is not None
                if ok:
                    report["layers"][name] = {**layer_size(root, work), "measured_from": f"{source} output"}
                    break
        else:
            reason = report["layer_builds"][name].get("reason") or "not built"
            report["layers"][name] = {"files": None, "unzipped_bytes": None, "zipped_bytes": None, "reason": reason}

    # 4. Room under Lambda's limit for each set of layers the functions carry.
    combos: dict[tuple[str, ...], list[str]] = {}
    for name, function in functions.items():
        combos.setdefault(tuple(function["layers"]), []).append(name)
    report["functions"] = []
    for combo, names in combos.items():
        sizes: dict[str, int] = {}
        for name in names:
            built = built_by_sam / name if built_by_sam else None
            if built and built.is_dir():
                sizes[name] = code_size(built, from_source=False)
            else:
                sizes[name] = code_size(ROOT / functions[name]["code_uri"], from_source=True)
        largest = max(sizes, key=lambda n: sizes[n])
        layer_bytes = [report["layers"][layer]["unzipped_bytes"] for layer in combo]
        total = None if None in layer_bytes else sum(b for b in layer_bytes if b is not None)
        entry: dict[str, Any] = {
            "layers": list(combo),
            "functions": len(names),
            "runtimes": sorted({functions[n]["runtime"] for n in names}),
            "layers_unzipped_bytes": total,
            "largest_code": {"function": largest, "bytes": sizes[largest]},
            "limit_bytes": LIMIT,
            "room_bytes": None if total is None else LIMIT - total - sizes[largest],
        }
        if total is None:
            entry["reason"] = "a layer was not built: " + ", ".join(
                layer for layer in combo if report["layers"][layer]["unzipped_bytes"] is None
            )
        elif entry["room_bytes"] < 0:
            broken = True
            failures.append(f"functions with {' + '.join(combo)} are {-entry['room_bytes']:,} bytes over the limit")
        report["functions"].append(entry)

    report["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    report["failures"] = failures
    report["ok"] = not broken
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return report


def print_table(report: Mapping[str, Any]) -> None:
    machine = report["machine"]
    sam = report["sam_cli"]
    print(
        f"sam build: aws-sam-cli {sam['version']} ({sam['path']}), {report['date']}, {machine['cpus']} CPUs "
        f"({machine['cpu_model']}), {machine['memory_gib']} GiB, {machine['os']}; load average "
        f"{machine['load_average_at_start']} at the start, {machine['load_average_at_end']} at the end (wall-clock)"
    )
    for runtime, found in report["interpreters"].items():
        if found["path"]:
            print(f"  {runtime:10} {found['path']} ({found['version']}, {found['found']})")
        else:
            print(f"  {runtime:10} null: {found['reason']}")
    if sam["install_seconds"] is not None:
        print(f"  aws-sam-cli installed into {sam['path']} in {sam['install_seconds']:.1f} s (not counted below)")
    rows = [("sam build, whole template", report["sam_build"])]
    if report["sam_build_subset"]:
        rows.append(("sam build, what builds here", report["sam_build_subset"]))
    rows += [(f"{name} Makefile alone", result) for name, result in report["layer_builds"].items()]
    for label, result in rows:
        print(f"  {label:30} {_seconds(result)}")
        print(f"      {result.get('covered') or result.get('command')}")
        if result.get("reason"):
            print("      null: " + result["reason"].replace("\n", "\n        "))
    print(f"  {'layer':20} {'files':>7} {'unzipped':>12} {'zipped':>12}  measured from")
    for name, size in report["layers"].items():
        files = "null" if size["files"] is None else f"{size['files']:,}"
        from_ = size.get("measured_from") or f"null: {size['reason'].splitlines()[0]}"
        print(f"  {name:20} {files:>7} {_mib(size['unzipped_bytes']):>12} {_mib(size['zipped_bytes']):>12}  {from_}")
    print(f"  {'a function with':28} {'functions':>9} {'layers':>12} {'largest code':>26} {'room under 250 MiB':>19}")
    for entry in report["functions"]:
        largest = f"{entry['largest_code']['bytes'] / 1024:,.1f} KiB ({entry['largest_code']['function']})"
        print(
            f"  {' + '.join(entry['layers']) or 'no layer':28} {entry['functions']:>9} "
            f"{_mib(entry['layers_unzipped_bytes']):>12} {largest:>26} {_mib(entry['room_bytes']):>19}"
        )
    for failure in report["failures"]:
        print("  failed: " + failure.splitlines()[0])


def main(hidden: Sequence[str] = (), keep: bool = False, json_file: Path | None = None, runs: int = RUNS) -> int:
    report = measure(hidden, keep, runs)
    print_table(report)
    text = json.dumps(report, indent=2)
    print(text)
    if json_file:
        json_file.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hide", action="append", default=[], metavar="RUNTIME", help="e.g. python3.12")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary build folder (printed)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"sam builds to take the median of ({RUNS})")
    args = parser.parse_args()
    raise SystemExit(main(args.hide, args.keep, args.json, max(1, args.runs)))
