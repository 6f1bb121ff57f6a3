"""``raspc train``: train a transformer of the compiled model's shape on the program's task.

The model is the runtime's own forward pass with dense, trainable weights: by
default the compiled model's layers, heads per layer, residual, head and MLP
widths (each can be overridden), no normalisation unless ``--layer-norm``. Inputs are drawn over the
vocabulary with lengths spread over 1..max_len and cut into disjoint training,
validation and test sets (the held-out ones labelled by the reference interpreter,
the training set by the compiled model unless asked otherwise); or a TSV corpus of
(input, output) pairs gives them, or a TSV corpus of sentences the inputs alone.
AdamW with a warm-up and a cosine decay to zero, stopping once the validation set is all right; the trained model is written in the
compiled models' file format, with the settings, the seed, the data digest and the
learning curve in its metadata.
"""
from __future__ import annotations

import argparse

from runtime.train.settings import GROUPS, INITS, Settings
from cli.programs import add_compile_options, add_program_options, positive_int
from cli.training import train_command

EXAMPLES = """examples:
  raspc train programs/hist.rasp -o hist_trained.safetensors
  raspc train programs/sort.rasp -o sort.safetensors --seed 1 --json
      {"test_accuracy": 1.0, "test_token_accuracy": 1.0, "steps": ..., "seconds": ..., ...}
  raspc train programs/reverse.rasp -o r.safetensors --layers 1          one layer fewer
  raspc train programs/reverse.rasp -o r.safetensors --layer-norm        pre-norm layer norm, as GPT-2 has
  raspc train programs/reverse.rasp -o r.safetensors --attention-loss 1  the RASP paper's extra loss
  raspc train programs/reverse.rasp -o r.safetensors --init compiled --noise 0.1 --freeze attention
  raspc train programs/sort.rasp -o s.safetensors --checkpoint-every 500   then, after Ctrl-C: ... --resume
  raspc train programs/hist.rasp -o h.safetensors --corpus pairs.tsv     (input<TAB>output per line)
  raspc train programs/nlp/sentiment.rasp -o sentiment_trained.safetensors --corpus tweets.tsv --text-column 3
      sentences cut by the program's @tokenizer, labelled by the program (programs/nlp/README.md)
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
        shape.add_argument(flag, metavar="N", type=positive_int, help=what)
    shape.add_argument("--layer-norm", action="store_true",
                       help="a layer norm before each attention, each MLP and the unembedding (the compiled "
                            "model has none); recorded in the model file")
    data = parser.add_argument_group("data")
    data.add_argument("--train-size", metavar="N", type=positive_int, default=20000,
                      help="training inputs (default 20000)")
    data.add_argument("--val-size", metavar="N", type=positive_int, default=1000,
                      help="validation inputs (default 1000)")
    data.add_argument("--test-size", metavar="N", type=positive_int, default=2000,
                      help="held-out test inputs (default 2000)")
    data.add_argument("--train-labels", choices=("model", "interpreter"), default="model",
                      help="who labels the training inputs: the model FILE compiles to (default: fast) or "
                           "the reference interpreter; the validation and test inputs are always labelled by "
                           "the interpreter when there is a program")
    data.add_argument("--corpus", metavar="PAIRS.tsv",
                      help="train on these (input, output) pairs instead of sampled inputs")
    data.add_argument("--corpus-words", action="store_true",
                      help="the corpus inputs are whitespace-separated words")
    data.add_argument("--text-column", metavar="K", type=positive_int,
                      help="the corpus is a TSV of sentences (raspc eval-corpus's format): column K (from 1) is "
                           "cut into tokens by the program's @tokenizer, and the outputs are labelled as sampled "
                           "inputs are (see --train-labels)")
    data.add_argument("--data-seed", metavar="N", type=int, help="seed of the data (default: --seed)")
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--seed", metavar="N", type=int, default=DEFAULTS.seed, help="seed (default 0)")
    optim.add_argument("--steps", metavar="N", type=positive_int, default=DEFAULTS.steps,
                       help=f"optimiser steps (default {DEFAULTS.steps})")
    optim.add_argument("--batch-size", metavar="N", type=positive_int, default=DEFAULTS.batch_size,
                       help=f"sequences per step, over all devices (default {DEFAULTS.batch_size})")
    optim.add_argument("--lr", metavar="X", type=float, default=DEFAULTS.learning_rate,
                       help=f"peak learning rate (default {DEFAULTS.learning_rate})")
    optim.add_argument("--warmup", metavar="F", type=float, default=DEFAULTS.warmup,
                       help=f"share of the steps spent warming up (default {DEFAULTS.warmup})")
    optim.add_argument("--weight-decay", metavar="X", type=float, default=DEFAULTS.weight_decay,
                       help=f"AdamW weight decay (default {DEFAULTS.weight_decay})")
    optim.add_argument("--eval-every", metavar="N", type=positive_int, default=DEFAULTS.eval_every,
                       help=f"steps between validation scores (default {DEFAULTS.eval_every})")
    optim.add_argument("--target", metavar="ACC", type=float, default=DEFAULTS.target,
                       help="stop once the validation accuracy per sequence reaches this (0..1; default "
                            f"{DEFAULTS.target}: every validation input right)")
    optim.add_argument("--no-early-stop", action="store_true", help="train for all --steps whatever the accuracy")
    optim.add_argument("--devices", metavar="N", type=positive_int, default=1,
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
    files.add_argument("--checkpoint-every", metavar="K", type=positive_int, default=0,
                       help="write a checkpoint every K steps (one is written on Ctrl-C in any case)")
    files.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out=None) -> int:
    # The training machinery (JAX, optax) loads when the command runs, so that
    # every other command starts without it.
    return train_command(args, out)
