"""A minimal PDF 1.4 writer for statements: one or more pages of Helvetica text lines.

No PDF library is installed in this environment (reportlab, fpdf are absent), and a statement
is a table of text, so a hand-written writer of ~60 lines is enough: a catalog, a pages tree,
one content stream per page, the standard Helvetica font (no embedding), and an exact xref.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

PAGE_WIDTH: Final = 595  # A4 in points
PAGE_HEIGHT: Final = 842
LINES_PER_PAGE: Final = 60
LEADING: Final = 12


def _escape(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(lines: list[str], *, title: str = "") -> bytes:
    """A PDF with ``lines`` of 9-point Helvetica, ``LINES_PER_PAGE`` per A4 page."""
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for index, page in enumerate(pages):
        content_ref = 5 + 2 * index
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_ref} 0 R >>".encode()
        )
        body = ["BT", "/F1 9 Tf", f"{LEADING} TL", f"40 {PAGE_HEIGHT - 50} Td"]
        body += [f"({_escape(line)}) Tj T*" for line in page]
        body.append("ET")
        stream = "\n".join(body).encode("latin-1")
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    info = f" /Info << /Title ({_escape(title)}) >>" if title else ""
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def statement_pdf(body: dict[str, Any]) -> bytes:
    digits = 2

    def money(minor: int) -> str:  # exact: minor units shifted as a Decimal, never a float
        return f"{Decimal(minor).scaleb(-digits):,.{digits}f}"

    head = [
        f"WhatsApp statement {body['month']} - {body['billing_account']}",
        f"Currency {body['currency']}   Status {body['status']}",
        "",
        (
            f"{'Section':<13}{'Market':<22}{'Category':<30}{'Type':<22}{'Qty':>8}"
            f"{'Rate':>11}{'Exact':>13}{'Amount':>11}"
        ),
    ]
    rows = [
        f"{line['section'][:12]:<13}{(line['market'] or '')[:21]:<22}"
        f"{line['category'][:29]:<30}{(line['pricing_type'] or '')[:21]:<22}"
        f"{line['quantity']:>8}{line['unit_rate']:>11}{line['amount_exact']:>13}"
        f"{money(line['amount']):>11}"
        + (f"  (for {line['original_month']})" if line.get("original_month") else "")
        for line in body["lines"]
    ]
    tail = [
        "",
        f"Total {body['currency']} {money(body['total'])}   (exact {body['total_exact']})",
        f"Pending {body['pending']}   Unrated {body['unrated']}   Free "
        + ", ".join(f"{k} {v}" for k, v in sorted(body["free"].items())),
        "Rate cards: " + ", ".join(body["rate_card_versions"]),
    ]
    return text_pdf(head + rows + tail, title=f"Statement {body['month']}")
