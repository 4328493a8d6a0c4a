"""The private names of the installed aiortc, aioice and pylibsrtp, read from their sources, and
where Parley's own code spells one (for tests/test_structure_webrtc.py and test_pinned_names.py).

A name is private when it starts with one underscore and is not a dunder: every ``def _x`` and
``class _X``, every ``self._x``/``cls._x`` assigned or read, every ``_x`` assigned or annotated in
a class or module body, every private module (``pylibsrtp._binding``); a name-mangled ``__x``
inside class ``C`` counts as both ``__x`` and ``_C__x``. Read from the installed sources, so the
set cannot drift from what is installed.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LIBRARIES = ("aiortc", "aioice", "pylibsrtp")
ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "shared" / "webrtc"
ACCESSORS = {"getattr", "setattr", "hasattr", "delattr"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _mangled(name: str, owner: str | None) -> str | None:
    if owner is None or not name.startswith("__") or name.endswith("__"):
        return None
    return f"_{owner.lstrip('_')}{name}"


def library_root(library: str) -> Path:
    spec = importlib.util.find_spec(library)
    assert spec is not None and spec.origin is not None, library
    return Path(spec.origin).parent


@dataclass
class LibraryNames:
    """Every private name of the libraries, and the private names of each of their classes."""

    names: frozenset[str]
    by_class: dict[str, frozenset[str]]
    modules: frozenset[str]


def _class_names(node: ast.ClassDef) -> set[str]:
    """Private names one class defines (methods, class attributes, ``self._x`` anywhere in it)."""
    found: set[str] = set()
    for item in ast.walk(node):
        name: str | None = None
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and item is not node:
            name = item.name
        elif isinstance(item, ast.Attribute) and isinstance(item.value, ast.Name) and item.value.id in ("self", "cls"):
            name = item.attr
        if name is not None and _private(name):
            found.add(name)
            mangled = _mangled(name, node.name)
            if mangled:
                found.add(mangled)
    for statement in node.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        for target in targets:
            if isinstance(target, ast.Name) and _private(target.id):
                found.add(target.id)
                mangled = _mangled(target.id, node.name)
                if mangled:
                    found.add(mangled)
    return found


@functools.cache
def library_names() -> LibraryNames:
    names: set[str] = set()
    modules: set[str] = set()
    by_class: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    for library in LIBRARIES:
        root = library_root(library)
        for path in root.rglob("*"):
            stem = path.name.split(".")[0]
            if path.suffix in (".py", ".so", ".pyd") and _private(stem) and stem != "__init__":
                modules.add(stem)
            if path.suffix != ".py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    own = _class_names(node)
                    by_class.setdefault(node.name, set()).update(own)
                    bases.setdefault(node.name, set()).update(
                        b.attr if isinstance(b, ast.Attribute) else b.id
                        for b in node.bases
                        if isinstance(b, (ast.Attribute, ast.Name))
                    )
                    names.update(own)
                    if _private(node.name):
                        names.add(node.name)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(node.name):
                    names.add(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    if node.value.id in ("self", "cls") and _private(node.attr):
                        names.add(node.attr)
            for statement in tree.body:  # module-level private variables
                targets: list[ast.expr] = []
                if isinstance(statement, ast.Assign):
                    targets = statement.targets
                elif isinstance(statement, ast.AnnAssign):
                    targets = [statement.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name) and _private(t.id))
    names |= modules
    changed = True
    while changed:  # a class also has the private names of the library classes it derives from
        changed = False
        for name, parents in bases.items():
            for parent in parents:
                extra = by_class.get(parent, set()) - by_class[name]
                if extra:
                    by_class[name] |= extra
                    changed = True
    return LibraryNames(frozenset(names), {k: frozenset(v) for k, v in by_class.items()}, frozenset(modules))


@dataclass(frozen=True)
class Use:
    """One place a module spells a library's private name, or imports what only the package may."""

    path: str
    line: int
    name: str
    how: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.how} {self.name!r}"


def _library_of(module: str) -> str | None:
    root = module.split(".")[0]
    return root if root in LIBRARIES else None


def _aiortc_bases(tree: ast.Module) -> dict[str, set[str]]:
    """Classes of this module -> the private names of the library classes they derive from
    (directly, or through another class of the same module)."""
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _library_of(node.module):
            imported.update(alias.asname or alias.name for alias in node.names)
    by_class = library_names().by_class
    inherited: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        found: set[str] = set()
        for base in node.bases:
            if isinstance(base, ast.Name):
                if base.id in imported:
                    found |= by_class.get(base.id, frozenset())
                found |= inherited.get(base.id, set())
            elif isinstance(base, ast.Attribute):
                root = base
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and _library_of(root.id):
                    found |= by_class.get(base.attr, frozenset())
        inherited[node.name] = found
    return inherited


def uses(path: Path, *, imports: bool = True) -> Iterator[Use]:
    """`uses_in` for one file of the repository."""
    return uses_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), imports=imports)


def uses_in(source: str, shown: str, *, imports: bool = True) -> Iterator[Use]:
    """Every private library name ``source`` spells outside ``self``/``cls`` (attributes, keyword
    arguments, names given to getattr/setattr/hasattr/delattr, string subscripts and string
    arguments of ``.get``/``.pop``/``.setdefault``), ``self._x`` in a class derived from a library
    class when ``_x`` is that class's, and (``imports``) imports of aioice, pylibsrtp or private
    aiortc modules and names."""
    private = library_names().names
    tree = ast.parse(source)
    subclass_names = _aiortc_bases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and subclass_names.get(node.name):
            for item in ast.walk(node):
                if (
                    isinstance(item, ast.Attribute)
                    and isinstance(item.value, ast.Name)
                    and item.value.id in ("self", "cls")
                    and item.attr in subclass_names[node.name]
                ):
                    yield Use(shown, item.lineno, item.attr, "an inherited private attribute")
        if imports and isinstance(node, ast.Import):
            for alias in node.names:
                root = _library_of(alias.name)
                if root in ("aioice", "pylibsrtp"):
                    yield Use(shown, node.lineno, alias.name, "imports")
                elif root and any(_private(part) for part in alias.name.split(".")):
                    yield Use(shown, node.lineno, alias.name, "imports a private module")
        elif imports and isinstance(node, ast.ImportFrom) and node.module:
            root = _library_of(node.module)
            if root in ("aioice", "pylibsrtp"):
                yield Use(shown, node.lineno, node.module, "imports from")
            elif root and any(_private(part) for part in node.module.split(".")):
                yield Use(shown, node.lineno, node.module, "imports from a private module")
            elif root:
                for alias in node.names:
                    if _private(alias.name):
                        yield Use(shown, node.lineno, f"{node.module}.{alias.name}", "imports a private name")
        elif isinstance(node, ast.Attribute) and node.attr in private:
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                yield Use(shown, node.lineno, node.attr, "accesses")
        elif isinstance(node, ast.keyword) and node.arg in private:
            yield Use(shown, node.value.lineno, node.arg, "passes the keyword")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            strings: list[ast.expr] = []
            if called in ACCESSORS and len(node.args) >= 2:
                strings.append(node.args[1])
            elif called in ("get", "pop", "setdefault") and isinstance(func, ast.Attribute) and node.args:
                strings.append(node.args[0])
            for arg in strings:
                if isinstance(arg, ast.Constant) and arg.value in private:
                    yield Use(shown, node.lineno, str(arg.value), f"passes to {called}()")
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and key.value in private:
                yield Use(shown, node.lineno, str(key.value), "subscripts with")


def package_names() -> dict[str, list[Use]]:
    """Every private library name `shared.webrtc` spells (attributes, keywords, strings, private
    modules it imports), with where: what tests/shared/webrtc/test_pinned_names.py must pin."""
    private = library_names().names
    found: dict[str, list[Use]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for use in uses(path, imports=False):
            found.setdefault(use.name, []).append(use)
        shown = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in private:
                found.setdefault(node.value, []).append(Use(shown, node.lineno, node.value, "spells"))
            elif isinstance(node, ast.ImportFrom) and node.module and _library_of(node.module):
                for part in node.module.split("."):
                    if _private(part):
                        found.setdefault(part, []).append(Use(shown, node.lineno, node.module, "imports"))
    return found
