"""The question, made once at the edge (CLI, chat, API, evaluation) and read by retrieval and answering.

`make_question` validates what the user gave (the question, k, mode, dates), restores diacritics when the
question was typed without them, types it (who / when / how many ...) and extracts its constraints; its
vector is computed the first time a dense channel or the answerer asks for it. Nothing downstream
derives any of this again."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from qa.errors import QuestionError
from qa.ingest.validity import unicode_problem
from qa.language.text import fold_diacritics, has_diacritics, normalize, unify_tones
from qa.search.constraints import Constraint, extract
from qa.settings import MODES, Settings


@dataclass(frozen=True)
class Question:
    text: str  # as asked (normalized, stripped); BM25 reads it so, its folded twin matches unaccented text
    understood: str  # with diacritics restored when it was typed without any; == text otherwise
    kind: str | None  # what it asks for: "who", "when", "count", ... (None: anything)
    constraints: tuple[Constraint, ...]  # years, numbers, documents, names it pins down
    k: int | None = None  # sources asked for (None: the settings' default)
    mode: str | None = None  # hybrid | dense | bm25 (None: the settings' default)
    since: str | None = None  # ISO dates bounding the articles' publication
    until: str | None = None
    embed: Callable[[str], np.ndarray] | None = field(default=None, repr=False, compare=False)
    # doc_id -> how the article stands against the constraints, filled by the first stage that checks it
    checked: dict = field(default_factory=dict, repr=False, compare=False)
    # A follow-up rewritten from the conversation (qa.answer.rewrite): `text` is then the self-contained question,
    # `asked` what was typed, `reference` what was resolved (person, event, document, year, entity, ellipsis),
    # `prior_docs` the articles the previous answer came from, which retrieval prefers.
    asked: str | None = None
    reference: str | None = None
    prior_docs: tuple[str, ...] = ()

    @property
    def vector(self) -> np.ndarray | None:
        """The embedding of `understood`, computed on first use (a BM25-only question never pays for it).

        Not a functools.cached_property: before Python 3.12 that holds one lock for all instances while it computes,
        so every question waited for the embedding of whichever long question was being embedded."""
        try:
            return self.__dict__["_vector"]
        except KeyError:
            vector = self.embed(self.understood) if self.embed is not None else None
            self.__dict__["_vector"] = vector  # frozen dataclass: its own cache slot, as cached_property would write
            return vector

    @property
    def restored(self) -> bool:
        return self.understood != self.text

    @property
    def rewritten(self) -> bool:
        return self.asked is not None and self.asked != self.text


def make_question(text: str, settings: Settings, *, k=None, mode: str | None = None, since: str | None = None,
                  until: str | None = None, restore: Callable[[str], str] | None = None,
                  embed: Callable[[str], np.ndarray] | None = None, asked: str | None = None, reference: str | None = None,
                  prior_docs: tuple[str, ...] = (), count_tokens: Callable[[str], int] | None = None) -> Question:
    """The one place a question is checked and prepared; QuestionError (Vietnamese) when it cannot be asked.
    `count_tokens`: the embedder's token count, for the token limit."""
    text = clean_question(text, settings.max_question_chars)
    if count_tokens is not None:
        check_tokens(text, count_tokens, settings.max_question_tokens)
    mode = check_mode(mode or None)
    k = check_k(k, settings.max_k)
    since, until = check_date(since, "Từ ngày"), check_date(until, "Đến ngày")
    check_range(since, until)
    understood = text
    if restore is not None and not has_diacritics(text) and any(ch.isalpha() for ch in text):
        understood = restore(text)
    return Question(text, understood, question_type(understood), extract(understood), k, mode, since, until, embed,
                    asked=asked, reference=reference, prior_docs=tuple(prior_docs))


def clean_question(question: str, max_chars: int) -> str:
    if question is not None and not isinstance(question, str):
        raise QuestionError("Câu hỏi phải là một đoạn văn bản (chuỗi ký tự).")
    if question and (problem := unicode_problem(question)):
        raise QuestionError(f"Câu hỏi có {problem}: hãy gõ lại câu hỏi.")
    question = normalize(question or "").strip()
    if not question:
        raise QuestionError("Câu hỏi trống: hãy nhập một câu hỏi.")
    if len(question) > max_chars:
        raise QuestionError(f"Câu hỏi quá dài ({len(question)} ký tự, tối đa {max_chars}).")
    return question


def check_tokens(question: str, count_tokens: Callable[[str], int], limit: int) -> None:
    """A question's cost grows with its tokens: refuse it past `limit` (a long run of combining marks is one
    token a mark while counting as few characters)."""
    n = count_tokens(question)
    if n > limit:
        raise QuestionError(f"Câu hỏi quá dài: {n} đơn vị từ (token) theo cách mô hình đọc, tối đa {limit}; "
                            "hãy hỏi ngắn gọn hơn.")


def shown(value, limit: int = 40) -> str:
    """What the user typed, quoted in a one-line message: whitespace collapsed, cut when long."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit] + "…"


_DAY_FIRST_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def check_date(value: str | None, name: str) -> str | None:
    """`05/01/2024` (day first, as Vietnamese writes dates and as the articles show them) or `2024-01-05` -> `2024-01-05`."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        if m := _DAY_FIRST_RE.match(text):
            return datetime.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise QuestionError(f"{name}: ngày không hợp lệ «{shown(value)}», cần dạng dd/mm/yyyy hoặc yyyy-mm-dd "
                            "(ví dụ 31/01/2024 hay 2024-01-31).") from None


def check_range(since: str | None, until: str | None) -> None:
    """Both already checked by check_date (ISO dates compare as strings)."""
    if since and until and since > until:
        raise QuestionError(f"Khoảng ngày không hợp lệ: «Từ ngày» {since} muộn hơn «Đến ngày» {until}.")


def check_k(k, max_k: int) -> int | None:
    """The number of sources asked for, 1..max_k (None: the default)."""
    if k is None:
        return None
    try:
        value = int(k)
        if value != k and not (isinstance(k, str) and k.strip().lstrip("+-").isdigit()):
            raise ValueError
    except (TypeError, ValueError, OverflowError):  # None of these is a count: "x", 2.5, nan, inf
        raise QuestionError(f"Số nguồn phải là số nguyên từ 1 đến {max_k}, không phải «{shown(k)}».") from None
    if not 1 <= value <= max_k:
        raise QuestionError(f"Số nguồn phải từ 1 đến {max_k}, không phải {value}.")
    return value


def check_mode(mode: str | None) -> str | None:
    if mode is not None and mode not in MODES:
        raise QuestionError(f"Chế độ tìm kiếm không hợp lệ «{shown(mode)}»: dùng {', '.join(MODES)}.")
    return mode


# --- question types ------------------------------------------------------------------------------
# The first pattern that matches names what the question asks for; unaccented questions match the folded twin.

QUESTION_TYPES = (
    ("author", r"\b(phóng viên nào|ai viết|ai đưa tin|tác giả|người viết|người đưa tin|ai chụp|chụp ảnh)\b"),
    ("posted", r"\b(đăng tin|đăng tải|đưa tin|bài(?: viết| báo)? (?:này |đó )?được đăng)\b"
               r".*\b(ngày nào|khi nào|hôm nào|bao giờ|lúc nào)\b"),
    ("ordinal", r"\b(lần thứ mấy|thứ mấy|khóa mấy|khoá mấy|kỳ thứ mấy|lần thứ bao nhiêu)\b"),
    ("document", r"\b(văn bản nào|văn bản gì|số hiệu|chỉ thị nào|nghị quyết nào|kế hoạch nào|quy định nào|quy định số mấy"
                 r"|quyết định nào|hướng dẫn nào|chỉ thị số mấy|nghị quyết số mấy)\b"),
    ("named", r"\b(chủ đề|khẩu hiệu|phương châm|tên gọi|tên|danh hiệu|mô hình|cuộc vận động|bài hát|tiết mục)\b[^?]*"
              r"\b(là gì|gì|nào)\b"),
    ("title", r"\b(chức vụ gì|chức vụ nào|giữ chức gì|giữ chức vụ|chức danh gì|chức danh nào|cương vị gì|cương vị nào)\b"),
    ("who", r"\b(ai|người nào|(?<!đơn )vị(?! trí)(?: \w+){0,2} nào|đồng chí nào|sĩ quan nào|quân nhân nào|cán bộ nào|tướng nào"
            r"|chiến sĩ nào|nhân vật nào)\b"),
    ("when", r"\b(khi nào|bao giờ|ngày nào|hôm nào|năm nào|tháng nào|lúc nào|thời gian nào|thời điểm nào|ngày bao nhiêu)\b"),
    ("count", r"\b(bao nhiêu|mấy|số lượng)\b"),
    ("unit", r"\b(đơn vị nào|cơ quan nào|tỉnh nào|huyện nào|chi bộ nào|trung đoàn nào|sư đoàn nào|lữ đoàn nào|đoàn nào|tổ chức nào"
             r"|địa phương nào|trường nào|quân khu nào|đảng bộ nào|ban nào|cục nào|phòng nào|đội nào)\b"),
)
_COMPILED = [(name, re.compile(p, re.I), re.compile(fold_diacritics(p), re.I)) for name, p in QUESTION_TYPES]


def question_type(question: str) -> str | None:
    q = unify_tones(question).lower()
    folded = fold_diacritics(q)
    for name, accented, plain in _COMPILED:
        if accented.search(q) or (folded == q and plain.search(folded)):
            return name
    return None
