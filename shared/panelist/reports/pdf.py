"""HTML to PDF with WeasyPrint, with one font configuration per process and no resource fetched from anywhere.

The fonts come from the first of: FONTCONFIG_FILE when set; the PDF layer's /opt/fonts/fonts.conf, which
is pointed at here before WeasyPrint initialises fontconfig on import (on Lambda, the layer (layers/pdf)
ships pango, fontconfig and the fonts, and /opt/lib is on the loader's path already); else the machine's
fonts. Locally, `make serve`/`make test`, `panelist serve` and the test suite set FONTCONFIG_FILE to the same
fonts installed in the repository's .tools/fonts (layers/pdf/fonts.py): this library does not know the repo.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

LAYER_FONTCONFIG = Path("/opt/fonts/fonts.conf")
if "FONTCONFIG_FILE" not in os.environ and LAYER_FONTCONFIG.is_file():
    os.environ["FONTCONFIG_FILE"] = str(LAYER_FONTCONFIG)

from weasyprint import HTML  # noqa: E402 - fontconfig reads FONTCONFIG_FILE when WeasyPrint is imported
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402


@cache
def font_config() -> FontConfiguration:
    """Fontconfig's view of the installed fonts, built once per process (building it costs tens of ms)."""
    return FontConfiguration()


@cache
def _fetcher() -> URLFetcher:
    # Reports are self-contained: inline data: URIs at most, never a file, a host or the metadata endpoint.
    return URLFetcher(allowed_protocols=("data",))


def render_pdf(html: str) -> bytes:
    pdf = HTML(string=html, url_fetcher=_fetcher()).write_pdf(font_config=font_config())
    assert isinstance(pdf, bytes)
    return pdf
