"""Saved article pages: the article's text, title, date and author, without the site around it.

trafilatura finds the main text (it scored best of the libraries measured on Vietnamese news pages:
eval/reports/extraction.md, `python -m qa.bench.extraction`). Around it, what Vietnamese news sites need:
their related-news, comment and share blocks removed first (by class and by headings such as «Tin liên quan»),
dates read day first (trafilatura's date finder may read `05/01/2024` as 1 May), photo credits dropped from
captions, and the lead (sapo) that some sites print above the article body kept."""

from __future__ import annotations

import json
import re

from qa.ingest.formats.dates import DATELINE_RE, iso_date, vietnamese_date
from qa.ingest.formats.document import Document
from qa.language.text import normalize

MIN_ARTICLE_WORDS = 30  # less than this is a listing, an error page or a page of links, not an article

# Class or id fragments of the blocks around an article. A block holding most of the page's text is kept
# whatever its class says (WordPress puts `tag-…` and `category-…` classes on the article itself).
_CHROME_CLASS_RE = re.compile(
    r"related|lien-?quan|tinlienquan|other-?news|tin-?khac|cung-?chuyen-?muc|comment|binh-?luan|y-?kien|"
    r"share|sharing|social|chia-?se|sharedaddy|(?:^|[-_\s])tags?(?:[-_\s]|$)|tu-?khoa|keyword|vote|rating|"
    r"breadcrumb|sidebar|widget|(?:^|[-_\s])ads?(?:[-_\s]|$)|quang-?cao|banner|newsletter|xem-?nhieu|most-?read|"
    r"(?:^|[-_\s])(?:nav|menu|footer|header)(?:[-_\s]|$)|pagination|print|font-?size",
    re.I,
)
_CHROME_HEADING_RE = re.compile(
    r"^(Tin liên quan|Bài viết liên quan|Các tin khác|Tin khác|Tin cùng chuyên mục|Cùng chuyên mục|Đọc tiếp|Đọc thêm|"
    r"Xem thêm|Xem nhiều|Đọc nhiều|Tin mới nhất|Tin mới|Tin nổi bật|Có thể bạn quan tâm|Ý kiến bạn đọc|Bình luận|"
    r"Để lại một bình luận|Gửi bình luận|Chia sẻ|Từ khóa|Thẻ)\b[^.]{0,40}$",
    re.I,
)
_HEADING_TAGS = frozenset(("h2", "h3", "h4", "h5", "h6", "div", "span", "p", "strong", "b"))
_LEAD_CLASS_RE = re.compile(r"sapo|description|lead|summary|chapeau|tom-?tat|intro", re.I)
_DATE_CLASS_RE = re.compile(r"date|time|publish|ngay|cap-?nhat|updated|thoi-?gian|posted", re.I)
_TITLE_CLASS_RE = re.compile(r"(?<!site-)(?:title|tieu-?de|headline)", re.I)
# A photo credit at the end of a caption: `… - Ảnh: MẬU TRƯỜNG`, `… (Ảnh: Phương Thảo)`, `… . Ảnh: TTXVN`.
_CREDIT_RE = re.compile(
    r"(?:^|(?<=[.!?…])\s+|\s*[-–—]\s*|\s*\()\(?(?:Ảnh|Ảnh minh họa|Ảnh minh hoạ|Nguồn ảnh|Ảnh chụp màn hình|Đồ họa|Video|Clip)"
    r"\s*:\s*[^()\n]{1,60}?(?:\)\.?)?\s*$",
    re.I,
)
_SHARE_LINE_RE = re.compile(
    r"^(?:Chia sẻ|Chia sẻ bài viết|Facebook|Zalo|Twitter|Email|In bài|Gửi bài|Lưu|Lưu bài|Sao chép liên kết|Copy link|"
    r"Bình luận|Xem thêm|Đọc tiếp|Từ khóa|Thẻ|Tags?|Theo dõi|Bình chọn|Cỡ chữ)\b",
    re.I,
)


def read_html(data: bytes) -> Document:
    """The article of a saved page; ValueError (Vietnamese) when the page has no article text."""
    import trafilatura
    from trafilatura.metadata import extract_metadata

    tree = trafilatura.load_html(data)
    if tree is None:
        raise ValueError("không đọc được trang HTML")
    meta = extract_metadata(tree, extensive=False)  # its date is not used (read day first below): no long search
    unwrap_layout_tables(tree)
    title = page_title(tree, normalize(meta.title).strip() if meta and meta.title else None)
    date = structured_date(tree) or visible_date(tree)
    chrome = chrome_texts(tree)
    text = trafilatura.extract(tree, favor_precision=True, include_comments=False, include_tables=True,
                               include_images=False, deduplicate=False, output_format="txt") or ""
    lines = clean_lines(normalize(text).splitlines(), title, chrome)
    lead = visible_lead(tree)
    if lead and not any(lead in line for line in lines):
        lines.insert(0, lead)
    if sum(len(line.split()) for line in lines) < MIN_ARTICLE_WORDS:
        raise ValueError("trang không có nội dung bài viết (trang chuyên mục, trang lỗi hoặc chỉ có liên kết)")
    author = normalize(meta.author).strip() if meta and meta.author else None
    if author and author.isupper():
        author = author.title()
    url = meta.url if meta and meta.url and meta.url.startswith(("http://", "https://")) else None
    return Document("\n".join(lines), title, date, author, url)


def _text(element) -> str:
    return " ".join(element.text_content().split())


def unwrap_layout_tables(tree) -> None:
    """Tables used for page layout (older portals: menu in one cell, article in another) become plain blocks, so
    that the article's paragraphs stay paragraphs and the menu cell is a block of its own. A table is a layout
    table when it holds paragraphs, lists or other tables."""
    for table in list(tree.iter("table")):
        if table.find(".//p") is None and table.find(".//table") is None and table.find(".//ul") is None:
            continue
        for element in [table, *table.iter("tbody", "thead", "tfoot", "tr", "td", "th")]:
            element.tag = "div"


def page_title(tree, meta_title: str | None) -> str | None:
    """The headline: the metadata's (og:title, or the <title> less the site's name) when the page shows it as a
    heading; else the page's first `h1`, or an element classed as a title (`tieude`, `news-title`…), when the
    <title> is only the site's name."""
    body = tree.find(".//body")
    if body is None:
        return meta_title
    headings = []
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        marks = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag in ("h1", "h2", "h3") or (_TITLE_CLASS_RE.search(marks) and not _CHROME_CLASS_RE.search(marks)):
            text = normalize(_text(element))
            if 4 <= len(text.split()) <= 40:
                headings.append((element.tag, text))
    if meta_title and any(text == meta_title for _, text in headings):
        return meta_title
    first_h1 = next((text for tag, text in headings if tag == "h1"), None)
    titled = next((text for tag, text in headings if tag not in ("h2", "h3")), None)
    return first_h1 or titled or meta_title


def visible_lead(tree) -> str | None:
    """The lead (sapo) printed between the headline and the article body, which some sites keep outside the
    body's block: a sentence or two in an element classed `sapo`, `description`, `lead`…"""
    elements = [e for e in tree.iter() if isinstance(e.tag, str)]
    headline = next((i for i, e in enumerate(elements) if e.tag == "h1"), None)
    if headline is None:
        return None
    for element in elements[headline + 1 : headline + 40]:
        if element.tag in _HEADING_TAGS and _LEAD_CLASS_RE.search(element.get("class", "")):
            text = normalize(_text(element))
            if len(text.split()) >= 12 and text.endswith((".", "!", "?", "…")):
                return text
    return None


def structured_date(tree) -> str | None:
    """The publication date the page states for machines: meta tags, JSON-LD, `<time datetime>`."""
    for xpath in ('//meta[@property="article:published_time"]/@content', '//meta[@itemprop="datePublished"]/@content',
                  '//meta[@name="pubdate" or @name="publishdate" or @name="date" or @name="DC.date.issued"]/@content',
                  '//*[@itemprop="datePublished"]/@datetime', '//time[contains(@class, "published")]/@datetime'):
        for value in tree.xpath(xpath):
            if found := iso_date(value):
                return found
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            found = _json_ld_date(json.loads(script))
        except (ValueError, RecursionError):
            continue
        if found:
            return found
    for value in tree.xpath("//time/@datetime"):
        if found := iso_date(value):
            return found
    return None


def _json_ld_date(node) -> str | None:
    if isinstance(node, dict):
        if isinstance(node.get("datePublished"), str) and (found := iso_date(node["datePublished"])):
            return found
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            if found := _json_ld_date(item):
                return found
    return None


def visible_date(tree) -> str | None:
    """The date printed with the article, day first: an element whose class says date or time, else a dateline
    right after the headline. Not the site's «today» in its top bar (a class like `today` is not read)."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        marks = f"{element.get('class', '')} {element.get('id', '')} {element.get('data-role', '')}"
        if _DATE_CLASS_RE.search(marks) and not _CHROME_CLASS_RE.search(marks):
            text = normalize(_text(element))
            if len(text) <= 80 and (found := vietnamese_date(text)):
                return found
    headlines = tree.xpath("//h1")
    if headlines:
        for count, element in enumerate(headlines[0].itersiblings()):
            if count > 5:
                break
            text = normalize(_text(element))
            if DATELINE_RE.match(text):
                return vietnamese_date(text)
    return None


def chrome_texts(tree) -> list[str]:
    """The texts of the page's related-news, comment, share, tag and navigation blocks (by class, and by
    headings such as «Tin liên quan»): an extracted line found in one of them is not the article's."""
    body = tree.find(".//body")
    total = len(_text(body)) if body is not None else 0
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body"):
            continue
        marks = f"{element.get('class', '')} {element.get('id', '')}"
        if _CHROME_CLASS_RE.search(marks):
            block = element
        elif element.tag in _HEADING_TAGS and len(element) <= 1 and _CHROME_HEADING_RE.match(_text(element)):
            parent = element.getparent()
            block = parent if parent is not None and parent.tag != "body" else element
        else:
            continue
        text = normalize(_text(block))
        if len(text) < 0.4 * total:  # never the block holding the article (WordPress tags it `tag-…`)
            found.append(text)
    return found


def clean_lines(lines: list[str], title: str | None, chrome: list[str]) -> list[str]:
    """The extracted text's lines without the headline repeated, datelines, lines of the site's blocks,
    share text and photo credits."""
    kept = []
    for raw in lines:
        line = " ".join(raw.split())
        bare = line.removeprefix("- ")  # trafilatura's list items
        if not line or (title and line == title) or DATELINE_RE.match(line) or any(bare in block for block in chrome):
            continue
        if _SHARE_LINE_RE.match(line) and len(line.split()) <= 8 and not line.endswith((".", "?", "!")):
            continue
        line = _CREDIT_RE.sub("", line).strip()
        if line:
            kept.append(line)
    return kept
