"""Real PDFs written by hand, so the tests need no PDF writer: pages of text lines as a typesetter sets
them (one text line per printed line, a paragraph gap as a larger move down), an Info dictionary and,
optionally, an XMP metadata packet."""

from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_content(paragraphs: list[list[str]]) -> bytes:
    ops = ["BT /F1 11 Tf 14 TL 72 740 Td"]
    for number, lines in enumerate(paragraphs):
        if number:
            ops.append("0 -14 Td")  # the gap between paragraphs: one empty line
        ops.extend(f"({_escape(line)}) Tj T*" for line in lines)
    ops.append("ET")
    return " ".join(ops).encode("latin-1")


def make_pdf(
    pages: list[list[list[str]]],
    *,
    info: dict[str, str] | None = None,
    xmp: str | None = None,
) -> bytes:
    """`pages`: each page a list of paragraphs, each paragraph its printed lines."""
    count = len(pages)
    first_page = 3
    font = first_page + 2 * count
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R" + (b" /Metadata %d 0 R" % (font + 2) if xmp else b"") + b" >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(count)), count),
    ]
    for i, paragraphs in enumerate(pages):
        content = _page_content(paragraphs)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (first_page + 2 * i + 1, font)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>")
    entries = " ".join(f"/{key} ({_escape(value)})" for key, value in (info or {}).items())
    objects.append(f"<< {entries} >>".encode("latin-1"))
    if xmp:
        packet = xmp.encode()
        head = b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(packet)
        objects.append(head + packet + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        font + 1,
        xref,
    )
    return bytes(out)


def xmp_packet(**prism: str) -> str:
    """An XMP packet with PRISM fields (publicationDate, coverDate), as publishers write them."""
    fields = "".join(f"<prism:{name}>{value}</prism:{name}>" for name, value in prism.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"<xmp:CreateDate>2025-01-09T10:00:00Z</xmp:CreateDate>{fields}"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
