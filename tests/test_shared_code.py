"""Code taught in a notebook (cells marked ``#@save``) is the same code the ch6 package exports."""
import ast
import importlib
import inspect
import pkgutil

import nbformat
import pytest

import ch6
from ch6.runner import execute as run

SKIP = {"ch6.runner.execute", "ch6.grader.sandbox"}


def saved_definitions():
    """(notebook, name, source) for every top-level def/class in a ``#@save`` cell."""
    for nb_path in run.notebooks():
        for cell in nbformat.read(nb_path, 4).cells:
            if cell.cell_type == "code" and cell.source.lstrip().startswith("#@save"):
                tree = ast.parse(cell.source)
                for node in tree.body:
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        yield nb_path.name, node.name, ast.get_source_segment(cell.source, node)


def package_object(name):
    """Find ``name`` defined in one of the ch6 modules."""
    for info in pkgutil.iter_modules(ch6.__path__):
        module_name = f"ch6.{info.name}"
        if module_name in SKIP:
            continue
        module = importlib.import_module(module_name)
        obj = getattr(module, name, None)
        if obj is not None and getattr(obj, "__module__", None) == module_name:
            return obj
    return None


SAVED = list(saved_definitions())


@pytest.mark.parametrize("notebook, name, source", SAVED, ids=[f"{nb}:{name}" for nb, name, _ in SAVED])
def test_saved_cell_matches_package(notebook, name, source):
    obj = package_object(name)
    assert obj is not None, f"{notebook} defines {name} in a #@save cell, but no ch6 module exports it"
    assert inspect.getsource(obj).strip() == source.strip(), f"{name}: notebook {notebook} and ch6 differ"


def test_some_notebook_has_a_saved_cell():
    assert SAVED, "no #@save cell found in the notebooks: the comparison above would check nothing"
