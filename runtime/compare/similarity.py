"""Linear centred kernel alignment (CKA) between two sets of representations.

Kornblith et al. (2019): for row-aligned X (n, p) and Y (n, q), centred,
``CKA = |Y^T X|_F^2 / (|X^T X|_F |Y^T Y|_F)``; 1 when one is an orthogonal
transform and scaling of the other, near 0 for unrelated ones. Invariant to the
basis of either residual stream, so a compiled and a trained model compare
although their directions mean different things.

    >>> x = np.random.default_rng(0).normal(size=(50, 4))
    >>> round(linear_cka(x, 3 * x @ np.linalg.qr(np.ones((4, 4)) + np.eye(4))[0]), 6)
    1.0
"""
from __future__ import annotations

import numpy as np


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    cross = np.linalg.norm(y.T @ x) ** 2
    norms = np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)
    return float(cross / norms) if norms > 0 else 0.0


def cka_matrix(a_points: list[np.ndarray], b_points: list[np.ndarray]) -> np.ndarray:
    """CKA between every point of A (rows) and every point of B (columns)."""
    return np.array([[linear_cka(a, b) for b in b_points] for a in a_points])
