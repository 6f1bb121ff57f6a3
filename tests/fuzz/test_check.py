"""Checking one program through both forward passes (``fuzz.check``, ``fuzz.runners``):
the real passes agree with the interpreter, and a deliberately broken pass is caught
and named."""
from __future__ import annotations

import numpy as np
import pytest

from compiler import compile_program
from fuzz.check import check_source
from fuzz.differential import DifferentialRun, run_differential
from fuzz.findings import finding_note, save_finding
from fuzz.generator import SMALL, generate
from fuzz.inputs import QUICK, inputs_for
from fuzz.runners import BOTH, DENSE, PACKED, DenseRunner, ModelPass, PackedRunner
from rasp.interpreter import evaluate
from rasp.parser import parse
from rasp.stage import stage
from raspc.errors import RaspcError
from runtime.engine.forward import Runner
from runtime.engine.packed import pack
from runtime.outputs import same_output

REVERSE = ('@vocab {"a", "b", "c"}; @max_len 4; @output flip;\n'
           "flip = aggregate(select(indices, length - indices - 1, ==), tokens);\n")
#: Long enough for the batch-major packed pass (more than 16 positions).
LONG_REVERSE = REVERSE.replace("@max_len 4", "@max_len 20")


def _without_attention(params) -> dict:
    """The parameters with every head's output projection zeroed: no head writes."""
    layers = [{**layer, "w_o": np.zeros_like(np.asarray(layer["w_o"]))} for layer in params["layers"]]
    return {**params, "layers": layers}


class PackedWithoutAttention(PackedRunner):
    """The packed pass over a broken model."""

    def __init__(self, model):
        super().__init__(model)
        self.packed = pack(_without_attention(model.params))


class DenseWithoutAttention(DenseRunner):
    """The dense pass over a broken model."""

    def __init__(self, model):
        super().__init__(model)
        self.params = {**self.params, "layers": _without_attention(self.params)["layers"]}


class CrashingRunner:
    def __init__(self, model):
        pass

    def run(self, batch):
        raise FloatingPointError("a planted fault")


BROKEN_PACKED = ModelPass("packed", PackedWithoutAttention)
BROKEN_DENSE = ModelPass("dense", DenseWithoutAttention)


@pytest.mark.parametrize("source", [REVERSE, LONG_REVERSE], ids=["batch-minor", "batch-major"])
def test_a_known_program_checks_out_through_both_passes(source):
    outcome = check_source(source, plan=QUICK)
    assert outcome.status == "ok" and outcome.passes == ("dense", "packed")
    assert outcome.n_inputs == (3 + 9 + 27 + 81 if source == REVERSE else QUICK.sampled)


def test_reverse_runs_both_packed_layouts():
    """The two programs above cover the packed pass's two layouts."""
    layouts = {pack(compile_program(stage(parse(s))).params).index.batch_minor for s in (REVERSE, LONG_REVERSE)}
    assert layouts == {True, False}


def test_a_broken_packed_pass_is_caught_and_named():
    outcome = check_source(REVERSE, passes=(DENSE, BROKEN_PACKED))
    assert outcome.status == "mismatch" and outcome.failed_passes == ("packed",)
    found = outcome.mismatches[0]
    flip = stage(parse(REVERSE)).output_expr()
    assert found.expected == evaluate(flip, found.input) == list(reversed(found.input))
    assert not same_output(found.expected, found.got)


def test_a_broken_dense_pass_is_caught_and_named():
    outcome = check_source(REVERSE, passes=(BROKEN_DENSE, PACKED))
    assert outcome.status == "mismatch" and outcome.failed_passes == ("dense",)


def test_both_passes_broken_are_both_named():
    outcome = check_source(REVERSE, passes=(BROKEN_DENSE, BROKEN_PACKED))
    assert outcome.failed_passes == ("dense", "packed") and len(outcome.mismatches) == 2


def test_a_crash_while_running_names_the_pass():
    outcome = check_source(REVERSE, passes=(DENSE, ModelPass("packed", CrashingRunner)))
    assert outcome.status == "crash" and outcome.failed_passes == ("packed",)
    assert outcome.detail.startswith("FloatingPointError while running the packed pass")


def test_the_fuzzer_counts_a_broken_pass_and_saves_the_finding(monkeypatch, tmp_path):
    """Through ``run_differential``: the broken packed pass is counted against the
    packed pass only, and the finding is saved outside the source tree, with a note
    that names the pass. (Unshrunk: shrinking compiles the packed pass once per
    candidate, too slow here; ``test_a_crash_while_compiling_is_counted_shrunk_and_saved``
    covers shrinking.)"""
    broken = (DENSE, BROKEN_PACKED)
    seed = next(s for s in range(40)
                if check_source(generate(s, SMALL).source, s, QUICK, broken).status == "mismatch")
    monkeypatch.setattr("fuzz.differential.BOTH", broken)
    report = run_differential(DifferentialRun(1, seed, SMALL, QUICK, packed_every=1, shrink_failures=False,
                                              save_to=tmp_path))
    assert (report.programs, report.mismatches, report.packed_checked) == (1, 1, 1)
    assert report.mismatches_by_pass == {"packed": 1}
    finding = report.failures[0]
    assert finding.failed_passes == ("packed",) and finding.source == generate(seed, SMALL).source
    saved = (tmp_path / finding.saved.split("/")[-1]).read_text()
    assert "the compiled model's packed pass gave" in saved
    assert "dense pass gave" not in saved


def test_packed_every_chooses_the_seeds_that_run_both_passes():
    run = DifferentialRun(10, packed_every=4)
    assert [s for s in range(10) if run.passes(s) == BOTH] == [0, 4, 8]
    assert DifferentialRun(10, packed_every=0).passes(0) == (DENSE,)


@pytest.mark.slow
def test_dense_runner_gives_what_runner_gives():
    """The padded, shared-jit dense pass of the fuzzer against runtime.engine.forward.Runner itself."""
    checked = 0
    for seed in range(12):
        program = stage(parse(generate(seed, SMALL).source))
        try:
            model = compile_program(program)
        except RaspcError:
            continue
        inputs = inputs_for(program.vocab, program.max_len, seed)[:60]
        for padded, plain in zip(DenseRunner(model).run(inputs), Runner(model).run(inputs)):
            assert same_output(plain, padded)
        checked += 1
    assert checked >= 8


def test_finding_notes_say_what_each_pass_gave():
    outcome = check_source(REVERSE, passes=(BROKEN_DENSE, BROKEN_PACKED))
    note = finding_note(outcome)
    assert note.startswith("# Found by the differential fuzzer: on input ")
    assert "dense pass gave" in note and "packed pass gave" in note


def test_saved_findings_carry_what_they_showed(tmp_path):
    outcome = check_source(REVERSE, passes=(DENSE, BROKEN_PACKED))
    path = save_finding(REVERSE, outcome, tmp_path)
    text = path.read_text()
    assert path.parent == tmp_path and path.suffix == ".rasp"
    assert repr(outcome.expected) in text and repr(outcome.got) in text
    assert stage(parse(text)).output == "flip"
