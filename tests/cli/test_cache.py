"""raspc's cache (``raspc.cache``): where it is, how to move or switch it off, and
that a repeated ``raspc run`` finds its compiled forward pass in JAX's persistent
cache instead of compiling it again. No test here (or anywhere: tests/conftest.py)
writes into the user's own cache folder."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from raspc.cache import CACHE_ENV, cache_dir, configure_jax

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_folder_follows_xdg_and_the_override(tmp_path):
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "raspc"
    assert cache_dir({}) == Path.home() / ".cache" / "raspc"
    assert cache_dir({CACHE_ENV: str(tmp_path / "mine"), "XDG_CACHE_HOME": "/elsewhere"}) == tmp_path / "mine"
    for off in ("", "0", "off", "OFF", "none"):
        assert cache_dir({CACHE_ENV: off}) is None


def test_configure_jax_sets_the_folder_and_a_threshold_that_keeps_small_compilations(tmp_path):
    environ = {CACHE_ENV: str(tmp_path)}
    assert configure_jax(environ) == tmp_path / "jax"
    assert environ["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "jax")
    assert float(environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]) < 0.1
    mine = {CACHE_ENV: str(tmp_path), "JAX_COMPILATION_CACHE_DIR": "/users/own"}
    configure_jax(mine)
    assert mine["JAX_COMPILATION_CACHE_DIR"] == "/users/own"  # JAX's own variable wins
    off = {CACHE_ENV: "off"}
    assert configure_jax(off) is None and "JAX_COMPILATION_CACHE_DIR" not in off


def test_the_tests_cache_is_not_the_users():
    folder = cache_dir()
    assert folder is not None
    assert Path(tempfile.gettempdir()) in folder.resolve().parents
    assert not str(folder).startswith(str(Path.home() / ".cache"))


#: A command that runs a JAX pass (a few inputs run in NumPy, with no JAX and no cache).
VERIFY = ["verify", "programs/reverse.rasp", "--max-len", "3"]


def _raspc(environ: dict, argv=VERIFY) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *argv], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=300)


def _clean_environ(**values: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JAX_") and k != CACHE_ENV}
    return {**environ, "PYTHONPATH": str(ROOT), **values}


@pytest.mark.slow
def test_a_repeated_run_reads_the_compiled_pass_from_the_cache(tmp_path):
    environ = _clean_environ(**{CACHE_ENV: str(tmp_path / "cache")})
    first = _raspc(environ)
    assert first.returncode == 0, first.stderr
    assert first.stdout.rstrip().endswith("OK"), first.stdout  # every input of length 1..3 matched
    entries = sorted(p.name for p in (tmp_path / "cache" / "jax").iterdir())
    assert entries, "no compiled pass was written to JAX's cache"
    assert (tmp_path / "cache" / "rasp_parser.lark").is_file()
    second = _raspc(environ)
    assert second.returncode == 0, second.stderr
    assert second.returncode == 0 and second.stdout.rstrip().endswith("OK")
    assert sorted(p.name for p in (tmp_path / "cache" / "jax").iterdir()) == entries  # every lookup a hit


@pytest.mark.slow
def test_an_empty_cache_variable_writes_no_cache(tmp_path):
    environ = _clean_environ(**{CACHE_ENV: "off", "XDG_CACHE_HOME": str(tmp_path / "xdg"),
                                "HOME": str(tmp_path / "home")})
    done = _raspc(environ)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home" / ".cache").exists()
