"""Shrinking a program that shows a failure to a small one that still shows it.

``shrink`` deletes statements and simplifies sub-expressions, declarations and the
vocabulary for as long as the failure persists: what a person reads in a saved
regression is then the few lines that matter. It works on the source text the
generator writes (``fuzz.generator``): one statement per line, the declarations on the
first.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

_HEADER = re.compile(r"^@")


def _statements(source: str) -> list[str]:
    return [line for line in source.split("\n") if line.strip()]


def _groups(line: str) -> list[tuple[int, int]]:
    """Spans (start, stop) of every balanced (), [] or {} group of a line, outermost first."""
    spans, stack = [], []
    in_string = False
    for position, char in enumerate(line):
        if char == '"':
            in_string = not in_string
        if in_string:
            continue
        if char in "([{":
            stack.append(position)
        elif char in ")]}" and stack:
            spans.append((stack.pop(), position + 1))
    return sorted(spans, key=lambda s: (s[0], -s[1]))


def _top_level_parts(inner: str) -> list[str]:
    """The operands of an expression, split at its top-level operators and commas."""
    parts, depth, current = [], 0, ""
    tokens = re.split(r"(\"[^\"]*\"|[()\[\]{}]|\s+(?:and|or|if|else|[-+*/%<>=]=?|==)\s+|,)", inner)
    for token in tokens:
        if token is None or token == "":
            continue
        if token.startswith('"'):
            current += token
            continue
        if token in "([{":
            depth += 1
        elif token in ")]}":
            depth -= 1
        if depth == 0 and (token == "," or token.strip() in (
                "and", "or", "if", "else", "+", "-", "*", "/", "%", "<", ">", "<=", ">=", "==")):
            parts.append(current)
            current = ""
            continue
        current += token
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _split_pair(line: str) -> list[str] | None:
    """``a, b = x, y;`` as ``["a = x;", "b = y;"]`` (None for any other line)."""
    match = re.fullmatch(r"(\w+(?:, \w+)+) = (.+);", line.strip())
    if not match or line.startswith("def") or line.startswith("for"):
        return None
    targets = match.group(1).split(", ")
    values, depth, current = [], 0, ""
    for char in match.group(2):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    if len(values) != len(targets):
        return None
    return [f"{t} = {v};" for t, v in zip(targets, values)]


_SIMPLE = ("indices", "tokens", "length", "0", "1", "True")


def shrink(source: str, still_fails: Callable[[str], bool], max_attempts: int = 3000) -> str:
    """The smallest program this finds for which ``still_fails`` holds.

    Repeats, until nothing changes: delete a statement; replace a parenthesised or
    bracketed group by one of its operands or by a simple s-op; lower ``@max_len``;
    drop a vocabulary item. ``still_fails`` should return False (not raise) for
    programs that no longer show the failure, including ones that stop staging.
    """
    attempts = 0

    def check(candidate: str) -> bool:
        nonlocal attempts
        attempts += 1
        try:
            return bool(still_fails(candidate))
        except Exception:  # noqa: BLE001 - a candidate that breaks is not a smaller failure
            return False

    current = source
    seen = {source}
    changed = True
    while changed and attempts < max_attempts:
        changed = False
        for candidate in _candidates(current):
            if attempts >= max_attempts:
                break
            if candidate in seen or _size(candidate) > _size(current):
                continue
            seen.add(candidate)
            if check(candidate):
                current = candidate
                changed = True
                break
    return current


def _size(source: str) -> tuple[int, int]:
    """What shrinking minimises: the text without spaces, then the declared input space."""
    return len(re.sub(r"\s", "", source)), _header_size(source)


def _header_size(source: str) -> int:
    match = re.search(r"@max_len (\d+);", source)
    vocab = re.search(r"@vocab \{([^}]*)\};", source)
    return (int(match.group(1)) if match else 0) + (vocab.group(1).count(",") if vocab else 0)


def _candidates(source: str) -> Iterable[str]:
    lines = _statements(source)
    # Delete one statement (never the declarations).
    for k in range(len(lines) - 1, -1, -1):
        if not _HEADER.match(lines[k]):
            yield "\n".join(lines[:k] + lines[k + 1:]) + "\n"
    # Split ``a, b = x, y;`` into two statements; inline ``a = b;`` aliases.
    for k, line in enumerate(lines):
        split = _split_pair(line)
        if split:
            yield "\n".join(lines[:k] + split + lines[k + 1:]) + "\n"
        alias = re.fullmatch(r"(\w+) = (\w+);", line.strip())
        if alias and alias.group(1) != "tokens":
            old, new = alias.groups()
            rest = [re.sub(rf"\b{old}\b", new, other) for other in lines[k + 1:]]
            head = [re.sub(rf"@output {old};", f"@output {new};", other) for other in lines[:k]]
            yield "\n".join(head + rest) + "\n"
    # Simpler declarations.
    header = lines[0] if lines and _HEADER.match(lines[0]) else None
    if header:
        match = re.search(r"@max_len (\d+);", header)
        if match and int(match.group(1)) > 1:
            for smaller in range(1, int(match.group(1))):
                yield "\n".join([header.replace(match.group(0), f"@max_len {smaller};"), *lines[1:]]) + "\n"
        vocab = re.search(r"@vocab \{([^}]*)\};", header)
        if vocab:
            items = [v.strip() for v in vocab.group(1).split(",")]
            if len(items) > 1:
                for k in range(len(items)):
                    rest = items[:k] + items[k + 1:]
                    yield "\n".join([header.replace(vocab.group(0), "@vocab {" + ", ".join(rest) + "};"),
                                     *lines[1:]]) + "\n"
    # Simplify sub-expressions, one group at a time.
    for k, line in enumerate(lines):
        if _HEADER.match(line):
            continue
        for start, stop in _groups(line):
            inner = line[start + 1:stop - 1]
            while line[start] == "(" and start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
                start -= 1  # a call: replace the whole call, name included
            group = line[start:stop]
            replacements = [p for p in _top_level_parts(inner) if p != group]
            replacements += [s for s in _SIMPLE if s != group]
            for replacement in replacements:
                if len(replacement) >= len(group):
                    continue
                new_line = line[:start] + replacement + line[stop:]
                yield "\n".join(lines[:k] + [new_line] + lines[k + 1:]) + "\n"
