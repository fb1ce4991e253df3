"""Build the PDF layer (PdfLayer in template.yaml) into OUT; `sam build` runs it through layers/pdf/Makefile.

GetSessionPdfFunction renders with WeasyPrint, which loads pango, harfbuzz, fontconfig and glib at import.
Lambda has none of them: python3.11 runs on Amazon Linux 2, whose pango is too old for WeasyPrint and whose
glibc (2.26) no packaged newer pango supports; python3.12 runs on Amazon Linux 2023 (glibc 2.34), but its
execution environment holds little beyond glibc (not even libexpat, which its build image has). So the
function runs on python3.12 and this layer brings everything, without Docker or a compiler:

  lib/       Debian 12 (bookworm) builds of pango, pangoft2, harfbuzz (+ subset), fontconfig, freetype, glib
             and every library they link, one file per soname (no symlinks). Lambda puts /opt/lib on
             LD_LIBRARY_PATH. Debian 12's expat needs glibc 2.36, so expat comes from Debian 11 (bullseye).
  fonts/     the report fonts for every report language's script (fonts.py says which: DejaVu Sans and Mono,
             Noto Sans Arabic, Devanagari, Tamil and Thai, Droid Sans Fallback for Han, kana and Hangul) and
             the fonts.conf that panelist.reports.pdf points FONTCONFIG_FILE at (Lambda has no /etc/fonts);
             cache in /tmp. `make serve` and `make test` install the same files locally with fonts.py.
  licenses/  the Debian copyright file of every package taken.
  python/    WeasyPrint and the packages only it needs (layers/pdf/requirements.txt less shared/requirements.txt);
             for the shared layer's packages (built for 3.11), Python 3.12 builds of the compiled ones; and
             cpython-312 .pyc files (unchecked-hash) of every module, the panelist package included.
             (fonttools is left out: its extensions are optional speed-ups; the layer's hb-subset subsets fonts.)

Lambda merges layers into /opt in order and this one comes after the shared layer (SAM appends a function's
Layers to the Globals'), so its 3.12 files sit beside the shared layer's 3.11 ones. Unzipped, the shared layer
(133 MB) and this one (75 MB) stay under Lambda's 250 MB for a function and its layers.

Packages are resolved in the suites' indexes (security updates first), downloaded over HTTPS and checked
against the index's SHA-256 (fonts.Debian, which fetches the fonts' packages too). The build fails unless
every library's DT_NEEDED is in lib/ or glibc and no library needs a glibc symbol version newer than 2.34,
the Amazon Linux 2023 glibc.
"""

from __future__ import annotations

import argparse
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

from fonts import BOOKWORM, Debian, install, unpack  # layers/pdf/fonts.py, beside this file

# (suite's index, its fallback when the suite has moved to the archive), searched in order.
BULLSEYE = [
    "https://deb.debian.org/debian-security bullseye-security",
    "https://deb.debian.org/debian bullseye",
    "https://archive.debian.org/debian-security bullseye-security",
    "https://archive.debian.org/debian bullseye",
]
PACKAGES = {
    "libpango-1.0-0": BOOKWORM,
    "libpangoft2-1.0-0": BOOKWORM,
    "libharfbuzz0b": BOOKWORM,
    "libharfbuzz-subset0": BOOKWORM,  # WeasyPrint subsets fonts with it (else with fontTools, 4x slower)
    "libfontconfig1": BOOKWORM,
    "libfreetype6": BOOKWORM,
    "libglib2.0-0": BOOKWORM,  # glib, gobject, gio, gmodule
    "libfribidi0": BOOKWORM,
    "libthai0": BOOKWORM,
    "libdatrie1": BOOKWORM,
    "libgraphite2-3": BOOKWORM,
    "libbrotli1": BOOKWORM,
    "libpng16-16": BOOKWORM,
    "libffi8": BOOKWORM,
    "libpcre2-8-0": BOOKWORM,
    "zlib1g": BOOKWORM,
    "libmount1": BOOKWORM,
    "libblkid1": BOOKWORM,
    "libselinux1": BOOKWORM,
    "libexpat1": BULLSEYE,  # bookworm's uses arc4random_buf@GLIBC_2.36
}
# The fonts' packages and files are fonts.FONTS; fonts.install puts them and fonts.conf in fonts/.
LAYER_FONTS = "/opt/fonts"
FONTCONFIG_CACHE = "/tmp/fontconfig"  # noqa: S108 - Lambda's only writable folder
LIB_DIRS = ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu")
SONAME = re.compile(r"^lib[^/]+\.so\.\d+$")
# Provided by the runtime's glibc; anything else a library needs must be in lib/.
GLIBC_LIBS = {
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libresolv.so.2",
    "ld-linux-x86-64.so.2",
}
MAX_GLIBC = (2, 34)
# The layer's libraries must load the way WeasyPrint asks for them.
REQUIRED = {
    "libgobject-2.0.so.0",
    "libpango-1.0.so.0",
    "libpangoft2-1.0.so.0",
    "libharfbuzz.so.0",
    "libharfbuzz-subset.so.0",
    "libfontconfig.so.1",
}
PYTHON_VERSION = "3.12"
PYTHON_TAG = "cp312"
OPTIONAL_EXTENSIONS = {"fonttools"}  # pure-Python fallbacks exist; 30 MB the layer size limit cannot spare


def log(message: str) -> None:
    print(f"pdf layer: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ Debian packages


def extract(package: str, deb: bytes, out: Path) -> list[str]:
    """Libraries by soname into lib/, the copyright into licenses/."""

    def choose(path: PurePosixPath) -> Path | None:
        if str(path.parent) in LIB_DIRS and SONAME.match(path.name):
            return out / "lib" / path.name
        if path == PurePosixPath("usr/share/doc", package, "copyright"):
            return out / "licenses" / f"{package}.copyright"
        return None

    return [str(path.relative_to(out)) for path in unpack(deb, choose)]


def debian(out: Path, packages: Debian) -> None:
    for package, sources in PACKAGES.items():
        deb, what = packages.download(package, sources)
        taken = extract(package, deb, out)
        log(f"{what}: {len(taken)} files")


# ------------------------------------------------------------------ ELF checks


def elf_dependencies(path: Path) -> tuple[str | None, list[str], set[tuple[str, str]]]:
    """SONAME, DT_NEEDED and (file, version) symbol-version needs of a 64-bit little-endian ELF library."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path.name} is not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]

    def string(table: int, offset: int) -> str:
        start = sections[table][4] + offset
        return data[start : data.index(b"\0", start)].decode()

    soname, needed, versions = None, [], set()
    for _name, kind, _flags, _addr, offset, size, link, info, _align, entsize in sections:
        if kind == 6:  # SHT_DYNAMIC
            for at in range(offset, offset + size, entsize or 16):
                tag, value = struct.unpack_from("<qQ", data, at)
                if tag == 1:
                    needed.append(string(link, value))
                elif tag == 14:
                    soname = string(link, value)
        elif kind == 0x6FFFFFFE:  # SHT_GNU_verneed
            at = offset
            for _ in range(info):
                _version, count, file, aux, nxt = struct.unpack_from("<HHIII", data, at)
                aux_at = at + aux
                for _ in range(count):
                    _hash, _flags, _other, name, aux_next = struct.unpack_from("<IHHII", data, aux_at)
                    versions.add((string(link, file), string(link, name)))
                    aux_at += aux_next
                at += nxt
    return soname, needed, versions


def check_libraries(lib: Path) -> None:
    present = {p.name for p in lib.iterdir()}
    missing_required = REQUIRED - present
    problems = [f"missing {name}" for name in sorted(missing_required)]
    newest = (0, 0)
    for path in sorted(lib.iterdir()):
        soname, needed, versions = elf_dependencies(path)
        if soname != path.name:
            problems.append(f"{path.name} has soname {soname}")
        problems += [
            f"{path.name} needs {n}, which is neither in lib/ nor glibc's"
            for n in needed
            if n not in present and n not in GLIBC_LIBS
        ]
        for file, version in versions:
            if file in GLIBC_LIBS and (match := re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", version)):
                wanted = (int(match[1]), int(match[2]))
                newest = max(newest, wanted)
                if wanted > MAX_GLIBC:
                    problems.append(f"{path.name} needs {version} from {file}")
    if problems:
        raise SystemExit("pdf layer: " + "; ".join(problems))
    log(f"{len(present)} libraries, closed over glibc, newest glibc symbol version {newest[0]}.{newest[1]}")


# ------------------------------------------------------------------ Python 3.12


def _names(requirements: Path) -> set[str]:
    """The normalised package names a requirements file pins."""
    pins = re.findall(r"^([A-Za-z0-9._-]+)==", requirements.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[-_.]+", "_", name).lower() for name in pins}


def python_packages(
    out: Path, requirements: Path, shared_requirements: Path, package: Path, python312: str, work: Path
) -> None:
    wheels, site = work / "wheels", work / "site"
    platform = [
        "--only-binary=:all:",
        "--platform",
        "manylinux2014_x86_64",
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
    ]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    # Every command is this interpreter's pip or the given python3.12, on this build's own paths.
    download = [*pip, "download", *platform, "--dest", str(wheels), "-r", str(requirements)]
    subprocess.run(download, check=True)  # noqa: S603
    wheel_files = [str(w) for w in sorted(wheels.glob("*.whl"))]
    install = [*pip, "install", *platform, "--no-deps", "--no-compile", "--target", str(site), *wheel_files]
    subprocess.run(install, check=True)  # noqa: S603
    shutil.copytree(package, site / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    # Recorded as the modules' /opt/python paths on Lambda, so two builds give the same files.
    where = ["-s", str(site), "-p", "/opt/python"]
    compile_all = [
        python312,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        *where,
        str(site),
    ]
    subprocess.run(compile_all, check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    keep: set[Path] = set()
    in_shared_layer = _names(shared_requirements)
    for wheel in wheels.glob("*.whl"):
        name, _version, *_build, _python, abi_tag, _platform = wheel.stem.split("-")
        shared = name.lower() in in_shared_layer
        if shared and abi_tag != PYTHON_TAG:
            continue  # the shared layer's own is pure or abi3, so it works on 3.12
        record = next(p / "RECORD" for p in site.glob("*.dist-info") if p.name.lower().startswith(f"{name.lower()}-"))
        files = {site / line.split(",")[0] for line in record.read_text().splitlines() if line}
        if name.lower() in OPTIONAL_EXTENSIONS:
            files = {f for f in files if f.suffix != ".so"}
        keep |= files
        log(f"Python {PYTHON_VERSION} build of {name}" if shared else f"{name} (only in this layer)")
    keep |= set(site.rglob("*.cpython-312.pyc"))
    target = out / "python"
    for path in sorted(keep):
        if path.is_file() and path.name != "direct_url.json":  # pip's note of the build's own wheel paths
            destination = target / path.relative_to(site)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the layer's root (sam build's ARTIFACTS_DIR)")
    parser.add_argument("--requirements", type=Path, required=True, help="layers/pdf/requirements.txt")
    parser.add_argument("--shared-requirements", type=Path, required=True, help="shared/requirements.txt")
    parser.add_argument("--package", type=Path, required=True, help="shared/panelist")
    parser.add_argument("--python312", default="python3.12", help="a Python 3.12 to compile the .pyc with")
    args = parser.parse_args()
    if not shutil.which(args.python312):
        raise SystemExit(f"pdf layer: no {args.python312} to compile the layer's .pyc with (set PYTHON312=...)")
    for folder in ("lib", "fonts", "licenses", "python"):
        (args.out / folder).mkdir(parents=True, exist_ok=True)
    packages = Debian()
    debian(args.out, packages)
    check_libraries(args.out / "lib")
    fonts = args.out / "fonts"
    install(fonts, LAYER_FONTS, FONTCONFIG_CACHE, licenses=args.out / "licenses", debian=packages, stamp=False)
    with tempfile.TemporaryDirectory(prefix="pdf-layer-") as work:
        python_packages(args.out, args.requirements, args.shared_requirements, args.package, args.python312, Path(work))


if __name__ == "__main__":
    main()
