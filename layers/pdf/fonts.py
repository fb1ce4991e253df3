"""The report fonts: which Debian 12 packages and files, and the fontconfig configuration that orders them.

Reports render in 34 languages, so every script they use needs a font (else fontconfig finds none and the
PDF shows empty boxes). One code path installs them in two places:

  build.py (PdfLayer)    install(<layer>/fonts, "/opt/fonts", "/tmp/fontconfig"): what Lambda renders with.
  make serve / make test `python layers/pdf/fonts.py --out .tools/fonts`: the same files for local rendering
                         and the tests, with a fonts.conf whose <dir> is that folder (FONTCONFIG_FILE).

  script                                          family                 package
  Latin (incl. Vietnamese), Greek, Cyrillic       DejaVu Sans (+ Mono)   fonts-dejavu-core, -extra (obliques)
  Arabic                                          Noto Sans Arabic       fonts-noto-core
  Devanagari                                      Noto Sans Devanagari   fonts-noto-core
  Tamil                                           Noto Sans Tamil        fonts-noto-core
  Thai                                            Noto Sans Thai         fonts-noto-core
  Han (zh, ja), Hiragana, Katakana, Hangul        Droid Sans Fallback    fonts-droid-fallback

17 files, 8.6 MB: DejaVu 3.9 MB, the Noto Sans 1.2 MB, Droid Sans Fallback 3.5 MB (the .debs: 17 MB).
Droid Sans Fallback is the package's DroidSansFallback.ttf: its other file, DroidSansFallbackFull.ttf, has
CJK Extension A but only 3 of the 11,172 Hangul syllables. DejaVu Sans has Arabic letters of its own; the
configuration takes Arabic out of DejaVu's coverage so that Noto Sans Arabic draws it.

Packages are resolved in the suites' indexes (security updates first), downloaded over HTTPS and checked
against the index's SHA-256; with a cache folder, a verified .deb is kept and reused. Only stdlib: this runs
with any Python 3.9+, before the project's environment exists.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

# (suite's index, its fallback when the suite has moved to the archive), searched in order.
BOOKWORM = [
    "https://deb.debian.org/debian-security bookworm-security",
    "https://deb.debian.org/debian bookworm-updates",
    "https://deb.debian.org/debian bookworm",
]
# package -> the font files taken from it (by file name, anywhere under usr/share).
FONTS: dict[str, tuple[str, ...]] = {
    "fonts-dejavu-core": (
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSansMono.ttf",
        "DejaVuSansMono-Bold.ttf",
    ),
    "fonts-dejavu-extra": (
        "DejaVuSans-Oblique.ttf",
        "DejaVuSans-BoldOblique.ttf",
        "DejaVuSansMono-Oblique.ttf",
        "DejaVuSansMono-BoldOblique.ttf",
    ),
    "fonts-noto-core": (
        "NotoSansArabic-Regular.ttf",
        "NotoSansArabic-Bold.ttf",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansDevanagari-Bold.ttf",
        "NotoSansTamil-Regular.ttf",
        "NotoSansTamil-Bold.ttf",
        "NotoSansThai-Regular.ttf",
        "NotoSansThai-Bold.ttf",
    ),
    "fonts-droid-fallback": ("DroidSansFallback.ttf",),  # no bold: WeasyPrint draws bold CJK text regular
}
FONT_PACKAGES = dict.fromkeys(FONTS, BOOKWORM)
# The fallback order after the family a document asks for: the first font that has a character draws it.
SANS = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
FALLBACK = ("Noto Sans Arabic", "Noto Sans Devanagari", "Noto Sans Tamil", "Noto Sans Thai", "Droid Sans Fallback")
# Left to Noto Sans Arabic: Arabic, Arabic Supplement, Arabic Extended-A, Presentation Forms-A and -B.
ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
STAMP = ".installed"


def log(message: str) -> None:
    print(f"fonts: {message}", file=sys.stderr, flush=True)


def fetch(url: str) -> bytes:
    if not url.startswith("https://"):
        raise ValueError(f"not an https URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "panelist-pdf-layer"})  # noqa: S310 - https only
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return bytes(response.read())


# ------------------------------------------------------------------ Debian packages


def read_index(source: str) -> dict[str, dict[str, str]]:
    """The amd64 `main` Packages index of `source` ("<base URL> <suite>"); empty when the suite is not there.

    Any other failure stops the build: skipping an unreachable security suite would pick unpatched versions.
    """
    base, suite = source.split()
    try:
        raw = lzma.decompress(fetch(f"{base}/dists/{suite}/main/binary-amd64/Packages.xz"))
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise
        log(f"{source}: no such suite there")
        return {}
    index: dict[str, dict[str, str]] = {}
    for stanza in raw.decode().split("\n\n"):
        fields = dict(re.findall(r"^([\w-]+): (.*)$", stanza, re.M))
        if fields.get("Package") and fields.get("Architecture") in ("amd64", "all"):
            index[fields["Package"]] = {**fields, "base": base}
    return index


class Debian:
    """Resolves packages in the suites' indexes (each read once) and downloads them, SHA-256 checked."""

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        self.indexes: dict[str, dict[str, dict[str, str]]] = {}

    def resolve(self, package: str, sources: list[str]) -> tuple[str, dict[str, str]]:
        for source in sources:
            if source not in self.indexes:
                self.indexes[source] = read_index(source)
            entry = self.indexes[source].get(package)
            if entry:
                return source, entry
        raise SystemExit(f"fonts: {package} is in none of {sources}")

    def download(self, package: str, sources: list[str]) -> tuple[bytes, str]:
        """The package's .deb and a line saying which version from which suite."""
        source, entry = self.resolve(package, sources)
        name = PurePosixPath(entry["Filename"]).name
        cached = self.cache / name if self.cache else None
        if cached and cached.is_file():
            deb = cached.read_bytes()
            if hashlib.sha256(deb).hexdigest() == entry["SHA256"]:
                return deb, f"{package} {entry['Version']} ({source.split()[1]}, cached)"
        deb = fetch(f"{entry['base']}/{entry['Filename']}")
        if hashlib.sha256(deb).hexdigest() != entry["SHA256"]:
            raise SystemExit(f"fonts: {entry['Filename']} does not match its index's SHA-256")
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".part")
            partial.write_bytes(deb)
            partial.replace(cached)
        return deb, f"{package} {entry['Version']} ({source.split()[1]})"


def deb_data(deb: bytes) -> tarfile.TarFile:
    """The data.tar.* member of a .deb (an `ar` archive)."""
    if not deb.startswith(b"!<arch>\n"):
        raise ValueError("not a .deb")
    offset = 8
    while offset < len(deb):
        name = deb[offset : offset + 16].decode().strip().rstrip("/")
        size = int(deb[offset + 48 : offset + 58].decode().strip())
        body = deb[offset + 60 : offset + 60 + size]
        if name.startswith("data.tar"):
            return tarfile.open(fileobj=io.BytesIO(body), mode="r:*")
        offset += 60 + size + size % 2
    raise ValueError("no data.tar in the .deb")


def unpack(deb: bytes, choose: Callable[[PurePosixPath], Path | None]) -> list[Path]:
    """Write each regular file (symlinks followed) of the .deb to where `choose` says; None skips it."""
    data = deb_data(deb)
    members = {PurePosixPath(m.name.lstrip("./")): m for m in data.getmembers()}

    def content(path: PurePosixPath, hops: int = 0) -> bytes | None:
        member = members.get(path)
        if member is None or hops > 8:
            return None
        if member.issym():
            return content(
                PurePosixPath(path.parent, member.linkname)
                if not member.linkname.startswith("/")
                else PurePosixPath(member.linkname.lstrip("/")),
                hops + 1,
            )
        handle = data.extractfile(member) if member.isfile() else None
        return handle.read() if handle else None

    written = []
    for path in members:
        target = choose(path)
        if target is None:
            continue
        body = content(path)
        if body is not None:
            target.write_bytes(body)
            written.append(target)
    return written


# ------------------------------------------------------------------ fontconfig


def fonts_conf(directory: str, cachedir: str) -> str:
    """A self-contained fontconfig configuration (no system fonts) for the fonts in `directory`."""
    fallback = "".join(f"<string>{escape(family)}</string>" for family in FALLBACK)
    ranges = "".join(f"<range><int>{low:#06x}</int><int>{high:#06x}</int></range>" for low, high in ARABIC)
    return f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- Written by layers/pdf/fonts.py: the report fonts, and nothing of the machine's. DejaVu Sans draws
     Latin, Greek and Cyrillic; then Noto Sans for Arabic, Devanagari, Tamil and Thai; Droid Sans Fallback
     for Han, kana and Hangul. On Lambda, panelist.reports.pdf points FONTCONFIG_FILE here. -->
<fontconfig>
  <dir>{escape(directory)}</dir>
  <cachedir>{escape(cachedir)}</cachedir>
  <!-- DejaVu's Arabic is partial and unlike the rest: leave Arabic to Noto Sans Arabic. -->
  <match target="scan">
    <test name="family" compare="contains"><string>DejaVu</string></test>
    <edit name="charset" mode="assign"><minus><name>charset</name><charset>{ranges}</charset></minus></edit>
  </match>
  <alias><family>sans-serif</family><prefer><family>{SANS}</family></prefer></alias>
  <alias><family>serif</family><prefer><family>{SANS}</family></prefer></alias>
  <alias><family>monospace</family><prefer><family>{MONO}</family></prefer></alias>
  <match target="pattern">
    <edit name="family" mode="append"><string>{SANS}</string>{fallback}</edit>
  </match>
</fontconfig>
"""


def _key(directory: str, cachedir: str) -> str:
    """What an installed folder was made from: a rerun with the same key has nothing to do."""
    recipe = {"fonts": FONTS, "packages": FONT_PACKAGES, "conf": fonts_conf(directory, cachedir)}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def install(
    out: Path,
    directory: str | None = None,
    cachedir: str | None = None,
    *,
    licenses: Path | None = None,
    debian: Debian | None = None,
    stamp: bool = True,
) -> bool:
    """Put the fonts and fonts.conf in `out`; the conf names `directory` (default: out) as the fonts' folder.

    With `stamp`, a folder already installed from the same recipe is left alone (False is returned).
    fonts.conf is written last, so its presence means the fonts are all there.
    """
    out.mkdir(parents=True, exist_ok=True)
    directory = directory or str(out.resolve())
    own_cache = cachedir is None  # a fontconfig cache of our own: emptied when the fonts change
    cachedir = cachedir or str(out.resolve().parent / "cache" / "fontconfig")
    key = _key(directory, cachedir)
    stamp_file = out / STAMP
    with open(out / ".lock" if stamp else os.devnull, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent installs (pytest-xdist workers) wait for the first one
        wanted = {name for names in FONTS.values() for name in names}
        present = all((out / name).is_file() for name in [*wanted, "fonts.conf", STAMP])
        if stamp and present and stamp_file.read_text() == key:
            return False
        (out / "fonts.conf").unlink(missing_ok=True)
        for stale in out.iterdir():
            if stale.suffix in (".ttf", ".otf", ".ttc") and stale.name not in wanted:
                stale.unlink()
        debian = debian or Debian()
        for package, sources in FONT_PACKAGES.items():
            deb, what = debian.download(package, sources)
            written = unpack(deb, _chooser(package, out, licenses))
            missing = set(FONTS[package]) - {p.name for p in written}
            if missing:
                raise SystemExit(f"fonts: {package} has no {', '.join(sorted(missing))}")
            log(f"{what}: {len(FONTS[package])} fonts")
        if own_cache:
            shutil.rmtree(cachedir, ignore_errors=True)
        (out / "fonts.conf").write_text(fonts_conf(directory, cachedir))
        if stamp:
            stamp_file.write_text(key)
    return True


def _chooser(package: str, out: Path, licenses: Path | None) -> Callable[[PurePosixPath], Path | None]:
    """Where `unpack` writes a file of `package`: its listed fonts into out, its copyright into licenses."""
    names = set(FONTS[package])
    copyright_path = PurePosixPath("usr/share/doc", package, "copyright")

    def choose(path: PurePosixPath) -> Path | None:
        if path.parts[:2] == ("usr", "share") and path.name in names:
            return out / path.name
        if licenses is not None and path == copyright_path:
            return licenses / f"{package}.copyright"
        return None

    return choose


def main() -> None:
    parser = argparse.ArgumentParser(description="Install the report fonts and their fonts.conf into a folder.")
    parser.add_argument("--out", type=Path, required=True, help="the fonts' folder, e.g. .tools/fonts")
    parser.add_argument(
        "--cache", type=Path, help="where downloaded .deb files are kept (default: <out>/../cache/debian)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    cache = args.cache or args.out.resolve().parent / "cache" / "debian"
    if install(args.out, debian=Debian(cache)):
        log(f"installed in {args.out}/ ({time.perf_counter() - started:.1f}s); FONTCONFIG_FILE={args.out}/fonts.conf")


if __name__ == "__main__":
    main()
