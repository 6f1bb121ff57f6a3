"""Where raspc keeps what it can reuse between runs: the RASP parser's tables and
JAX's compiled forward passes.

Building the LALR parser takes more than a second and XLA's compilation of a small
model about half of one, yet both are the same from one command to the next: kept
on disk, a repeated ``raspc run`` skips them. The folder is ``$RASPC_CACHE_DIR`` when
set (empty, ``0`` or ``off`` turn the cache off), else ``raspc`` under
``$XDG_CACHE_HOME`` or ``~/.cache``.

Nothing here imports JAX: ``configure_jax`` sets JAX's options through the
environment variables JAX reads when it is first imported (and through its config,
should it already be), so ``raspc eval`` stays free of it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import MutableMapping

#: The environment variable that moves the cache (or, set to one of OFF, turns it off).
CACHE_ENV = "RASPC_CACHE_DIR"
OFF = ("", "0", "off", "none", "false")
#: Cache every compilation: ours take a fraction of a second, under JAX's default
#: threshold of one second, yet repeating them is most of a short command's time.
MIN_COMPILE_SECONDS = 0.0

#: JAX option name -> the environment variable JAX reads it from at import.
_JAX_OPTIONS = {
    "jax_compilation_cache_dir": "JAX_COMPILATION_CACHE_DIR",
    "jax_persistent_cache_min_compile_time_secs": "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
}


def cache_dir(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """The cache folder (None when the cache is off). Not created here."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in OFF else Path(chosen).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "raspc"


def cache_file(name: str, environ: MutableMapping[str, str] | None = None) -> str | None:
    """The path of one cache file (its folder created), or None when the cache is off
    or its folder cannot be made (a read-only home: the cache is an optimisation)."""
    folder = cache_dir(environ)
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(folder / name)


def configure_jax(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """Point JAX's persistent compilation cache at ``cache_dir()/jax`` (unless the user
    set JAX's own variables, which win); returns the folder, None when off."""
    environ = os.environ if environ is None else environ
    folder = cache_dir(environ)
    if folder is None:
        return None
    folder = folder / "jax"
    values = {"jax_compilation_cache_dir": str(folder),
              "jax_persistent_cache_min_compile_time_secs": str(MIN_COMPILE_SECONDS)}
    jax = sys.modules.get("jax")
    for option, value in values.items():
        variable = _JAX_OPTIONS[option]
        if variable in environ:
            continue
        environ[variable] = value
        if jax is not None:  # already imported (a test, a notebook): its config is read now
            jax.config.update(option, float(value) if option.endswith("_secs") else value)
    return folder
