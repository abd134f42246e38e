"""Vietnamese PDF and Word files made on the spot, for the format tests and the extraction benchmark.

The PDFs are typeset with the chat's own font (Be Vietnam Pro, ui/static/fonts, woff2 subsets turned into TrueType
here), so their text layer carries real Vietnamese: composed characters, or, with `decomposed=True`, vowels followed by
combining tone marks, as some PDF producers write them. Needs the dev extras (fpdf2, fonttools
with brotli)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

FONTS = Path(__file__).resolve().parents[2] / "ui" / "static" / "fonts"
SUBSETS = ("latin", "vietnamese", "latin-ext")  # the first is the main font, the others fill in its missing glyphs


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def combining_tones(text: str) -> str:
    """Tone marks as combining characters after the vowel (`ễ` -> `ê` + U+0303), as «Unicode tổ hợp» keyboards
    and some PDF producers write Vietnamese; the vowel's own mark (â ê ô ơ ư ă) stays composed."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES)) + tones)
    return "".join(out)


def truetype_fonts(folder: Path, weight: int = 400) -> list[Path]:
    """The font's subsets as .ttf files in `folder` (fpdf2 reads TrueType, not woff2)."""
    from fontTools.ttLib import TTFont

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for subset in SUBSETS:
        target = folder / f"be-vietnam-pro-{subset}-{weight}.ttf"
        if not target.exists():
            font = TTFont(FONTS / f"be-vietnam-pro-{subset}-{weight}-normal.woff2")
            font.flavor = None
            font.save(target)
        paths.append(target)
    return paths


def write_pdf(path: Path, paragraphs: list[str], *, title: str | None = None, heading: str | None = None,
              decomposed: bool = False, fonts: Path | None = None) -> Path:
    """A one-article PDF: `heading` in bold on top, then the paragraphs; `title` goes into the metadata."""
    from fpdf import FPDF

    fonts = fonts or path.parent / ".fonts"
    form = combining_tones if decomposed else (lambda t: unicodedata.normalize("NFC", t))
    pdf = FPDF(format="A4")
    names = []
    for weight, style in ((400, ""), (700, "B")):
        for subset, ttf in zip(SUBSETS, truetype_fonts(fonts, weight)):
            pdf.add_font(f"bvp-{subset}", style, str(ttf))
            names.append(f"bvp-{subset}")
    pdf.set_fallback_fonts([f"bvp-{s}" for s in SUBSETS[1:]])
    if title:
        pdf.set_title(title)
    pdf.add_page()
    if heading:
        pdf.set_font("bvp-latin", "B", 16)
        pdf.multi_cell(0, 9, form(heading))
        pdf.ln(3)
    pdf.set_font("bvp-latin", "", 11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, form(paragraph))
        pdf.ln(3)
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF that is only a picture of a page (a scan): no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 800), "white")
    draw = ImageDraw.Draw(image)
    for row in range(20):
        draw.rectangle((40, 60 + row * 34, 560, 72 + row * 34), fill="gray")
    png = path.with_suffix(".png")
    image.save(png)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=190)
    pdf.output(str(path))
    png.unlink()
    return path


def write_docx(path: Path, paragraphs: list[str], *, heading: str | None = None, title: str | None = None) -> Path:
    """A Word file: the heading as Word's «Heading 1» (or `title` in its properties), then the paragraphs."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    if heading:
        document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path
