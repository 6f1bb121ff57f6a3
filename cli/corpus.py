"""A corpus as ``raspc eval-corpus`` reads it: one sentence per line of a TSV file.

Every line is checked before anything runs, and every problem is named with its
line number: bytes that are not UTF-8, an empty line, too few columns, a text
with no words, a word outside the vocabulary (when the tokenizer declares no
unknown token), a sentence longer than max_len (reported, never cut). A line
with a problem is not scored; the others are.

    >>> lines = read_corpus(b"1\\tgood day\\n2\\t\\n", "d.tsv", text_column=2, label_column=1)
    >>> [(line.number, line.text, line.label, line.problem) for line in lines]
    [(1, 'good day', 1.0, None), (2, '', 2.0, 'the text (column 2) is empty')]
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from raspc.errors import InputError, RaspcError
from raspc.text import TextEncoder


@dataclass(frozen=True)
class CorpusLine:
    """One line: its number (from 1), text, label (a number where it reads as
    one), tokens once cut, and the problem that keeps it from being scored."""

    number: int
    text: str
    label: Any = None
    tokens: tuple | None = None
    problem: str | None = None
    #: a problem of the file's format (not of the program's coverage)
    malformed: bool = False


def _label(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text.strip()


def read_corpus(data: bytes, source: str, text_column: int, label_column: int | None = None) -> list[CorpusLine]:
    """The lines of a TSV file (columns count from 1). A last line break ends the
    last line; it does not start an empty one."""
    if text_column < 1 or (label_column is not None and label_column < 1):
        raise InputError("columns count from 1")
    needed = max(text_column, label_column or 0)
    raw = data.split(b"\n")
    if raw and raw[-1] == b"":
        raw = raw[:-1]
    lines = []
    for number, chunk in enumerate(raw, start=1):
        chunk = chunk[:-1] if chunk.endswith(b"\r") else chunk
        try:
            line = chunk.decode("utf-8")
        except UnicodeDecodeError as failure:
            lines.append(CorpusLine(number, "", problem=f"byte {failure.start + 1} is not UTF-8 "
                                                        f"({chunk[failure.start:failure.start + 1]!r})",
                                    malformed=True))
            continue
        if not line.strip():
            lines.append(CorpusLine(number, "", problem="the line is empty", malformed=True))
            continue
        columns = line.split("\t")
        if len(columns) < needed:
            lines.append(CorpusLine(number, line, problem=f"the line has {len(columns)} column"
                                                          f"{'s' if len(columns) != 1 else ''}, "
                                                          f"column {needed} is needed", malformed=True))
            continue
        label = _label(columns[label_column - 1]) if label_column else None
        text = columns[text_column - 1]
        problem = None if text.strip() else f"the text (column {text_column}) is empty"
        lines.append(CorpusLine(number, text, label, problem=problem, malformed=problem is not None))
    return lines


def tokenized(lines: list[CorpusLine], encoder: TextEncoder, max_len: int) -> list[CorpusLine]:
    """The lines with their tokens; a line the program cannot take keeps its reason."""
    out = []
    for line in lines:
        if line.problem is not None:
            out.append(line)
            continue
        try:
            out.append(replace(line, tokens=encoder.encode(line.text, max_len).tokens))
        except RaspcError as error:
            out.append(replace(line, problem=error.message))
    return out


def problem_text(source: str, line: CorpusLine) -> str:
    """A problem as the command prints it: ``data.tsv:12: error: ...``."""
    return f"{source}:{line.number}: error: {line.problem}"


def corpus_sentences(path: str, text_column: int, encoder: TextEncoder, max_len: int) -> list[CorpusLine]:
    """Every line of a corpus file cut into tokens, for training on it: a line
    that cannot be read or cut (``read_corpus``, ``tokenized``) is refused with
    its number, since a training set silently missing some sentences would not be
    the corpus that was named."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as failure:
        raise InputError(f"cannot read the corpus {path}: {failure.strerror or failure}") from None
    lines = tokenized(read_corpus(data, path, text_column), encoder, max_len)
    problems = [line for line in lines if line.problem is not None]
    if problems:
        more = f" (and {len(problems) - 1} more line{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        raise InputError(f"{path}:{problems[0].number}: {problems[0].problem}{more}")
    if not lines:
        raise InputError(f"the corpus {path} holds no sentences")
    return lines
