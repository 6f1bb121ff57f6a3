"""Scores of a program's answers against a corpus's labels, in plain numpy.

* numbers against numbers: Pearson's r, the share of signs that agree (an answer
  at or above ``threshold`` is positive; a label of exactly 0 is left out), and a
  calibration table (the labels' mean per band of answers);
* categories against categories: accuracy, the Matthews correlation coefficient
  (Gorodkin's form for more than two classes) and the confusion matrix.

    >>> round(pearson([1, 2, 3], [2, 4, 7]), 4)
    0.9934
    >>> mcc(["a", "b", "a", "b"], ["a", "b", "b", "b"])
    0.5773502691896258
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's correlation coefficient (nan when either side is constant)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    dx, dy = x - x.mean(), y - y.mean()
    denominator = np.sqrt((dx * dx).sum() * (dy * dy).sum())
    return float((dx * dy).sum() / denominator) if denominator > 0 else float("nan")


@dataclass(frozen=True)
class SignAgreement:
    agreeing: int
    counted: int
    left_out: int

    @property
    def share(self) -> float:
        return self.agreeing / self.counted if self.counted else float("nan")


def sign_agreement(answers: Sequence[float], labels: Sequence[float], threshold: float = 0.0) -> SignAgreement:
    """Answers at or above ``threshold`` count as positive, the others negative;
    labels are positive above 0, negative below, and left out at exactly 0."""
    agreeing = counted = left_out = 0
    for answer, label in zip(answers, labels):
        if label == 0:
            left_out += 1
            continue
        counted += 1
        agreeing += (answer >= threshold) == (label > 0)
    return SignAgreement(agreeing, counted, left_out)


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    count: int
    mean_answer: float
    mean_label: float


def calibration(answers: Sequence[float], labels: Sequence[float], bands: int = 10) -> list[Band]:
    """The answers cut into ``bands`` equal-width bands of their range, with the
    mean answer and mean label of each band that holds any."""
    answers, labels = np.asarray(answers, np.float64), np.asarray(labels, np.float64)
    if answers.size == 0:
        return []
    low, high = float(answers.min()), float(answers.max())
    edges = np.linspace(low, high, bands + 1) if high > low else np.array([low, high])
    which = np.clip(np.searchsorted(edges, answers, side="right") - 1, 0, len(edges) - 2)
    found = []
    for k in range(len(edges) - 1):
        members = which == k
        if members.any():
            found.append(Band(float(edges[k]), float(edges[k + 1]), int(members.sum()),
                              float(answers[members].mean()), float(labels[members].mean())))
    return found


def accuracy(answers: Sequence[Any], labels: Sequence[Any]) -> float:
    return float(np.mean([a == b for a, b in zip(answers, labels)])) if len(answers) else float("nan")


def confusion(answers: Sequence[Any], labels: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """The classes (labels' and answers', sorted by text) and the matrix of counts,
    rows the labels, columns the answers."""
    classes = sorted(set(labels) | set(answers), key=str)
    index = {c: k for k, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), np.int64)
    for answer, label in zip(answers, labels):
        matrix[index[label], index[answer]] += 1
    return classes, matrix


def mcc(answers: Sequence[Any], labels: Sequence[Any]) -> float:
    """The Matthews correlation coefficient of the confusion matrix (for two classes,
    the usual binary one)."""
    _, matrix = confusion(answers, labels)
    matrix = matrix.astype(np.float64)
    total = matrix.sum()
    correct = np.trace(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    numerator = correct * total - (predicted * actual).sum()
    denominator = np.sqrt((total ** 2 - (predicted ** 2).sum()) * (total ** 2 - (actual ** 2).sum()))
    return float(numerator / denominator) if denominator > 0 else 0.0
