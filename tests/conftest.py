"""What every test shares: the project's folders, and the ``slow`` marker's meaning.

The folders are constants (``from tests.conftest import PROGRAMS``) for use at
collection time, in ``parametrize``, and fixtures of the same names in lower case for
use inside tests. The ``slow`` marker is registered in pyproject.toml
(``--strict-markers`` refuses any other); ``make test`` runs every test, ``make
test-fast`` leaves out the slow ones.

A test that marks itself slow is one of the few that dominate the suite's time
(whole-program compilation over many inputs, the differential fuzzer, end-to-end
command runs); a developer's quick answer runs the rest.

raspc's cache (the parser's tables, JAX's compiled passes: ``raspc.cache``) goes to a
temporary folder for the whole run, set before any test parses or compiles, so that
no test writes into the user's own cache; subprocesses inherit it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from raspc.cache import CACHE_ENV

#: The repository's root: the folder holding pyproject.toml.
ROOT = Path(__file__).resolve().parent.parent
#: The bundled RASP programs (programs/*.rasp).
PROGRAMS = ROOT / "programs"
#: Files the tests read: the original RASP repository's examples, model files, ...
DATA = ROOT / "tests" / "data"
#: Programs the differential fuzzer once found wrong, checked on every run.
REGRESSIONS = ROOT / "tests" / "regressions"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def programs_dir() -> Path:
    return PROGRAMS


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def regressions_dir() -> Path:
    return REGRESSIONS


_TEST_CACHE = tempfile.mkdtemp(prefix="raspc_test_cache_")
os.environ[CACHE_ENV] = _TEST_CACHE


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_TEST_CACHE, ignore_errors=True)
