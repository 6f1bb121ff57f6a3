"""One training run from start to saved model: what ``raspc train`` does once it
has its data.

``fit`` builds the starting parameters (random, or the reference model's own
weights laid into the trained shape, optionally with noise), trains them
(``runtime.train.loop``), scores the held-out test set, and returns the trained
``Model`` whose settings and stats record everything that decided the run: the
settings, the seed, the shape, the data digest and sizes, the learning curve.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from raspc.errors import InputError
from runtime.model import CATEGORICAL, Model
from runtime.outputs import TOLERANCE
from runtime.train.checkpoint import Checkpoint
from runtime.train.data import Dataset
from runtime.train.loop import Score, State, initial_state, score, train
from runtime.train.settings import Settings
from runtime.train.loss import Objective, compiled_patterns
from runtime.train.shape import (Shape, compiled_params, noisy, random_params, shape_of, trained_config,
                                 trained_model)

@dataclass(frozen=True)
class Start:
    """How the parameters start: ``init`` random or compiled, with ``noise``
    (standard deviation) added to compiled weights."""

    init: str = "random"
    noise: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """A finished run: the trained model, its last state, its held-out scores,
    the wall time of the whole run (data excluded), and how near its target a
    numerical reading had to be to count as right (``numerical_tolerance``; None
    for a categorical output)."""

    model: Model
    state: State
    test: Score
    validation: Score
    seconds: float
    tolerance: float | None = None


def numerical_tolerance(data: Dataset, declared: float | None = None) -> float:
    """How near its target a numerical reading must be to count as right: the
    tolerance the program declared for its output (``@tolerance``, recorded in the
    compiled model's stats; at least ``runtime.outputs.TOLERANCE``), where there is
    one: its values are not a short list to tell apart (VADER's compound score);
    else half the smallest gap between two target values (at most 0.5), so that
    a reading nearer its target than that names the right value."""
    if declared:
        return max(TOLERANCE, float(declared))
    values = np.unique(data.train.targets[data.train.mask])
    gaps = np.diff(values)
    return float(min(0.5, gaps.min() / 2)) if len(gaps) else 0.5


def objective_for(reference: Model, shape: Shape, data: Dataset, settings: Settings) -> Objective:
    config = trained_config(reference.config, shape)
    categorical = config.output_encoding == CATEGORICAL
    return Objective(config.attn_scale, categorical, settings.attention_weight,
                     0.5 if categorical else numerical_tolerance(data, reference.stats.get("output_tolerance")))


def check_start(reference: Model, shape: Shape, start: Start) -> None:
    """A compiled start needs the compiled shape (InputError otherwise)."""
    if start.init == "compiled" and shape.layer_norm and not reference.config.layer_norm:
        raise InputError("--init compiled cannot take --layer-norm: the compiled weights compute the program "
                         "without normalisation")
    if start.init == "compiled" and shape != shape_of(reference):
        raise InputError("--init compiled needs the compiled model's own shape "
                         f"({shape_of(reference).to_json()}); drop the shape overrides")


def start_params(reference: Model, shape: Shape, start: Start, seed: int):
    config = trained_config(reference.config, shape)
    if start.init == "random":
        return random_params(shape, config, seed)
    check_start(reference, shape, start)
    params = compiled_params(reference, shape, config.attn_scale)
    return noisy(params, start.noise, seed) if start.noise > 0 else params


def attention_targets(reference: Model, data: Dataset, settings: Settings) -> tuple[np.ndarray, ...]:
    """The reference heads' patterns on the training inputs, when the attention loss is on."""
    if settings.attention_weight <= 0:
        return ()
    if reference.config.kind != "compiled":
        raise InputError("--attention-loss needs a compiled model (a .rasp file or a compiled model file)")
    return compiled_patterns(reference.params, data.train.ids, reference.config.attn_scale)


def fit(reference: Model, data: Dataset, shape: Shape, settings: Settings, start: Start = Start(),
        resume: Checkpoint | None = None, facts: dict | None = None,
        on_eval: Callable[[State, dict], None] | None = None,
        on_step: Callable[[int], None] | None = None,
        on_checkpoint: Callable[[State], None] | None = None) -> Outcome:
    """Train a model of ``shape`` to compute ``reference``'s output on ``data``.

    ``facts`` (what was trained, where the data came from) go into the model's
    settings beside the training settings. A ``resume`` checkpoint replaces the
    start."""
    began = time.perf_counter()
    config = trained_config(reference.config, shape)
    objective = objective_for(reference, shape, data, settings)
    patterns = attention_targets(reference, data, settings)
    state = resume.state if resume is not None else initial_state(start_params(reference, shape, start,
                                                                               settings.seed), settings)
    state = train(state, data, objective, settings, patterns, on_eval=on_eval, on_step=on_step,
                  on_checkpoint=on_checkpoint)
    test = score(state.params, data.test, objective)
    validation = score(state.params, data.validation, objective)
    seconds = time.perf_counter() - began
    recorded = {**(facts or {}), "training": settings.to_json(), "shape": shape.to_json(),
                "init": start.init, "noise": start.noise, "data_digest": data.digest, "data_sizes": data.sizes()}
    stats = {"steps": state.step, "train_seconds": state.seconds, "test": test.to_json(),
             "validation": validation.to_json(), "learning_curve": list(state.curve)}
    stats["tolerance"] = None if objective.categorical else objective.tolerance
    return Outcome(trained_model(state.params, config, recorded, stats), state, test, validation, seconds,
                   stats["tolerance"])
