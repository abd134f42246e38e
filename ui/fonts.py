"""The chat's font, shipped and served by the app itself: Be Vietnam Pro (SIL OFL 1.1, ui/static/fonts/).

Gradio's own font lacks glyphs for Vietnamese letters with stacked diacritics in bold (`Bộ`, `Báo` fell back to a
thinner font). Nothing is fetched from the internet: the files are mounted at FONTS_PATH and the page's head
declares them, each subset for its own Unicode range (as the npm package @fontsource/be-vietnam-pro does)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

FONTS_DIR = Path(__file__).resolve().parent / "static" / "fonts"
FONTS_PATH = "/phong-chu"
FONT_FAMILY = "Be Vietnam Pro"
FONT_STACK = (FONT_FAMILY, "ui-sans-serif", "system-ui", "sans-serif")
_FILE_STEM = "be-vietnam-pro"
_WEIGHTS = (400, 500, 600, 700)
_SUBSETS = {
    "vietnamese": "U+0102-0103,U+0110-0111,U+0128-0129,U+0168-0169,U+01A0-01A1,U+01AF-01B0,U+0300-0301,U+0303-0304,"
                  "U+0308-0309,U+0323,U+0329,U+1EA0-1EF9,U+20AB",
    "latin-ext": "U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,U+1D00-1DBF,U+1E00-1E9F,"
                 "U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF",
    "latin": "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,U+20AC,U+2122,"
             "U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD",
}


def _faces() -> list[tuple[str, int, str]]:
    """(style, weight, subset) of every shipped file."""
    return [("normal", w, s) for w in _WEIGHTS for s in _SUBSETS] + [("italic", 400, s) for s in _SUBSETS]


def font_files() -> list[Path]:
    return [FONTS_DIR / f"{_FILE_STEM}-{subset}-{weight}-{style}.woff2" for style, weight, subset in _faces()]


def font_face_css() -> str:
    rules = []
    for style, weight, subset in _faces():
        rules.append(
            f"@font-face{{font-family:'{FONT_FAMILY}';font-style:{style};font-weight:{weight};font-display:swap;"
            f"src:url('{FONTS_PATH}/{_FILE_STEM}-{subset}-{weight}-{style}.woff2') format('woff2');unicode-range:{_SUBSETS[subset]};}}"
        )
    return "\n".join(rules)


def mount_fonts(app: FastAPI) -> None:
    """Serve the font files (before any page is mounted at "/", which would take the path)."""
    app.mount(FONTS_PATH, StaticFiles(directory=FONTS_DIR), name="phong-chu")
