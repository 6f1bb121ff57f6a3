"""``raspc train``: train a transformer of the compiled model's shape on the program's task.

The model is the runtime's own forward pass with dense, trainable weights: by
default the compiled model's layers, heads per layer, residual, head and MLP
widths (each can be overridden), no normalisation. Inputs are drawn over the
vocabulary with lengths spread over 1..max_len, labelled by the reference
interpreter (or the compiled model), and cut into disjoint training, validation
and test sets; or a TSV corpus of (input, output) pairs gives them. AdamW with a
warm-up and a cosine decay to zero; the trained model is written in the compiled
models' file format, with the settings, the seed, the data digest and the learning
curve in its metadata.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from raspc.errors import InputError
from runtime.io import save_model
from runtime.train.checkpoint import CheckpointError, describe_run, load_checkpoint, save_checkpoint
from runtime.train.data import corpus_dataset, labelled_dataset
from runtime.train.fit import INITS, Start, check_start, fit
from runtime.train.loop import Settings, placement
from runtime.train.shape import GROUPS, overridden, shape_of, trained_config
from cli.commands.compile import add_compile_options, add_program_options
from cli.task import LABELS, Task, load_task, read_corpus

EXAMPLES = """examples:
  raspc train programs/hist.rasp -o hist_trained.safetensors
  raspc train programs/sort.rasp -o sort.safetensors --seed 1 --json
      {"test_accuracy": 1.0, "test_token_accuracy": 1.0, "steps": ..., "seconds": ..., ...}
  raspc train programs/reverse.rasp -o r.safetensors --layers 1          one layer fewer
  raspc train programs/reverse.rasp -o r.safetensors --attention-loss 1  the RASP paper's extra loss
  raspc train programs/reverse.rasp -o r.safetensors --init compiled --noise 0.1 --freeze attention
  raspc train programs/sort.rasp -o s.safetensors --checkpoint-every 500   then, after Ctrl-C: ... --resume
  raspc train programs/hist.rasp -o h.safetensors --corpus pairs.tsv     (input<TAB>output per line)
"""

#: Defaults measured on the standard programs at max_len 10 (README, "Training").
DEFAULTS = Settings()


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a transformer of the compiled shape on the program's task",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp|MODEL.safetensors",
                        help="the program (or a model whose outputs are the task)")
    parser.add_argument("-o", "--out", metavar="TRAINED.safetensors", required=True,
                        help="where to write the trained model")
    shape = parser.add_argument_group("shape (default: the compiled model's)")
    for flag, what in (("--layers", "layers"), ("--heads", "heads in every layer"), ("--d-model", "residual width"),
                       ("--d-head", "head width"), ("--d-mlp", "MLP width")):
        shape.add_argument(flag, metavar="N", type=_positive_int, help=what)
    data = parser.add_argument_group("data")
    data.add_argument("--train-size", metavar="N", type=_positive_int, default=20000,
                      help="training inputs (default 20000)")
    data.add_argument("--val-size", metavar="N", type=_positive_int, default=1000,
                      help="validation inputs (default 1000)")
    data.add_argument("--test-size", metavar="N", type=_positive_int, default=2000,
                      help="held-out test inputs (default 2000)")
    data.add_argument("--train-labels", choices=LABELS, default="model",
                      help="who labels the training inputs: the model FILE compiles to (default: fast) or "
                           "the reference interpreter; the validation and test inputs are always labelled by "
                           "the interpreter when there is a program")
    data.add_argument("--corpus", metavar="PAIRS.tsv",
                      help="train on these (input, output) pairs instead of sampled inputs")
    data.add_argument("--corpus-words", action="store_true",
                      help="the corpus inputs are whitespace-separated words")
    data.add_argument("--data-seed", metavar="N", type=int, help="seed of the data (default: --seed)")
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--seed", metavar="N", type=int, default=DEFAULTS.seed, help="seed (default 0)")
    optim.add_argument("--steps", metavar="N", type=_positive_int, default=DEFAULTS.steps,
                       help=f"optimiser steps (default {DEFAULTS.steps})")
    optim.add_argument("--batch-size", metavar="N", type=_positive_int, default=DEFAULTS.batch_size,
                       help=f"sequences per step, over all devices (default {DEFAULTS.batch_size})")
    optim.add_argument("--lr", metavar="X", type=float, default=DEFAULTS.learning_rate,
                       help=f"peak learning rate (default {DEFAULTS.learning_rate})")
    optim.add_argument("--warmup", metavar="F", type=float, default=DEFAULTS.warmup,
                       help=f"share of the steps spent warming up (default {DEFAULTS.warmup})")
    optim.add_argument("--weight-decay", metavar="X", type=float, default=DEFAULTS.weight_decay,
                       help=f"AdamW weight decay (default {DEFAULTS.weight_decay})")
    optim.add_argument("--eval-every", metavar="N", type=_positive_int, default=DEFAULTS.eval_every,
                       help=f"steps between validation scores (default {DEFAULTS.eval_every})")
    optim.add_argument("--target", metavar="ACC", type=float, default=DEFAULTS.target,
                       help="stop once the validation accuracy per sequence reaches this (0..1)")
    optim.add_argument("--devices", metavar="N", type=_positive_int, default=1,
                       help="train data-parallel over N local JAX devices (default 1)")
    start = parser.add_argument_group("start and guidance")
    start.add_argument("--init", choices=INITS, default="random",
                       help="random weights (default) or the compiled ones")
    start.add_argument("--noise", metavar="S", type=float, default=0.0,
                       help="with --init compiled: add Gaussian noise of this standard deviation")
    start.add_argument("--freeze", metavar="PART", nargs="+", choices=sorted(GROUPS), default=[],
                       help=f"keep these parts fixed: {', '.join(sorted(GROUPS))}")
    start.add_argument("--attention-loss", metavar="W", type=float, default=0.0,
                       help="add W x the squared error between each head's pattern and the compiled head's")
    files = parser.add_argument_group("checkpoints")
    files.add_argument("--checkpoint", metavar="PATH",
                       help="the checkpoint file (default: the output file with .ckpt added)")
    files.add_argument("--checkpoint-every", metavar="K", type=_positive_int, default=0,
                       help="write a checkpoint every K steps (one is written on Ctrl-C in any case)")
    files.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.set_defaults(handler=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {value}")
    return value


def settings_of(args: argparse.Namespace) -> Settings:
    if args.target is not None and not 0 < args.target <= 1:
        raise InputError(f"--target is an accuracy between 0 and 1, not {args.target}")
    if not 0 <= args.warmup < 1:
        raise InputError(f"--warmup is a share of the steps, from 0 up to 1, not {args.warmup}")
    if args.noise and args.init != "compiled":
        raise InputError("--noise applies to --init compiled")
    return Settings(steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr, warmup=args.warmup,
                    weight_decay=args.weight_decay, seed=args.seed, eval_every=args.eval_every,
                    target=args.target, devices=args.devices, attention_weight=args.attention_loss,
                    freeze=tuple(args.freeze), checkpoint_every=args.checkpoint_every)


def dataset_of(args: argparse.Namespace, task: Task, shape):
    config = trained_config(task.model.config, shape)
    sizes = (args.train_size, args.val_size, args.test_size)
    seed = args.seed if args.data_seed is None else args.data_seed
    if args.corpus:
        return corpus_dataset(config, read_corpus(args.corpus, args.corpus_words), sizes, seed)
    return labelled_dataset(config, lambda inputs: task.label(inputs, "interpreter"), sizes, seed,
                            label_train=lambda inputs: task.label(inputs, args.train_labels))


def _progress(args: argparse.Namespace, settings: Settings, first_step: int):
    """A tqdm bar on stderr (none with --json, --no-progress, or no terminal)."""
    from tqdm import tqdm

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


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    began = time.perf_counter()
    if not args.out.endswith(".safetensors"):
        raise InputError(f"the model file must end in .safetensors: {args.out}")
    settings = settings_of(args)
    checkpoint_path = args.checkpoint or args.out + ".ckpt"
    task = load_task(args)
    shape = overridden(shape_of(task.model), args.layers, args.heads, args.d_model, args.d_head, args.d_mlp)
    check_start(task.model, shape, Start(args.init, args.noise))
    placement(settings.devices, settings.batch_size)  # refuses a device count or batch that cannot work
    data = dataset_of(args, task, shape)
    data_seconds = time.perf_counter() - began
    truth = "interpreter" if task.has_program else "model"
    labels = "corpus" if args.corpus else {"train": truth if args.train_labels == "interpreter" else "model",
                                           "held_out": truth}
    run_facts = describe_run(source=args.file, output=task.model.config.output, labels=labels,
                             corpus=args.corpus, shape=shape.to_json(), init=args.init, noise=args.noise,
                             data_digest=data.digest)
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
    seconds = time.perf_counter() - began
    outcome.model.stats.update({"seconds": seconds, "data_seconds": data_seconds})
    save_model(outcome.model, args.out)
    curve = outcome.state.curve
    record = {"test_accuracy": outcome.test.sequence_accuracy, "test_token_accuracy": outcome.test.token_accuracy,
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
    print(f"  steps           {outcome.state.step}" + (" (stopped early)" if record["stopped_early"] else ""),
          file=out)
    print(f"  time            {seconds:.1f} s ({data_seconds:.1f} s making data)", file=out)
    return 0
