"""What ``raspc train`` does once its arguments are parsed: load the task, make the
data, train (resuming from a checkpoint if asked), write the model, report."""
from __future__ import annotations

import argparse
import math
import json
import sys
import time
from dataclasses import dataclass

from tqdm import tqdm

from raspc.errors import InputError
from runtime.io import save_model
from runtime.train.checkpoint import CheckpointError, describe_run, load_checkpoint, save_checkpoint
from runtime.train.data import Dataset, corpus_dataset, feasible_sizes, inputs_dataset, labelled_dataset
from runtime.train.fit import Start, check_start, fit
from runtime.train.loop import placement
from runtime.train.settings import Settings
from runtime.train.shape import overridden, shape_of, trained_config
from cli.corpus import corpus_sentences
from cli.task import Task, load_task, read_corpus
from cli.text import model_encoder


def settings_of(args: argparse.Namespace) -> Settings:
    if args.target is not None and not 0 < args.target <= 1:
        raise InputError(f"--target is an accuracy between 0 and 1, not {args.target}")
    if not 0 <= args.warmup < 1:
        raise InputError(f"--warmup is a share of the steps, from 0 up to 1, not {args.warmup}")
    if args.noise and args.init != "compiled":
        raise InputError("--noise applies to --init compiled")
    return Settings(steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr, warmup=args.warmup,
                    weight_decay=args.weight_decay, seed=args.seed, eval_every=args.eval_every,
                    target=None if args.no_early_stop else args.target, devices=args.devices,
                    attention_weight=args.attention_loss, freeze=tuple(args.freeze),
                    checkpoint_every=args.checkpoint_every)


def _check_converging(curve, settings: Settings) -> None:
    """Refuse to write a model whose training loss stopped being a number."""
    if curve and not math.isfinite(curve[-1]["loss"]):
        raise InputError(f"training diverged: the loss was {curve[-1]['loss']} by step {curve[-1]['step']}; "
                         f"lower --lr (it was {settings.learning_rate:g}), or add --layer-norm; nothing was written")


@dataclass(frozen=True)
class TrainingData:
    """The data of a run, and for a corpus of sentences (``--text-column``) the
    numbers of the lines each held-out set took (a tweet and its line, for whoever
    scores the held-out answers against the corpus's own labels)."""

    dataset: Dataset
    held_out_lines: dict[str, list[int]] | None = None


def _check_corpus_flags(args: argparse.Namespace) -> None:
    if args.text_column is not None and not args.corpus:
        raise InputError("--text-column names a column of the --corpus file; give --corpus")
    if args.text_column is not None and args.corpus_words:
        raise InputError("--corpus-words reads (input, output) pairs; --text-column reads sentences: "
                         "give one of them")


def dataset_of(args: argparse.Namespace, task: Task, shape) -> TrainingData:
    _check_corpus_flags(args)
    config = trained_config(task.model.config, shape)
    sizes = (args.train_size, args.val_size, args.test_size)
    if not args.corpus:
        sizes = feasible_sizes(sizes, len(config.vocab) - 1, config.max_len)
    seed = args.seed if args.data_seed is None else args.data_seed

    def by_interpreter(inputs):
        return task.label(inputs, "interpreter")

    def by_choice(inputs):
        return task.label(inputs, args.train_labels)

    if args.corpus and args.text_column is not None:
        lines = corpus_sentences(args.corpus, args.text_column, model_encoder(task.model, args.file), config.max_len)
        data = inputs_dataset(config, [line.tokens for line in lines], by_interpreter, sizes, seed,
                              label_train=by_choice)
        numbers: dict[tuple, list[int]] = {}
        for line in lines:
            numbers.setdefault(line.tokens, []).append(line.number)
        held = {name: sorted(n for tokens in split.inputs for n in numbers[tokens])
                for name, split in (("validation", data.validation), ("test", data.test))}
        return TrainingData(data, held)
    if args.corpus:
        return TrainingData(corpus_dataset(config, read_corpus(args.corpus, args.corpus_words), sizes, seed))
    return TrainingData(labelled_dataset(config, by_interpreter, sizes, seed, label_train=by_choice))


def _progress(args: argparse.Namespace, settings: Settings, first_step: int):
    """A tqdm bar on stderr (none with --json, --no-progress, or no terminal)."""
    quiet = args.json or args.no_progress
    return tqdm(total=settings.steps, initial=first_step, unit="step", file=sys.stderr,
                disable=True if quiet else None, dynamic_ncols=True, leave=False)


def _check_resumable(checkpoint, settings: Settings, run: dict, path: str) -> None:
    if checkpoint.settings != settings:
        changed = [k for k, v in settings.to_json().items() if checkpoint.settings.to_json().get(k) != v]
        raise CheckpointError(f"the checkpoint {path} was made with other settings ({', '.join(changed)}); "
                              "resume with the same flags")
    for key, value in run.items():
        if checkpoint.run.get(key) != value:
            raise CheckpointError(f"the checkpoint {path} was made for another run ({key} differs)")


def train_command(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    began = time.perf_counter()
    if not args.out.endswith(".safetensors"):
        raise InputError(f"the model file must end in .safetensors: {args.out}")
    settings = settings_of(args)
    checkpoint_path = args.checkpoint or args.out + ".ckpt"
    task = load_task(args)
    shape = overridden(shape_of(task.model), args.layers, args.heads, args.d_model, args.d_head, args.d_mlp,
                       layer_norm=True if args.layer_norm else None)
    check_start(task.model, shape, Start(args.init, args.noise))
    placement(settings.devices, settings.batch_size)  # refuses a device count or batch that cannot work
    training_data = dataset_of(args, task, shape)
    data = training_data.dataset
    data_seconds = time.perf_counter() - began
    truth = "interpreter" if task.has_program else "model"
    labelled = {"train": truth if args.train_labels == "interpreter" else "model", "held_out": truth}
    labels = "corpus" if args.corpus and args.text_column is None else labelled
    text = {"text_column": args.text_column} if args.text_column is not None else {}
    if task.model.settings.get("tokenizer"):
        text["tokenizer"] = task.model.settings["tokenizer"]  # so that --text reads the trained model too
    run_facts = describe_run(source=args.file, output=task.model.config.output, labels=labels,
                             corpus=args.corpus, shape=shape.to_json(), init=args.init, noise=args.noise,
                             data_digest=data.digest, **text)
    resume = None
    if args.resume:
        resume = load_checkpoint(checkpoint_path)
        _check_resumable(resume, settings, run_facts, checkpoint_path)
    bar = _progress(args, settings, resume.state.step if resume else 0)

    def on_eval(state, record):
        bar.set_postfix(loss=f"{record['loss']:.4f}", val_acc=f"{record['validation_accuracy']:.4f}")

    def on_checkpoint(state):
        save_checkpoint(state, settings, run_facts, checkpoint_path)

    try:
        outcome = fit(task.model, data, shape, settings, Start(args.init, args.noise), resume=resume,
                      facts=run_facts, on_eval=on_eval, on_step=lambda step: bar.update(1),
                      on_checkpoint=on_checkpoint)
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted: the run so far is in {checkpoint_path}; add --resume to continue", file=sys.stderr)
        raise
    bar.close()
    _check_converging(outcome.state.curve, settings)
    seconds = time.perf_counter() - began
    outcome.model.stats.update({"seconds": seconds, "data_seconds": data_seconds})
    if training_data.held_out_lines is not None:
        outcome.model.stats["held_out_lines"] = training_data.held_out_lines
    save_model(outcome.model, args.out)
    curve = outcome.state.curve
    record = {"test_accuracy": outcome.test.sequence_accuracy, "test_token_accuracy": outcome.test.token_accuracy,
              "test_accuracy_by_length": {n: a for n, _, a in outcome.test.by_length},
              "test_mean_abs_error": outcome.test.mean_abs_error, "tolerance": outcome.tolerance,
              "validation_accuracy": outcome.validation.sequence_accuracy, "steps": outcome.state.step,
              "seconds": round(seconds, 3), "data_seconds": round(data_seconds, 3),
              "train_seconds": round(outcome.state.seconds, 3), "stopped_early": outcome.state.step < settings.steps,
              "final_loss": curve[-1]["loss"] if curve else None, "file": args.out,
              "settings": settings.to_json(), **run_facts, "data_sizes": data.sizes()}
    if args.json:
        print(json.dumps(record), file=out)
        return 0
    print(f"trained {args.file} -> {args.out}: {shape.n_layers} layers, heads {list(shape.heads)}, "
          f"d_model {shape.d_model}, d_head {shape.d_head}, d_mlp {shape.d_mlp}", file=out)
    print(f"  test accuracy   {outcome.test.sequence_accuracy:.2%} per sequence, "
          f"{outcome.test.token_accuracy:.2%} per token ({outcome.test.sequences} held-out inputs)", file=out)
    if outcome.test.mean_abs_error is not None:
        print(f"  test error      {outcome.test.mean_abs_error:.4g} mean absolute error per position "
              f"(right: within {outcome.tolerance:g})", file=out)
    print(f"  data            {data.sizes()['train']:,} training, {data.sizes()['validation']:,} validation, "
          f"{data.sizes()['test']:,} test inputs", file=out)
    print(f"  steps           {outcome.state.step}" + (" (stopped early)" if record["stopped_early"] else ""),
          file=out)
    print(f"  time            {seconds:.1f} s ({data_seconds:.1f} s making data)", file=out)
    return 0
