"""Every module of every package imports.

The other tests import what they test at the top of the module, so a broken import
stops their collection with an error; this test names the broken module itself,
including modules that no test imports (a command, a benchmark stage).
"""
from __future__ import annotations

import importlib

import pytest

from tests.project.sources import PACKAGES, Module, project_modules

MODULES = [module for module in project_modules() if not module.name.endswith(".__main__")]


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.name)
def test_module_imports(module: Module):
    importlib.import_module(module.name)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_folder_of_modules_is_a_package(package: str):
    """A folder without ``__init__.py`` is not installed (setuptools finds packages by it)."""
    folders = {module.path.parent for module in project_modules((package,))}
    assert all((folder / "__init__.py").is_file() for folder in folders), sorted(map(str, folders))
