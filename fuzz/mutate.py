"""Damaged and random source text, for fuzzing the front end (parser and staging).

``mutate_source`` damages a program in one to three random ways; ``random_source``
assembles text from the language's fragments. Both draw from the generator they are
given, so a run is the same for the same seed.
"""
from __future__ import annotations

import random
import re

_TOKEN = re.compile(r'"[^"\n]*"|[A-Za-z_@][A-Za-z_0-9]*|[0-9]+(?:\.[0-9]+)?|[=!<>]=|\S')
_FRAGMENTS = ("select(", "aggregate(", "def ", "for ", " in ", "return ", "{", "}", "(", ")", "[", "]",
              ";", ",", "==", "!=", "not ", " and ", " or ", " if ", " else ", "@vocab ", "@max_len ",
              "@output ", "load ", "tokens", "indices", "length", "selector_width(", "\"", "#", "\n",
              "1.5", "-", "^", "%", "/", "round(", "indicator(", "range(", "zip(", "len(", "x", "=")


def mutate_source(source: str, rng: random.Random) -> str:
    """``source`` damaged in one to three random ways: flipped bytes, deleted,
    inserted or duplicated tokens, random unicode, deep nesting, huge literals,
    long lines."""
    text = source
    for _ in range(rng.randint(1, 3)):
        tokens = _TOKEN.findall(text) or [" "]
        spans = [m.span() for m in _TOKEN.finditer(text)] or [(0, 0)]
        kind = rng.randrange(10)
        if kind == 0 and text:  # flip bits of one byte
            data = bytearray(text.encode("utf-8"))
            position = rng.randrange(len(data))
            data[position] ^= 1 << rng.randrange(8)
            text = data.decode("utf-8", errors="replace")
        elif kind == 1:  # delete a token
            start, stop = rng.choice(spans)
            text = text[:start] + text[stop:]
        elif kind == 2:  # insert a token from elsewhere, or a fragment of the language
            start, _ = rng.choice(spans)
            piece = rng.choice(tokens) if rng.random() < 0.5 else rng.choice(_FRAGMENTS)
            text = text[:start] + piece + " " + text[start:]
        elif kind == 3:  # duplicate a run of tokens
            a, b = sorted(rng.sample(range(len(spans)), 2)) if len(spans) > 1 else (0, 0)
            chunk = text[spans[a][0]:spans[b][1]]
            text = text[:spans[b][1]] + " " + chunk + text[spans[b][1]:]
        elif kind == 4:  # random unicode
            start, _ = rng.choice(spans)
            piece = "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(128, 0x2FFF),
                                             rng.randrange(0x1F300, 0x1FAFF), 0, 0xFEFF, 0x202E]))
                            for _ in range(rng.randint(1, 5)))
            text = text[:start] + piece + text[start:]
        elif kind == 5:  # deep nesting
            depth = rng.choice([50, 200, 1000, 5000])
            opener, closer = rng.choice([("(", ")"), ("[", "]"), ("not ", ""), ("-", ""),
                                         ("{1: ", "}"), ("f(", ")")])
            text += f"\ndeep = {opener * depth}1{closer * depth};\n"
        elif kind == 6:  # a huge literal
            digits = "9" * rng.choice([20, 400, 5000])
            text += rng.choice([f"\nbig = indices + {digits};\n", f"\nbig = {digits}.5 * 2;\n",
                                f"\nbig = [{', '.join(['1'] * 3000)}];\n", f'\nbig = "{"a" * 20000}";\n',
                                f"\nbig = range({digits});\n", f"\nbig = [0] * {digits};\n",
                                f'\nbig = "ab" * {digits};\n', f"\nbig = 2 ^ {digits};\n",
                                f"\nbig = (0 - 8) ^ 0.{digits};\n", f"\nbig = len(range(0 - {digits}, {digits}));\n",
                                "\nbig = [[j for j in range(300)] for i in range(300)];\n",
                                "\ndef big(a) { return big(a + 1); }\nhuge = big(indices);\n",
                                "\nbig = [1];\nfor i in range(60) { big = [big, big]; }\nhuge = big + indices;\n"])
        elif kind == 7:  # a very long line
            text += "\nlong = " + " + ".join(["indices"] * rng.choice([100, 2000])) + ";\n"
        elif kind == 8:  # swap two tokens
            if len(spans) > 1:
                (a0, a1), (b0, b1) = sorted(rng.sample(spans, 2))
                text = text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]
        else:  # cut the text short
            text = text[:rng.randrange(len(text) + 1)]
    return text


def random_source(rng: random.Random) -> str:
    """Text assembled from the language's fragments and random characters."""
    pieces = []
    for _ in range(rng.randint(1, 40)):
        if rng.random() < 0.8:
            pieces.append(rng.choice(_FRAGMENTS))
        else:
            pieces.append(chr(rng.randrange(1, 0x3000)))
    return "".join(pieces)
