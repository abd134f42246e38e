"""Issue 24: the answer travels as data and only `qa/render/` turns it into text. Outside it no module writes a
citation marker, the answer's sentences or its fixed lines, and none reads answer text back (no citation regex,
no `startswith`/`partition` over an answer)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from qa.answer.result import Answer

ROOT = Path(__file__).resolve().parent.parent
RENDERER = ROOT / "qa" / "render"
# The answer's fixed lines: written by the renderer alone.
ANSWER_LINES = ("Không tìm thấy thông tin trong kho bài viết", "Hiểu câu hỏi là", "Nguồn khác", "Gần nhất:", "Kho không có bài về",
                "Tác giả bài «", "đăng ngày")
# Not the answer's text: a training log's `[{stamp}]`; the passages numbered for the language model (the prompt) and
# the markers read out of what the model wrote (the verifier's whole job).
NOT_ANSWERS = {ROOT / "qa" / "neural" / "train.py", ROOT / "qa" / "llm" / "prompt.py", ROOT / "qa" / "llm" / "verify.py"}


def _sources() -> list[Path]:
    return [p for package in ("qa", "ui") for p in sorted((ROOT / package).rglob("*.py"))
            if RENDERER not in p.parents and p not in NOT_ANSWERS]


def _marker_fstrings(tree: ast.AST) -> list[int]:
    """Lines of f-strings that put a value between brackets: `f"... [{n}] ..."`, a citation marker (a regex's
    character class built from a module constant, `rf"[{_UPPER}]"`, is not one)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = node.values
            for before, value, after in zip(parts, parts[1:], parts[2:]):
                if (isinstance(before, ast.Constant) and isinstance(value, ast.FormattedValue) and isinstance(after, ast.Constant)
                        and str(before.value).endswith("[") and str(after.value).startswith("]")
                        and not (isinstance(value.value, ast.Name) and value.value.id.lstrip("_").isupper())):
                    found.append(node.lineno)
    return found


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def test_the_answer_has_no_text_to_parse():
    names = {f.name for f in dataclasses.fields(Answer)}
    assert "text" not in names and {"short", "evidence", "citations", "confidence", "confidence_parts", "confident",
                                     "reason", "partial"} <= names


def test_no_module_outside_the_renderer_formats_or_parses_answer_text():
    problems = []
    sources = _sources()
    assert len(sources) > 60
    for path in sources:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        name = path.relative_to(ROOT)
        problems += [f"{name}:{line}: writes a [n] marker" for line in _marker_fstrings(tree)]
        for line, text in _string_constants(tree):
            if r"\[(\d+)\]" in text:
                problems.append(f"{name}:{line}: reads [n] markers back")
            problems += [f"{name}:{line}: writes the answer line «{x}»" for x in ANSWER_LINES if x in text]
        for node in ast.walk(tree):  # answer.text.startswith(...) / .partition("\n") of an answer
            if (isinstance(node, ast.Attribute) and node.attr in ("startswith", "partition") and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "text" and isinstance(node.value.value, ast.Name) and "answer" in node.value.value.id):
                problems.append(f"{name}:{node.lineno}: takes an answer's text apart")
    assert problems == []


def test_the_checks_catch_what_they_look_for():
    """The walk above is not vacuous: the renderer itself writes markers and the answer's lines."""
    tree = ast.parse((RENDERER / "plain.py").read_text(encoding="utf-8"))
    assert _marker_fstrings(tree)
    assert any("Hiểu câu hỏi là" in text for _, text in _string_constants(tree))
    old = ast.parse('def f(answer):\n    first, _, rest = answer.text.partition("\\n")\n    return f"{first} [{1}]"\n')
    assert _marker_fstrings(old) == [3]
