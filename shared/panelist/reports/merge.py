"""Merge PDFs by copying their objects as raw bytes, renumbered, instead of parsing them into Python objects.

pypdf's `PdfWriter.append` parses every object of every part (fonts' /W arrays and all) in pure Python; this
reads each input's cross-reference, takes the objects its pages reach (from object streams too), rewrites
only the indirect references `N G R` outside strings and stream data, and writes one file with a flat page
tree, one outline item per part and a classic cross-reference table. Only small dictionaries (trailers,
catalogs, page tree nodes, stream dictionaries) are parsed.

It is made for WeasyPrint's output. An input it does not handle (encrypted, a hybrid or predictor-encoded
cross-reference, page attributes inherited from the page tree, named destinations, forms, a tagged
structure...) raises `UnsupportedPdf` rather than producing a broken file; the caller can fall back to pypdf.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeAlias


class UnsupportedPdf(ValueError):
    """An input this merger does not handle: a full PDF library (pypdf) has to merge it."""


class _Ref(NamedTuple):
    number: int
    generation: int


# Names are `str` (without the slash), strings their raw bytes with the delimiters, as nothing here decodes them.
_Value: TypeAlias = "int | float | bool | str | bytes | _Ref | list[_Value] | dict[str, _Value] | None"

# PDF 1.7 §7.2.2: white-space and delimiter characters; every other byte is a regular character.
_WS = rb"[\x00\t\n\x0c\r ]"
_NOT_REGULAR = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_REGULAR = rb"[^" + _NOT_REGULAR + rb"]"

# What the reference rewriting stops at: a literal string or a comment (skipped), or a reference `N G R`
# standing as tokens of its own (not the tail of a name like /F12 or of a number like 1.5). Hex strings hold
# only hex digits and white-space (§7.3.4.3), never an R: they need no skipping.
_SCAN = re.compile(
    rb"\(|%[^\r\n]*|(?<!" + _REGULAR + rb")(\d+)" + _WS + rb"+\d+" + _WS + rb"+R(?!" + _REGULAR + rb")",
)
_STRING_CHAR = re.compile(rb"[\\()]")
_TOKEN = re.compile(rb"(?:" + _WS + rb"|%[^\r\n]*)*(<<|>>|\[|\]|\(|<|/" + _REGULAR + rb"*|" + _REGULAR + rb"+)")
_REF_TAIL = re.compile(_WS + rb"+(\d+)" + _WS + rb"+R(?!" + _REGULAR + rb")")
_OBJ_HEADER = re.compile(_WS + rb"*(\d+)" + _WS + rb"+(\d+)" + _WS + rb"+obj(?!" + _REGULAR + rb")")
# §7.3.8.1: the keyword stream is followed by CRLF or LF (not CR alone), then the data.
_STREAM = re.compile(_WS + rb"*stream(?:\r\n|\n)")
_ENDSTREAM = re.compile(_WS + rb"*endstream(?!" + _REGULAR + rb")")
_STARTXREF = re.compile(rb"startxref" + _WS + rb"+(\d+)")
_SUBSECTION = re.compile(_WS + rb"*(\d+) (\d+)" + _WS + rb"*?(?:\r\n|\r|\n)")
_TRAILER = re.compile(_WS + rb"*trailer")
_VERSION = re.compile(rb"%PDF-(\d\.\d)")

# §7.7.3.4: page attributes a page inherits from its ancestors in the page tree. WeasyPrint sets them on
# each page; a merged page would lose those of its old ancestors, so they are refused rather than copied.
_INHERITABLE = ("Resources", "MediaBox", "CropBox", "Rotate")
# Catalog entries the pages depend on (§7.7.2): named destinations of links, forms' fields, the structure
# tree of tagged PDF, optional content. Dropping them with the catalog would break the pages.
_CATALOG_NEEDED = ("Names", "Dests", "AcroForm", "StructTreeRoot", "OCProperties")

_CATALOG, _PAGES, _OUTLINES = 1, 2, 3  # the merged file's own objects; each part's outline item follows


def merge_pdfs(cover: bytes | Callable[[], bytes], parts: Sequence[bytes], titles: Sequence[str]) -> bytes:
    """The cover's pages, then each part's, with a top-level outline item (bookmark) per part.

    `cover` may be a callable returning the cover's PDF: it is called after the parts are read, so a cover
    rendered elsewhere meanwhile is awaited last. Raises `UnsupportedPdf` for an input this does not handle.
    """
    if len(parts) != len(titles):
        raise ValueError(f"{len(parts)} parts but {len(titles)} titles")
    writer = _Writer(first_free=_OUTLINES + 1 + len(parts))
    part_pages = [writer.add(part) for part in parts]
    cover_pages = writer.add(cover() if callable(cover) else cover)
    items = [_OUTLINES + 1 + i for i in range(len(parts))]
    for i, (title, pages) in enumerate(zip(titles, part_pages, strict=True)):
        if not pages:
            raise UnsupportedPdf(f"part {i} has no pages")
        links = b"/Prev %d 0 R" % items[i - 1] if i > 0 else b""
        links += b"/Next %d 0 R" % items[i + 1] if i + 1 < len(items) else b""
        # §12.3.3 (Table 153) outline item; §12.3.2.2 (Table 151) [page /Fit]: the page, fitted in the window.
        writer.put(
            items[i],
            b"<</Title %s/Parent %d 0 R%s/Dest [%d 0 R /Fit]>>" % (_text_string(title), _OUTLINES, links, pages[0]),
        )
    ends = b"/First %d 0 R/Last %d 0 R" % (items[0], items[-1]) if items else b""
    # §12.3.3 (Table 152): /Count is the number of visible items, here every top-level one.
    writer.put(_OUTLINES, b"<</Type /Outlines%s/Count %d>>" % (ends, len(items)))
    kids = b" ".join(b"%d 0 R" % page for page in [*cover_pages, *(page for pages in part_pages for page in pages)])
    writer.put(_PAGES, b"<</Type /Pages/Kids [%s]/Count %d>>" % (kids, len(cover_pages) + sum(map(len, part_pages))))
    writer.put(_CATALOG, b"<</Type /Catalog/Pages %d 0 R/Outlines %d 0 R/PageMode /UseOutlines>>" % (_PAGES, _OUTLINES))
    return writer.finish()


def _text_string(text: str) -> bytes:
    """`text` as a PDF text string (§7.9.2.2): printable ASCII (the same in PDFDocEncoding), else UTF-16BE."""
    if all(" " <= char <= "~" for char in text):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


class _Writer:
    """The merged file being written: objects numbered from `first_free`, below which the caller puts its own."""

    def __init__(self, first_free: int) -> None:
        self.version = b"1.7"
        self.chunks: list[bytes] = []
        self.size = 0
        self.offsets: dict[int, int] = {}
        self.next_number = first_free

    def put(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[number] = self.size
        if stream is None:
            pieces: tuple[bytes, ...] = (b"%d 0 obj\n" % number, body, b"\nendobj\n")
        else:  # §7.3.8.1: an end-of-line marker before endstream, not counted in /Length.
            pieces = (b"%d 0 obj\n" % number, body, b"\nstream\n", stream, b"\nendstream\nendobj\n")
        self.chunks.extend(pieces)
        self.size += sum(map(len, pieces))

    def add(self, data: bytes) -> list[int]:
        """Copy the objects `data`'s pages reach, renumbered; the pages' new numbers, in order."""
        try:
            source = _Source(data)
            pages, nodes = source.page_tree()
            # The old page tree nodes all become the merged root: so the pages' /Parent (§7.7.3.3) points there.
            numbers = dict.fromkeys(nodes, _PAGES)
            queue: list[int] = []

            def renumbered(old: int) -> int:
                new = numbers.get(old)
                if new is None:
                    new = numbers[old] = self.next_number
                    self.next_number += 1
                    queue.append(old)
                return new

            new_pages = [renumbered(page) for page in pages]
            while queue:
                old = queue.pop()
                body, stream = source.raw(old)
                self.put(numbers[old], _renumber(body, renumbered), stream)
        except UnsupportedPdf:
            raise
        except (ValueError, LookupError, TypeError, zlib.error) as error:  # bad numbers, offsets, keys, data
            raise UnsupportedPdf(f"unreadable PDF: {error!r}") from error
        if (match := _VERSION.match(data)) and match[1] > self.version:
            self.version = match[1]
        return new_pages

    def finish(self) -> bytes:
        header = b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % self.version  # §7.5.2: a comment of 4 bytes > 127: binary data
        body = b"".join([header, *self.chunks])
        size = self.next_number
        # §7.5.4: 20-byte entries; object 0 heads the (empty) list of free objects.
        entries = [b"0000000000 65535 f\r\n"]
        entries += [b"%010d 00000 n\r\n" % (len(header) + self.offsets[number]) for number in range(1, size)]
        digest = hashlib.md5(body, usedforsecurity=False).hexdigest().encode("ascii")
        trailer = b"trailer\n<</Size %d/Root %d 0 R/ID [<%s> <%s>]>>\nstartxref\n%d\n%%%%EOF\n" % (
            size,
            _CATALOG,
            digest,
            digest,
            len(body),
        )
        return b"".join([body, b"xref\n0 %d\n" % size, *entries, trailer])


def _renumber(body: bytes, renumbered: Callable[[int], int]) -> bytes:
    """`body` (never stream data) with each reference `N G R` made `renumbered(N) 0 R`; strings untouched."""
    pieces: list[bytes] = []
    start = position = 0
    while (match := _SCAN.search(body, position)) is not None:
        if match[1] is not None:
            # All copied objects get generation 0, as objects in object streams have (§7.5.7).
            pieces += (body[start : match.start()], b"%d 0 R" % renumbered(int(match[1])))
            start = position = match.end()
        elif body[match.start()] == 0x28:  # (
            position = _string_end(body, match.end())
        else:  # a comment, to the end of the line
            position = match.end()
    pieces.append(body[start:])
    return b"".join(pieces)


def _string_end(data: bytes, position: int) -> int:
    """Where the literal string opened just before `position` ends (§7.3.4.2: balanced parentheses, escapes)."""
    depth = 1
    while depth:
        match = _STRING_CHAR.search(data, position)
        if match is None:
            raise UnsupportedPdf("unterminated literal string")
        position = match.end()
        char = data[match.start()]
        if char == 0x5C:  # a backslash escapes the next byte
            position += 1
        else:
            depth += 1 if char == 0x28 else -1
    return position


def _parse(data: bytes, position: int) -> tuple[_Value, int]:
    """The object at `position` (a small one: this builds Python objects) and where it ends."""
    match = _TOKEN.match(data, position)
    if match is None:
        raise UnsupportedPdf(f"no object at {position}")
    token, end = match[1], match.end()
    if token == b"<<":
        entries: dict[str, _Value] = {}
        while True:
            match = _TOKEN.match(data, end)
            if match is None:
                raise UnsupportedPdf(f"unterminated dictionary at {position}")
            if match[1] == b">>":
                return entries, match.end()
            if not match[1].startswith(b"/"):
                raise UnsupportedPdf(f"dictionary key is not a name at {match.start(1)}")
            entries[match[1][1:].decode("latin-1")], end = _parse(data, match.end())
    if token == b"[":
        items: list[_Value] = []
        while True:
            match = _TOKEN.match(data, end)
            if match is None:
                raise UnsupportedPdf(f"unterminated array at {position}")
            if match[1] == b"]":
                return items, match.end()
            item, end = _parse(data, end)
            items.append(item)
    if token == b"(":
        end = _string_end(data, end)
        return data[match.start(1) : end], end
    if token == b"<":
        close = data.index(b">", end) + 1
        return data[match.start(1) : close], close
    if token.startswith(b"/"):
        return token[1:].decode("latin-1"), end
    if token in (b"true", b"false"):
        return token == b"true", end
    if token == b"null":
        return None, end
    if token.isdigit() and (tail := _REF_TAIL.match(data, end)) is not None:
        return _Ref(int(token), int(tail[1])), tail.end()
    try:
        return (int(token) if token.lstrip(b"+-").isdigit() else float(token)), end
    except ValueError:
        raise UnsupportedPdf(f"unexpected token {token[:20]!r} at {match.start(1)}") from None


def _dict(value: _Value, what: str) -> dict[str, _Value]:
    if not isinstance(value, dict):
        raise UnsupportedPdf(f"{what} is not a dictionary")
    return value


def _int(value: _Value, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnsupportedPdf(f"{what} is not an integer")
    return value


def _ints(value: _Value, what: str) -> list[int]:
    if not isinstance(value, list):
        raise UnsupportedPdf(f"{what} is not an array")
    return [_int(item, what) for item in value]


def _ref(value: _Value, what: str) -> int:
    if not isinstance(value, _Ref):
        raise UnsupportedPdf(f"{what} is not an indirect reference")
    return value.number


def _decoded(dictionary: dict[str, _Value], stream: bytes) -> bytes:
    """A stream's data decoded: only FlateDecode without parameters is needed for xref and object streams."""
    filters = dictionary.get("Filter")
    if filters in (None, []):
        return stream
    if filters not in ("FlateDecode", ["FlateDecode"]) or dictionary.get("DecodeParms") is not None:
        raise UnsupportedPdf(f"stream filter {filters!r} with parameters {dictionary.get('DecodeParms')!r}")
    return zlib.decompress(stream)


class _Source:
    """One input PDF: its cross-reference read once, its objects' raw bytes on demand."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        # Object number -> (1, offset, 0) for a top-level object, (2, object stream, index) for a compressed
        # one, (0, 0, 0) for a free one (§7.5.8.3, Table 18); the classic table's entries take the same form.
        self.xref: dict[int, tuple[int, int, int]] = {}
        self.object_streams: dict[int, tuple[bytes, list[int], list[int]]] = {}
        self.trailer = self._read_xref()

    def _read_xref(self) -> dict[str, _Value]:
        """The newest trailer; the cross-reference sections, newest first, fill `xref` (§7.5.6: /Prev)."""
        tail = max(0, len(self.data) - 1024)
        match = _STARTXREF.search(self.data, self.data.rfind(b"startxref", tail))
        if match is None:
            raise UnsupportedPdf("no startxref")
        offset: int | None = int(match[1])
        newest: dict[str, _Value] | None = None
        seen: set[int] = set()
        while offset is not None:
            if offset in seen:
                raise UnsupportedPdf("cross-reference sections loop")
            seen.add(offset)
            if self.data.startswith(b"xref", offset):
                trailer = self._read_table(offset + 4)
            else:
                trailer = self._read_stream(offset)
            if "Encrypt" in trailer:
                raise UnsupportedPdf("encrypted PDF")
            if "XRefStm" in trailer:  # §7.5.8.4: a hybrid file, whose table hides objects from older readers
                raise UnsupportedPdf("hybrid cross-reference")
            newest = newest or trailer
            offset = _int(trailer["Prev"], "/Prev") if "Prev" in trailer else None
        assert newest is not None
        return newest

    def _read_table(self, position: int) -> dict[str, _Value]:
        """A classic cross-reference table (§7.5.4) from `position` (after `xref`), and its trailer."""
        while (match := _SUBSECTION.match(self.data, position)) is not None:
            first, count = int(match[1]), int(match[2])
            position = match.end()
            for number in range(first, first + count):
                entry = self.data[position : position + 20]
                if entry[17:18] not in (b"n", b"f"):
                    raise UnsupportedPdf(f"malformed cross-reference entry {entry!r}")
                self.xref.setdefault(number, (1, int(entry[:10]), 0) if entry[17:18] == b"n" else (0, 0, 0))
                position += 20
        match = _TRAILER.match(self.data, position)
        if match is None:
            raise UnsupportedPdf("no trailer after the cross-reference table")
        return _dict(_parse(self.data, match.end())[0], "trailer")

    def _read_stream(self, offset: int) -> dict[str, _Value]:
        """A cross-reference stream (§7.5.8) at `offset`: its dictionary is also the trailer."""
        body, stream = self._object_at(offset, None)
        trailer = _dict(_parse(body, 0)[0], "cross-reference stream")
        if trailer.get("Type") != "XRef" or stream is None:
            raise UnsupportedPdf(f"no cross-reference at {offset}")
        widths = _ints(trailer["W"], "/W")
        index = _ints(trailer.get("Index", [0, trailer["Size"]]), "/Index")
        table = _decoded(trailer, stream)
        if len(widths) != 3:
            raise UnsupportedPdf(f"/W {widths}")
        if len(table) < sum(widths) * sum(index[1::2]):
            raise UnsupportedPdf("cross-reference stream shorter than its /Index says")
        position = 0
        for first, count in zip(index[::2], index[1::2], strict=True):
            for number in range(first, first + count):
                fields = []
                for width in widths:
                    fields.append(int.from_bytes(table[position : position + width]))
                    position += width
                # Table 17: a type field of width 0 means type 1.
                kind = fields[0] if widths[0] else 1
                # Other types are to be read as references to the null object: not copied, they fail in `raw`.
                if kind in (0, 1, 2):
                    self.xref.setdefault(number, (kind, fields[1], fields[2] if kind == 2 else 0))
        return trailer

    def _object_at(self, offset: int, number: int | None) -> tuple[bytes, bytes | None]:
        """The top-level object at `offset`: its bytes between `obj` and `stream` or `endobj`, and stream data."""
        match = _OBJ_HEADER.match(self.data, offset)
        if match is None or (number is not None and int(match[1]) != number):
            raise UnsupportedPdf(f"object {number} is not at offset {offset}")
        value, end = _parse(self.data, match.end())
        body = self.data[match.end() : end]
        opening = _STREAM.match(self.data, end)
        if opening is None:
            return body, None
        length = _dict(value, "stream dictionary")["Length"]
        if isinstance(length, _Ref):  # §7.3.8.2: /Length may be an indirect object, e.g. written after the data
            length = self.value(length.number)
        start = opening.end()
        stop = start + _int(length, "/Length")
        if _ENDSTREAM.match(self.data, stop) is None:
            raise UnsupportedPdf(f"stream at {offset} does not end after its /Length")
        return body, self.data[start:stop]

    def raw(self, number: int) -> tuple[bytes, bytes | None]:
        """Object `number`'s bytes (a stream's dictionary) and its stream data, if a stream."""
        kind, first, second = self.xref.get(number, (0, 0, 0))
        if kind == 1:
            return self._object_at(first, number)
        if kind == 2:
            data, numbers, offsets = self._object_stream(first)
            if second >= len(numbers) or numbers[second] != number:
                raise UnsupportedPdf(f"object {number} is not in object stream {first}")
            return data[offsets[second] : offsets[second + 1]], None
        raise UnsupportedPdf(f"reference to missing object {number}")

    def _object_stream(self, number: int) -> tuple[bytes, list[int], list[int]]:
        """An object stream decoded (§7.5.7): its data, its objects' numbers and bounds (one more than numbers)."""
        cached = self.object_streams.get(number)
        if cached is None:
            kind, offset, _ = self.xref.get(number, (0, 0, 0))
            if kind != 1:
                raise UnsupportedPdf(f"object stream {number} is not a top-level object")
            body, stream = self._object_at(offset, number)
            dictionary = _dict(_parse(body, 0)[0], "object stream")
            if dictionary.get("Type") != "ObjStm" or stream is None or "Extends" in dictionary:
                raise UnsupportedPdf(f"object {number} is not a self-contained object stream")
            data = _decoded(dictionary, stream)
            count, first = _int(dictionary["N"], "/N"), _int(dictionary["First"], "/First")
            header = [int(field) for field in data[:first].split()]
            if len(header) != 2 * count:
                raise UnsupportedPdf(f"object stream {number} has {len(header)} header fields for /N {count}")
            cached = (data, header[::2], [first + offset for offset in header[1::2]] + [len(data)])
            self.object_streams[number] = cached
        return cached

    def value(self, number: int) -> _Value:
        """Object `number` parsed (a small one)."""
        return _parse(self.raw(number)[0], 0)[0]

    def page_tree(self) -> tuple[list[int], set[int]]:
        """The pages (leaves, in order) and the page tree's inner nodes (§7.7.3)."""
        catalog = _dict(self.value(_ref(self.trailer.get("Root"), "/Root")), "catalog")
        if needed := [key for key in _CATALOG_NEEDED if key in catalog]:
            raise UnsupportedPdf(f"catalog entries the pages need: {needed}")
        pages: list[int] = []
        nodes: set[int] = set()
        seen: set[int] = set()
        stack = [_ref(catalog.get("Pages"), "/Pages")]
        while stack:
            number = stack.pop()
            if number in seen:
                raise UnsupportedPdf(f"page tree loops at object {number}")
            seen.add(number)
            node = _dict(self.value(number), "page tree node")
            if node.get("Type") == "Page":
                pages.append(number)
                continue
            if node.get("Type") != "Pages":
                raise UnsupportedPdf(f"object {number} in the page tree is neither /Page nor /Pages")
            if inherited := [key for key in _INHERITABLE if key in node]:
                raise UnsupportedPdf(f"pages inherit {inherited} from page tree node {number}")
            nodes.add(number)
            kids = node.get("Kids")
            if not isinstance(kids, list):
                raise UnsupportedPdf(f"/Kids of {number} is not an array")
            stack += reversed([_ref(kid, "/Kids item") for kid in kids])
        return pages, nodes
