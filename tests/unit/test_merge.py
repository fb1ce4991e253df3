"""Merging PDFs as raw bytes: the cover's pages then each part's, an outline item per part, nothing else changed."""

import io
import shutil
import subprocess
from functools import cache

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject

from panelist.reports import pipeline
from panelist.reports.merge import UnsupportedPdf, _renumber, merge_pdfs
from panelist.reports.pdf import render_pdf

TRICKY = r"Room 1 0 R (x) \ 2 0 R"
TITLES = ["First (1 0 R) \\ result", "Zweite Prüfung", "第三 نتيجة"]


@cache
def documents() -> tuple[bytes, list[bytes]]:
    cover = render_pdf("<h1>Cover</h1><p>Three results</p>")
    long = render_pdf(
        f"<html><head><title>{TRICKY}</title></head><body><h1>{TRICKY}</h1><p><b>Bold</b> one</p>"
        '<p style="page-break-before: always">two</p><p style="page-break-before: always">three</p></body></html>'
    )
    linked = render_pdf('<p>See <a href="https://example.com/x">the site</a></p>')
    scripts = render_pdf("<p>مرحبا بالعالم</p><p>你好 世界</p>")
    return cover, [long, linked, scripts]


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf), strict=True)


def _texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in _reader(pdf).pages]


def test_pages_follow_the_cover_in_order_with_their_text():
    cover, parts = documents()
    merged = merge_pdfs(cover, parts, TITLES)
    expected = [text for pdf in (cover, *parts) for text in _texts(pdf)]
    assert [len(_reader(part).pages) for part in parts] == [3, 1, 1]
    assert _texts(merged) == expected
    assert TRICKY in expected[1]


def test_each_part_has_an_outline_item_at_its_first_page():
    cover, parts = documents()
    reader = _reader(merge_pdfs(cover, parts, TITLES))
    assert [item.title for item in reader.outline] == TITLES
    assert [reader.get_destination_page_number(item) for item in reader.outline] == [1, 4, 5]
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_links_survive():
    cover, parts = documents()
    reader = _reader(merge_pdfs(cover, parts, TITLES))
    annotations = [annotation.get_object() for annotation in reader.pages[4]["/Annots"]]
    assert [annotation["/A"]["/URI"] for annotation in annotations] == ["https://example.com/x"]


def test_the_result_is_well_formed():
    cover, parts = documents()
    merged = merge_pdfs(cover, parts, TITLES)
    reader = _reader(merged)
    for page in reader.pages:
        assert page["/Parent"].get_object()["/Type"] == "/Pages"
        assert page.mediabox.width > 0
    out = io.BytesIO()
    PdfWriter(clone_from=reader).write(out)
    assert len(_reader(out.getvalue()).pages) == 6
    # Its own output (a classic cross-reference table, no object streams) merges again.
    assert _texts(merge_pdfs(merged, [merged], ["Again"])) == _texts(merged) * 2


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils not installed")
def test_poppler_reads_it(tmp_path):
    cover, parts = documents()
    path = tmp_path / "merged.pdf"
    path.write_bytes(merge_pdfs(cover, parts, TITLES))
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True)
    assert "Pages:           6" in info.stdout
    assert not info.stderr
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True)
    for expected in ("你好", "the site", TRICKY):
        assert expected in text.stdout


def test_a_classic_cross_reference_table_is_read():
    cover, parts = documents()
    out = io.BytesIO()
    PdfWriter(clone_from=_reader(parts[0])).write(out)  # pypdf writes a classic table, no object streams
    assert _texts(merge_pdfs(cover, [out.getvalue()], ["pypdf"])) == _texts(cover) + _texts(parts[0])


def test_references_are_renumbered_outside_strings_only():
    body = rb"<</A 1 0 R/B [2 0 R 10 5 R]/F12 3 0 R/S (x 1 0 R \) (2 0 R) \\)/H <AB>/N 1.5 0 R%c 1 0 R"
    body += b"\n/C 4 0 R>>"
    expected = rb"<</A 101 0 R/B [102 0 R 110 0 R]/F12 103 0 R/S (x 1 0 R \) (2 0 R) \\)/H <AB>/N 1.5 0 R%c 1 0 R"
    assert _renumber(body, lambda number: number + 100) == expected + b"\n/C 104 0 R>>"


def test_unsupported_inputs_raise():
    cover, parts = documents()
    anchored = render_pdf('<p><a href="#end">to the end</a></p><h1 id="end">End</h1>')  # a named destination
    with pytest.raises(UnsupportedPdf, match="Names"):
        merge_pdfs(cover, [anchored], ["Anchored"])
    with pytest.raises(UnsupportedPdf):
        merge_pdfs(cover, [parts[0][:-200]], ["Cut"])
    with pytest.raises(UnsupportedPdf):
        merge_pdfs(b"not a PDF", parts, TITLES)
    writer = PdfWriter(clone_from=_reader(parts[1]))
    writer.pages[0]["/Parent"].get_object()[NameObject("/Rotate")] = NumberObject(90)  # inherited by the page
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(UnsupportedPdf, match="inherit"):
        merge_pdfs(cover, [out.getvalue()], ["Rotated"])


def test_the_pipeline_falls_back_to_pypdf_for_what_it_does_not_handle():
    cover, parts = documents()
    anchored = render_pdf('<p><a href="#end">to the end</a></p><h1 id="end">End</h1>')
    calls = []

    def cover_once() -> bytes:
        calls.append(1)
        return cover

    merged = pipeline.merged(cover_once, [parts[1], anchored], ["Linked", "Anchored"])
    reader = _reader(merged)
    assert [item.title for item in reader.outline] == ["Linked", "Anchored"]
    assert len(reader.pages) == 3
    assert calls == [1]
    assert pipeline.merged(cover_once, parts, TITLES) != merged
