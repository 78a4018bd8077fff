"""The shipped stubs (calp/_core.pyi) name exactly what the extension defines, and every
function, method and property of the extension has a docstring."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import calp
from calp import _core

STUB = Path(_core.__file__).with_name("_core.pyi")


def public(names: object) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def defined_names(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return public(names)


def test_the_package_ships_its_stubs_and_py_typed() -> None:
    here = Path(calp.__file__).parent
    assert STUB.exists() and (here / "py.typed").exists()


def test_the_stubs_name_every_module_member() -> None:
    assert defined_names(stub_tree().body) == public(vars(_core))


def test_the_stubs_name_every_class_member() -> None:
    for node in stub_tree().body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(_core, node.name)
            assert defined_names(node.body) == public(vars(cls)), node.name


def documented(name: str, obj: object) -> bool:
    """Whether ``obj`` has a docstring beyond the signatures pybind11 writes itself."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    lines = (getattr(obj, "__doc__", None) or "").splitlines()
    own = [line for line in lines
           if line.strip() and line.strip() != "Overloaded function."
           and not re.match(rf"^(\d+\. )?{re.escape(name)}\(", line.strip())]
    return bool(own)


def test_every_function_method_and_property_has_a_docstring() -> None:
    missing = []
    for name, value in vars(_core).items():
        if name.startswith("_"):
            continue
        if inspect.isclass(value):
            if not documented(name, value):
                missing.append(name)
            for member, attr in vars(value).items():
                if not member.startswith("_") and not documented(member, attr):
                    missing.append(f"{name}.{member}")
        elif callable(value) and not documented(name, value):
            missing.append(name)
    assert missing == []
