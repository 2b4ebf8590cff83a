"""Reading an uploaded CSV: refuse what is not one, detect the encoding and the delimiter."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DELIMITERS = (",", ";", "\t")
_SIGNATURES = {  # magic numbers of files people upload by mistake
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook is one: save it as CSV)",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file (save it as CSV)",
    b"\x1f\x8b": "a gzip archive",
}


@dataclass(frozen=True)
class ParsedFile:
    encoding: str  # "utf-8", "utf-8-sig" or "latin-1"
    delimiter: str
    headers: list[str]
    total_rows: int


def max_bytes() -> int:
    return int(getattr(settings, "LODESTAR_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_bytes(content: bytes) -> None:
    """Refuse empty, oversized and binary files with a message a person can act on."""
    if not content:
        raise ValidationError({"file": "The file is empty (0 bytes)."})
    limit = max_bytes()
    if len(content) > limit:
        raise ValidationError(
            {"file": f"The file is {len(content):,} bytes; the limit is {limit:,} bytes."}
        )
    for magic, kind in _SIGNATURES.items():
        if content.startswith(magic):
            raise ValidationError({"file": f"This is {kind}, not a CSV file."})
    if b"\x00" in content[:65536] or b"\x00" in content[-65536:]:
        raise ValidationError(
            {"file": "This is a binary file (it contains NUL bytes), not a CSV file. "
                     "UTF-16 exports are not supported: save as UTF-8 CSV."}
        )  # fmt: skip


def detect_encoding(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte; the NUL check already refused binaries
    return "utf-8"


def detect_delimiter(sample: str) -> str:
    """The candidate giving the most columns, consistently, over the first lines."""
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter)][:20]
        if len(widths) > 1:
            widths = widths[:-1]  # the sample may cut the last line short
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for w in widths if w == widths[0])
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def decode(content: bytes, encoding: str) -> str:
    return content.decode(encoding)


def _clean_headers(raw: list[str]) -> list[str]:
    headers = [h.strip() for h in raw]
    if not any(headers):
        raise ValidationError({"file": "The first row (the column headers) is empty."})
    headers = [h or f"column_{i + 1}" for i, h in enumerate(headers)]
    seen: set[str] = set()
    for header in headers:
        if header.lower() in seen:
            raise ValidationError(
                {"file": f'The column "{header}" appears twice; rename one of them.'}
            )
        seen.add(header.lower())
    return headers


def parse_file(content: bytes) -> ParsedFile:
    """Validate the bytes and read the header; counts the data rows (cheap next to importing)."""
    check_bytes(content)
    encoding = detect_encoding(content)
    text = decode(content, encoding)
    delimiter = detect_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        headers = _clean_headers(next(reader))
        total = sum(1 for row in reader if any(cell.strip() for cell in row))
    except StopIteration:
        raise ValidationError({"file": "The file has no rows."}) from None
    except csv.Error as exc:
        raise ValidationError({"file": f"This is not a readable CSV file: {exc}."}) from exc
    if total == 0:
        raise ValidationError({"file": "The file has a header row but no data rows."})
    return ParsedFile(encoding=encoding, delimiter=delimiter, headers=headers, total_rows=total)


def iter_rows(content: bytes, *, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row_number, cells) of each non-blank data row; the header is row 1, as in a
    spreadsheet, and blank lines keep their number so the report matches the file."""
    reader = csv.reader(io.StringIO(decode(content, encoding)), delimiter=delimiter)
    next(reader, None)
    for index, row in enumerate(reader, start=2):
        if any(cell.strip() for cell in row):
            yield index, row
