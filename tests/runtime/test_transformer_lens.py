"""raspc's cache equals TransformerLens's ``run_with_cache`` on the exported model,
for every hook both have, on every bundled program.

Runs where torch and transformer_lens are installed (``make interchange`` installs
them in a separate environment); skipped elsewhere. TransformerLens 3.x loads the
export into ``HookedTransformer``; 4.x builds a native ``TransformerBridge`` and
converts the classic names with ``convert_tl_checkpoint``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from runtime.engine.batching import encode
from runtime.engine.hooks import run_with_cache
from runtime.export import read_transformer_lens, write_transformer_lens
from tests.runtime.lens.bundled import NAMES, bundled, random_inputs

torch = pytest.importorskip("torch")
transformer_lens = pytest.importorskip("transformer_lens")
safetensors_torch = pytest.importorskip("safetensors.torch")

TOLERANCE = 1e-4


def _hooked_transformer(folder: Path):
    """TransformerLens 3.x (None where HookedTransformer is gone)."""
    try:
        from transformer_lens import HookedTransformer, HookedTransformerConfig
    except (ImportError, AttributeError):
        return None
    config = HookedTransformerConfig(**json.loads((folder / "config.json").read_text()))
    model = HookedTransformer(config)
    missing, unexpected = model.load_state_dict(safetensors_torch.load_file(str(folder / "model.safetensors")),
                                                strict=False)
    assert not unexpected and all(k.endswith((".mask", ".IGNORE")) for k in missing), (missing, unexpected)
    return model


def _bridge(folder: Path):
    """TransformerLens 4.x: a native bridge with the classic checkpoint converted."""
    from transformer_lens import TransformerBridge, TransformerBridgeConfig
    from transformer_lens.utilities.tl_checkpoint_conversion import convert_tl_checkpoint

    config = TransformerBridgeConfig(**json.loads((folder / "config.json").read_text()),
                                     architecture="TransformerLensNative")
    bridge = TransformerBridge.boot_native(config)
    state = convert_tl_checkpoint(safetensors_torch.load_file(str(folder / "model.safetensors")), config)
    bridge.load_state_dict(state, strict=True)
    return bridge


def _loaded(folder: Path):
    model = _hooked_transformer(folder)
    return (model, ()) if model is not None else \
        (_bridge(folder), ("attn.hook_attn_scores",))  # 4.x's native bridge fires this hook with the pattern


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", NAMES)
def test_cache_equals_transformer_lens_run_with_cache(name, tmp_path):
    case = bundled(name)
    write_transformer_lens(case.model, str(tmp_path))
    exported = read_transformer_lens(str(tmp_path))
    theirs_model, unlike = _loaded(tmp_path)
    compared = 0
    for tokens in [case.example] + random_inputs(case.model, 2, seed=7):
        ids = encode(case.model.config, tokens)
        ours = run_with_cache(exported.params, ids, exported.config)
        original = run_with_cache(case.model.params, ids, case.model.config)
        with torch.no_grad():
            logits, theirs = theirs_model.run_with_cache(torch.tensor(ids[None], dtype=torch.long))
        np.testing.assert_allclose(logits.numpy(), original.logits, rtol=1e-5, atol=TOLERANCE)
        for hook in ours.names():
            if hook not in theirs or hook.endswith(unlike):
                continue
            np.testing.assert_allclose(theirs[hook].numpy(), ours[hook], rtol=1e-5, atol=TOLERANCE, err_msg=hook)
            compared += 1
    assert compared >= 3 * (13 - len(unlike)) * case.model.config.n_layers
