"""`qa`'s argument parser in Vietnamese: argparse's own messages translated, and the option types it checks.

Out of qa/cli.py, which keeps the commands."""

from __future__ import annotations

import argparse

from qa.settings import Settings

_ARGPARSE_MESSAGES = (
    # argparse's own English errors -> Vietnamese (format strings of Python 3.11-3.13)
    (r"argument (?P<arg>\S+): invalid choice: '?(?P<value>.*?)'? \(choose from (?P<choices>.*)\)",
     "{arg}: giá trị không hợp lệ «{value}», chọn một trong {choices}."),
    (r"argument (?P<arg>\S+): invalid (?:int|float) value: '(?P<value>.*)'", "{arg}: «{value}» không phải là số."),
    (r"argument (?P<arg>\S+): expected one argument", "{arg}: thiếu giá trị."),
    (r"argument (?P<arg>\S+): expected (?P<n>\d+) arguments", "{arg}: cần {n} giá trị."),
    (r"argument (?P<arg>\S+): ignored explicit argument '(?P<value>.*)'", "{arg}: không nhận giá trị «{value}»."),
    (r"argument (?P<arg>\S+): not allowed with argument (?P<other>\S+)", "{arg}: không dùng cùng {other}."),
    (r"the following arguments are required: (?P<args>.*)", "thiếu đối số bắt buộc: {args}."),
    (r"unrecognized arguments: (?P<args>.*)", "không hiểu đối số: {args} (xem `qa --help`)."),
    (r"ambiguous option: (?P<arg>\S+) could match (?P<choices>.*)", "tùy chọn «{arg}» mơ hồ, có thể là {choices}."),
    (r"argument (?P<arg>\S+): (?P<message>.*)", "{arg}: {message}"),  # our own types' messages are Vietnamese
)


def vietnamese_argparse_message(message: str) -> str:
    import re

    for pattern, template in _ARGPARSE_MESSAGES:
        match = re.fullmatch(pattern, message.strip(), re.S)
        if match:
            fields = {k: v.replace("'", "") if k in ("choices", "args") else v for k, v in match.groupdict().items()}
            return template.format(**fields)
    return f"đối số không hợp lệ ({message})."


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "Cách dùng: " if prefix is None else prefix)


class VietnameseArgumentParser(argparse.ArgumentParser):
    """argparse with Vietnamese errors (one line on stderr, exit 2) and Vietnamese help headings."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "đối số"
        self._optionals.title = "tùy chọn"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="in hướng dẫn này rồi thoát")

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {vietnamese_argparse_message(message)}{self._long_option_hint(message)}\n")

    def _long_option_hint(self, message: str) -> str:
        """` Ý bạn là `--k`?` for `-k` or `-since` given where the long option exists."""
        import re

        unknown = re.search(r"unrecognized arguments: (.*)", message)
        if not unknown:
            return ""
        known = set()
        parsers = [self]
        while parsers:
            parser = parsers.pop()
            for action in parser._actions:
                known.update(action.option_strings)
                if isinstance(action, argparse._SubParsersAction):
                    parsers.extend(action.choices.values())
        for word in unknown.group(1).split():
            name = word.split("=")[0]
            if re.fullmatch(r"-\w[\w-]*", name) and "-" + name in known:
                return f" Ý bạn là `-{name}`?"
        return ""


def positive_k(raw: str) -> int:
    """--k, checked as every question's k is (qa.search.question.check_k), worded for argparse."""
    from qa.errors import QuestionError
    from qa.search.question import check_k

    try:
        return check_k(raw, Settings.max_k)
    except QuestionError as exc:
        raise argparse.ArgumentTypeError(_lower_first(str(exc))) from None


def iso_date(raw: str) -> str:
    from qa.errors import QuestionError
    from qa.search.question import check_date

    try:
        return check_date(raw, "ngày")
    except QuestionError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("ngày: ")) from None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
