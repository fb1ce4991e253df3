"""Prune Babel's CLDR data to the report languages: `python prune_babel.py <.../babel/locale-data>`.

Babel's locale-data/ is ~32 MB (one pickle per CLDR locale) and the shared layer is size-limited. Reports only
format dates and numbers in the 34 languages of panelist/reports/i18n.py (`LANGUAGES`, the single list), so this
keeps root.dat plus each language's locale and the locales it inherits from (pt_BR -> pt -> root,
zh_Hans_CN -> zh_Hans -> zh -> root, nb -> no -> root), as Babel itself resolves them, and deletes the rest.

The Babel used to resolve the chains is the one that owns the directory (the layer's, `<dir>/../..` on sys.path),
pointed at the directory, so the chains are those of the Babel that ships.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

I18N = Path(__file__).resolve().parent / "panelist" / "reports" / "i18n.py"


def _i18n() -> ModuleType:
    """panelist/reports/i18n.py alone (it needs only Babel and the standard library, not panelist's dependencies)."""
    spec = importlib.util.spec_from_file_location("_panelist_report_i18n", I18N)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building the class
    spec.loader.exec_module(module)
    return module


def needed(locale_data: Path) -> set[str]:
    """The locale-data names (without .dat) that loading every report language opens."""
    sys.path.insert(0, str(locale_data.resolve().parent.parent))
    from babel import localedata

    localedata._dirname = str(locale_data)  # where babel reads its .dat files
    localedata._cache.clear()
    opened: set[str] = set()
    resolve = localedata.resolve_locale_filename

    def record(name: str) -> str:
        opened.add(Path(name).name)
        return resolve(name)

    localedata.resolve_locale_filename = record  # type: ignore[assignment]
    try:
        for lang in _i18n().LANGUAGES.values():
            localedata.load(lang.locale)
    finally:
        localedata.resolve_locale_filename = resolve
    return opened | {"root"}


def size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.iterdir() if path.is_file())


def prune(locale_data: Path) -> tuple[int, int, list[str]]:
    """Delete the .dat files no report language needs; (bytes before, bytes after, the kept names)."""
    keep = needed(locale_data)
    before = size(locale_data)
    for path in locale_data.glob("*.dat"):
        if path.stem not in keep:
            path.unlink()
    missing = sorted(name for name in keep if not (locale_data / f"{name}.dat").exists())
    if missing:
        raise SystemExit(f"prune_babel: locale data missing for {', '.join(missing)}")
    return before, size(locale_data), sorted(keep)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        raise SystemExit("usage: prune_babel.py <path to babel/locale-data>")
    before, after, kept = prune(Path(argv[1]))
    print(
        f"babel locale-data: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB, {len(kept)} locales kept: {' '.join(kept)}"
    )


if __name__ == "__main__":
    main(sys.argv)
