"""scripts/sentiment_training_scores.py's measures on answers worked by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scripts.sentiment_training_scores import markdown, measured


def test_measures_by_hand():
    answers, compiled = np.array([0.5, -0.2, 0.1]), np.array([0.4, -0.3, 0.5])
    humans = np.array([1.0, -1.0, 0.0])     # the last rating, exactly 0, has no sign
    row = measured("trained", answers, compiled, compiled, humans)
    assert row.mean_abs_error_vs_compiled == pytest.approx(0.2)       # (0.1 + 0.1 + 0.4) / 3
    assert row.within_0_05_of_compiled == 0.0 and row.within_0_25_of_compiled == pytest.approx(2 / 3)
    assert row.signs_vs_compiled == 1.0    # positive at >= 0.05: yes, no, yes on both sides
    assert row.signs_vs_humans == 1.0
    assert row.r_vs_compiled == pytest.approx(np.corrcoef(answers, compiled)[0, 1])
    assert row.r_vs_humans == pytest.approx(np.corrcoef(answers, humans)[0, 1])


def test_a_constant_answer_has_no_correlation():
    row = measured("constant", np.full(3, 0.2), np.array([0.4, -0.3, 0.5]), np.zeros(3), np.array([1.0, -1, 2]))
    assert math.isnan(row.r_vs_compiled) and row.signs_vs_humans == pytest.approx(2 / 3)
    table = markdown({"rows": [row.__dict__]})
    assert "| constant | 0.3333 |" in table     # (0.2 + 0.5 + 0.3) / 3
