"""Old flat module paths still import, as the same module objects, with a warning."""

from __future__ import annotations

import importlib
import sys

import pytest

import oreshock
from oreshock._compat import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_old_path_gives_the_moved_module(old, new):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__spec__.name == new  # the moved module keeps its own identity


def test_public_api_names_exist():
    missing = [name for name in oreshock.__all__ if not hasattr(oreshock, name)]
    assert not missing


def test_old_module_path_leaves_the_public_function_in_place():
    sys.modules.pop("oreshock.simulate", None)
    with pytest.warns(DeprecationWarning):
        importlib.import_module("oreshock.simulate")
    assert callable(oreshock.simulate)
    assert not isinstance(oreshock.simulate, type(sys))
