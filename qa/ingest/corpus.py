"""Articles: reading `.txt` / `.md` / `.jsonl` files (and, through qa.ingest.formats, saved web pages, PDF and
Word files) and cleaning scraped text."""

from __future__ import annotations

import errno
import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest.formats.dates import iso_day
from qa.ingest.validity import bad_name_warning, check_record, valid_name
from qa.language.text import normalize

ARTICLE_SUFFIXES = (".txt", ".md", ".jsonl", ".html", ".htm", ".pdf", ".docx")
DOCUMENT_SUFFIXES = (".html", ".htm", ".pdf", ".docx")  # read by qa.ingest.formats
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    text: str  # NFC of the cleaned original: what passages and offsets point into
    url: str | None = None
    date: str | None = None  # publication date, YYYY-MM-DD
    byline: str | None = None
    source: str = ""  # the file it was read from (and line, for JSONL)

    def content_hash(self) -> str:
        fields = asdict(self)
        fields.pop("source")
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    def text_hash(self) -> str:
        """The body text alone, whitespace-insensitive: one text under two names or titles is one article."""
        return hashlib.sha256(" ".join(self.text.split()).encode()).hexdigest()


# --- dates -----------------------------------------------------------------

_DMY = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
_PUBLISHED_RE = re.compile(r"^\s*Ngày\s+(?:đăng|xuất bản|cập nhật)\s*:?\s*" + _DMY, re.I)
_WEEKDAY = r"(?:Thứ\s+(?:hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|Chủ\s+nhật)"
# `Thứ sáu, 05/01/2024 - 17:37`: a dated line of the article itself.
_DATELINE_RE = re.compile(r"^\s*(?:" + _WEEKDAY + r"\s*,?\s*)?" + _DMY + r"(?:\s*[-,|]?\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*$", re.I)
# `Thứ bảy Ngày 20 Tháng 04 Năm 2024, 12:52:37`: the page header of the scrape, not a publication date.
_PAGE_HEADER_RE = re.compile(
    r"^\s*" + _WEEKDAY + r",?\s+ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}(?:\s*,?\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*$", re.I
)
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def _iso(day: str, month: str, year: str) -> str | None:
    return iso_day(year, month, day)


def parse_date(value: str) -> str | None:
    """`07/04/2021`, `2021-04-07`, `Ngày đăng: 07/04/2021` -> `2021-04-07`; None without a year."""
    iso = _ISO_RE.match(value)
    if iso:
        return _iso(iso.group(3), iso.group(2), iso.group(1))
    match = re.search(_DMY, value)
    return _iso(*match.groups()) if match else None


# --- scraped text ----------------------------------------------------------

_BOILERPLATE = (
    re.compile(r"^Trả lời$", re.I),
    re.compile(r"^Thư điện tử của bạn sẽ không được hiển thị công khai\.?$", re.I),
    re.compile(r"^Tìm kiếm theo\s*:", re.I),
    re.compile(r"^(Chia sẻ|In bài|Bình luận|Gửi bình luận|Quay lại|Về đầu trang)$", re.I),
    re.compile(r"^[\W_]+$"),  # lone punctuation
)
_END_OF_ARTICLE_RE = re.compile(r"^(Các tin khác|Tin liên quan|Tin cùng chuyên mục|Bài viết liên quan)\s*:?$", re.I)
_SOURCE_URL_RE = re.compile(r"^(?:Nguồn[^:]*:\s*)?(https?://\S+)$", re.I)
_BYLINE_PREFIX_RE = re.compile(r"^(Tin,? ảnh|Tin và ảnh|Bài,? ảnh|Bài và ảnh|Tin|Bài|Ảnh|Theo)\s*:\s*(?=\S)", re.I)
_LEAD_PREFIX_RE = re.compile(
    r"^(?:\([^)]{1,40}\)\s*[-–—:]\s*)?(?:(?:Sáng|Chiều|Tối|Trưa|Đêm|Ngày)\s+(?:nay\s*)?[\d/.-]+\s*,\s*)?", re.I
)
_HEADER_KEY_RE = re.compile(r"^(title|url|date)\s*:\s*(.*)$", re.I)
_TITLE_MAX_CHARS = 120


def _is_byline(line: str) -> bool:
    if _BYLINE_PREFIX_RE.match(line):
        return True
    if line.endswith((".", ":", ";", "!", "?")):
        return False
    words = re.sub(r"\([^)]*\)", " ", line).split()
    return 1 <= len(words) <= 5 and all(w[:1].isupper() for w in words)


def _is_headline(line: str) -> bool:
    return (
        len(line) <= 160
        and len(line.split()) <= 30
        and not line.endswith((".", ";", ":"))
        and not line.startswith("(")
        and line[:1].isupper()
    )


def derive_title(text: str) -> str:
    """A title out of the first sentence: lead markers like `(QK7 Online) - Chiều 25/11,` dropped."""
    from qa.language.text import sentence_spans

    spans = sentence_spans(text)
    first = text[spans[0][0] : spans[0][1]] if spans else text
    first = _LEAD_PREFIX_RE.sub("", first.strip()).rstrip(".")
    first = first[:1].upper() + first[1:]
    if len(first) > _TITLE_MAX_CHARS:
        first = first[:_TITLE_MAX_CHARS].rsplit(" ", 1)[0] + "…"
    return first


def clean_scraped(doc_id: str, raw: str, source: str = "", header: dict[str, str] | None = None) -> Article:
    """Article out of scraped plain text: title, date, url and byline as metadata,
    site boilerplate removed, one paragraph per kept line."""
    header = header or {}
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in normalize(raw).splitlines()]
    lines = [line for line in lines if line]
    published: str | None = None
    dateline: str | None = None
    url: str | None = header.get("url") or None
    kept: list[str] = []
    for line in lines:
        if _END_OF_ARTICLE_RE.match(line):
            break
        if any(p.match(line) for p in _BOILERPLATE) or _PAGE_HEADER_RE.match(line):
            continue
        if m := _PUBLISHED_RE.match(line):
            published = published or _iso(*m.groups())
            continue
        if _DATELINE_RE.match(line):
            dateline = dateline or parse_date(line)
            continue
        if m := _SOURCE_URL_RE.match(line):
            url = url or m.group(1)
            continue
        if kept and line == kept[-1]:  # a photo caption repeated twice in a row
            continue
        kept.append(line)
    byline = None
    if len(kept) > 1 and _is_byline(kept[-1]):
        byline = _BYLINE_PREFIX_RE.sub("", kept.pop()).strip() or None
    title = header.get("title") or ""
    if not title and kept and len(kept) > 1 and _is_headline(kept[0].lstrip("# ")):
        title = kept.pop(0).lstrip("# ").strip()
    text = "\n\n".join(kept)
    if not text.strip():
        raise ValueError("không còn nội dung bài viết sau khi làm sạch")
    date = parse_date(header["date"]) if header.get("date") else (published or dateline)
    return Article(doc_id, normalize(title) or derive_title(text), text, url, date, byline, source)


def _split_header(raw: str) -> tuple[dict[str, str], str]:
    """Optional `title:` / `url:` / `date:` lines before a blank line."""
    lines = raw.lstrip("\ufeff").split("\n")
    header: dict[str, str] = {}
    for i, line in enumerate(lines):
        if not line.strip():
            if header:
                return header, "\n".join(lines[i + 1 :])
            break
        m = _HEADER_KEY_RE.match(line.strip())
        if not m:
            break
        header[m.group(1).lower()] = m.group(2).strip()
    return {}, raw.lstrip("\ufeff")


def structured_article(record: dict, source: str) -> Article:
    """A JSONL record is already structured: normalized, not cleaned like scraped text.
    A `title` key (even empty, as for SQuAD contexts) is taken as it is; without one it is derived."""
    text = "\n".join(line.rstrip() for line in normalize(record["text"]).replace("\r\n", "\n").split("\n")).strip()
    if not text:
        raise ValueError("văn bản trống")
    title = normalize(str(record["title"])).strip() if record.get("title") is not None else derive_title(text)
    date = parse_date(str(record["date"])) if record.get("date") else None
    url = str(record["url"]).strip() if record.get("url") else None
    return Article(normalize(record["id"].strip()), title, text, url, date,
                   str(record["byline"]) if record.get("byline") else None, source)


# Byte-order marks, longest first (a UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
)


def decode_bytes(data: bytes) -> str:
    """Text of a file's bytes: UTF-8, or UTF-8/16/32 with a byte-order mark. ValueError (Vietnamese) otherwise."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, data = name, data[len(bom):]
            break
    if encoding == "utf-8" and b"\x00" in data:
        raise ValueError("tệp nhị phân (có byte NUL), không phải văn bản")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(f"không phải {encoding.upper()} hợp lệ ({_REASONS.get(exc.reason, exc.reason)} ở byte {exc.start}): "
                         "hãy mở tệp trong trình soạn thảo và lưu lại với mã hóa UTF-8") from None
    if not text.strip():
        raise ValueError("tệp rỗng")
    if "\x00" in text:
        raise ValueError("tệp nhị phân (có ký tự NUL), không phải văn bản")
    return text


_REASONS = {"invalid start byte": "byte mở đầu sai", "invalid continuation byte": "byte tiếp nối sai",
            "unexpected end of data": "hết dữ liệu giữa chừng", "truncated data": "dữ liệu bị cắt",
            "illegal encoding": "mã hóa sai", "illegal UTF-16 surrogate": "cặp thay thế UTF-16 sai"}


def _decode(path: Path) -> str:
    size = path.stat().st_size  # before reading: a huge file is refused without being read
    if size > MAX_FILE_BYTES:
        raise ValueError(f"tệp {size / 1048576:.0f} MiB, lớn hơn giới hạn {MAX_FILE_BYTES // 1048576} MiB")
    if size == 0:
        raise ValueError("tệp rỗng")
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"tệp lớn hơn giới hạn {MAX_FILE_BYTES // 1048576} MiB")
    return decode_bytes(data)


def article_id(path: Path) -> str:
    """A text file's article id: its name without the suffix, in NFC (an NFD name gives the same id)."""
    return normalize(path.stem)


def read_text_file(path: Path) -> Article:
    header, body = _split_header(_decode(path).replace("\r\n", "\n").replace("\r", "\n"))
    return clean_scraped(article_id(path), body, str(path), header)


def read_document_file(path: Path, suffix: str | None = None) -> Article:
    """A saved web page, PDF or Word file: its reader gives the text and what the file says of title, date and
    author; the text is then cleaned as scraped text is (so one article saved as a page and as `.txt` has one text)."""
    from qa.ingest.formats import read_document  # lazily: lxml, trafilatura, pypdf only when such a file is read

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"tệp {size / 1048576:.0f} MiB, lớn hơn giới hạn {MAX_FILE_BYTES // 1048576} MiB")
    if size == 0:
        raise ValueError("tệp rỗng")
    document = read_document(suffix or path.suffix.lower(), path.read_bytes())
    header = {"title": document.title or "", "date": document.date or "", "url": document.url or ""}
    article = clean_scraped(article_id(path), document.text, str(path), header)
    return replace(article, byline=document.author or article.byline) if document.author else article


def read_article_file(path: Path, suffix: str | None = None) -> Article:
    """The one article of a `.txt`, `.md`, page, PDF or Word file (by `suffix`, the path's own by default: an
    upload's temporary file may lack it); ValueError (Vietnamese) when it has none."""
    suffix = (suffix or path.suffix).lower()
    if suffix in DOCUMENT_SUFFIXES:
        return read_document_file(path, suffix)
    return read_text_file(path)


def read_jsonl_file(path: Path) -> tuple[list[Article], list[str]]:
    """Articles of a JSONL file, and a (Vietnamese) warning per line that cannot be read."""
    articles, warnings = [], []
    for number, line in enumerate(_decode(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            articles.append(jsonl_article(line, f"{path}:{number}"))
        except ValueError as exc:
            warnings.append(f"bỏ qua {path}:{number}: {exc}")
    return articles, warnings


def jsonl_article(line: str, source: str) -> Article:
    """The article of one JSONL line; ValueError with a Vietnamese reason."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSON không hợp lệ ở cột {exc.colno}") from None
    if not isinstance(record, dict):
        raise ValueError("không phải một đối tượng JSON")
    doc_id, text = record.get("id"), record.get("text")
    if not isinstance(doc_id, str) or not doc_id.strip() or not isinstance(text, str):
        raise ValueError('cần các trường chuỗi "id" và "text"')
    check_record(record)
    return structured_article(record, source)


_OS_REASONS = {errno.ENOENT: "không có tệp này", errno.EACCES: "không có quyền đọc", errno.EPERM: "không có quyền đọc",
               errno.EISDIR: "là một thư mục", errno.EIO: "lỗi đọc đĩa", errno.ENAMETOOLONG: "tên quá dài"}


def os_error_reason(exc: OSError) -> str:
    """An OSError's reason in Vietnamese (the system's English text for the rare others)."""
    return _OS_REASONS.get(exc.errno, exc.strerror or type(exc).__name__)


def read_articles(path: Path) -> tuple[list[Article], list[str]]:
    """The articles of one corpus file and warnings (Vietnamese, naming the file) for what was skipped.

    Never raises for a bad file: an unreadable one gives no article and one warning."""
    try:
        if path.suffix.lower() == ".jsonl":
            return read_jsonl_file(path)
        return [read_article_file(path)], []
    except (ValueError, OSError) as exc:
        reason = os_error_reason(exc) if isinstance(exc, OSError) else str(exc)
        return [], [f"bỏ qua {path}: {reason}"]


def corpus_files(folder: Path, bad_names: list[str] | None = None) -> list[Path]:
    """The article files under `folder` (no hidden ones); a name that is not UTF-8 is left out (and added to
    `bad_names` as a warning): it could not be written into the index."""
    found = []
    for p in folder.rglob("*"):
        if p.suffix.lower() not in ARTICLE_SUFFIXES or any(part.startswith(".") for part in p.parts[len(folder.parts):]):
            continue
        if not valid_name(str(p)):
            if bad_names is not None and p.is_file():
                bad_names.append(bad_name_warning(str(p)))
            continue
        if p.is_file():
            found.append(p)
    return sorted(found)


def visible_name(source: str) -> str:
    """A file name as a person can tell it apart: non-ASCII characters as code points when the
    name is not in NFC (an NFD `hòa.txt` looks exactly like the NFC one)."""
    if unicodedata.normalize("NFC", source) == source:
        return source
    return source.encode("ascii", "backslashreplace").decode("ascii") + " (tên dạng NFD)"


def id_collision_message(doc_id: str, first: str, second: str) -> str:
    """Two sources claim one article id: name both so that the user can tell them apart."""
    message = f"mã bài «{doc_id}» bị hai nguồn cùng dùng: {visible_name(first)} và {visible_name(second)}"
    if first != second and normalize(first) == normalize(second):
        message += " (hai tên tệp chỉ khác nhau ở cách mã hóa Unicode NFC/NFD: hãy xóa hoặc đổi tên một tệp)"
    else:
        message += ": hãy đổi tên hoặc đổi id một bên"
    return message


def load_corpus(folders: list[Path]) -> tuple[list[Article], list[str]]:
    """All articles under `folders`, and warnings for what was skipped (not logged here: the caller shows them once).

    Raises CorpusError when two sources claim one article id."""
    articles: dict[str, Article] = {}
    warnings: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            raise CorpusError(f"không thấy thư mục bài viết {folder}")
        for path in corpus_files(folder, warnings):
            found, skipped = read_articles(path)
            warnings.extend(skipped)
            for article in found:
                if article.doc_id in articles:
                    raise CorpusError(id_collision_message(article.doc_id, articles[article.doc_id].source, article.source))
                articles[article.doc_id] = article
    return sorted(articles.values(), key=lambda a: a.doc_id), warnings
