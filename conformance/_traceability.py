"""Which requirement IDs the suite's code names, and which ones each test can fail, read from its source.

A requirement ID reaches a verdict through string literals: a marker lists it, ``ConformanceFailure(...)`` or
``require(...)`` names it, a helper's default argument or a table row passes it on. Nothing checks those
literals at run time, so they are read here from the syntax trees (nothing is imported or run):

``unknown_literals``
    every literal that looks like an ID (``SJ-`` and no white space) but is not in the catalog, as
    ``file:line`` problems. The plugin refuses to collect a suite module that has one.
``Source.failable``
    for each test function, the IDs it can fail: the ID literals of its body and decorators and,
    transitively, of the functions, methods, fixtures and classes of the analysed files that it calls or
    names. Calls are resolved by name, conservatively: a bare name is the module's own definition or its
    import (else any top-level definition of that name: a test's parameters name its fixtures), ``m.name``
    a definition of the analysed module ``m``, any other attribute every method of that name. A default
    argument counts only at the calls that do not pass it. The result over-approximates: an ID that some
    path can fail counts. Module-level tables are not followed: a test that looks a row up fails that row's
    IDs only, which the syntax does not tell; a table-driven test lists its rows' IDs with per-row marks.

The analysed files are the suite package (``conformance/suite/*.py``) and ``conformance/_checks.py``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: a string literal that names a requirement, or tries to (a typo must not slip through as prose)
ID_LITERAL = re.compile(r"(?i)SJ-\S*")

PACKAGE = Path(__file__).parent
SUITE = PACKAGE / "suite"
CHECKS = PACKAGE / "_checks.py"

_FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef


def analysed_files() -> list[Path]:
    """The suite package's modules and the checks they share."""
    return [*sorted(SUITE.glob("*.py")), CHECKS]


@dataclass(frozen=True)
class Literal:
    """One ID literal and where it is."""

    path: Path
    line: int
    value: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.value!r}"


def id_literals(path: Path, tree: ast.AST) -> Iterator[Literal]:
    """The ID literals of a module, in source order."""
    found = [Literal(path, n.lineno, str(n.value)) for n in _id_constants(list(ast.walk(tree)))]
    yield from sorted(found, key=lambda lit: lit.line)


def _id_constants(nodes: list[ast.AST]) -> Iterator[ast.Constant]:
    """The string constants among ``nodes`` that look like IDs (the constant parts of f-strings do not)."""
    parts = {id(v) for n in nodes if isinstance(n, ast.JoinedStr) for v in n.values}
    strings = (n for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str))
    yield from (c for c in strings if id(c) not in parts and ID_LITERAL.fullmatch(str(c.value)))


def unknown_literals(paths: Iterable[Path | str], known: Collection[str]) -> list[str]:
    """``file:line`` problems for the ID literals of ``paths``, and of the ``conftest.py`` and the helper
    modules (``_*.py``) beside them, that are not catalog IDs.

    A quick scan of the text comes first: a module whose every quoted ``SJ-...`` is a catalog ID, closed by
    its quote, has no wrong literal, and is not parsed. Any other is parsed (once), and its syntax tree says
    which literals are wrong (a quoted text in a comment is none)."""
    files = {Path(p) for p in paths}
    for folder in {f.parent for f in files}:
        files |= {p for p in folder.glob("_*.py") if p.name != "__init__.py"}
        files |= {c for c in [folder / "conftest.py"] if c.is_file()}
    problems = []
    for path in sorted(files):
        try:
            source = path.read_bytes()
        except OSError:
            continue
        if all(_known_quote(m, known) for m in _QUOTED_ID.finditer(source)):
            continue
        for literal in id_literals(path, ast.parse(source, str(path))):
            if literal.value not in known:
                problems.append(f"{literal} names no requirement of spec/requirements.yaml")
    return problems


#: a quote, then what may be an ID literal: its text up to the next quote, white space or backslash
_QUOTED_ID = re.compile(rb"""(["'])((?i:SJ-)[^\s"'\\]*)(["']?)""")


def _known_quote(match: re.Match[bytes], known: Collection[str]) -> bool:
    opening, text, closing = match.groups()
    return closing == opening and text.decode("ascii", "replace") in known


# -- the call graph ------------------------------------------------------------------------------------
@dataclass
class _Node:
    """A function, method or class, with the IDs it names itself and the definitions it uses."""

    key: str
    ids: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Def:
    key: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    #: how a call reaches it: function, method (bound through an attribute), static, class, property
    kind: str


class _Module:
    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.name = path.stem
        self.tree = tree
        self.defs: dict[str, _Def] = {}
        self.methods: list[tuple[str, _Def]] = []
        self.globals: set[str] = set()
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (module, name), function-local too
        for stmt in tree.body:
            self._top_level(stmt)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module.rsplit(".", 1)[-1], alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    stem = alias.name.rsplit(".", 1)[-1]
                    self.imports[alias.asname or alias.name.split(".")[0]] = (stem, stem)

    def _top_level(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, _FunctionDef):
            self.defs[stmt.name] = _Def(f"{self.name}:{stmt.name}", stmt, "function")
        elif isinstance(stmt, ast.ClassDef):
            self.defs[stmt.name] = _Def(f"{self.name}:{stmt.name}", stmt, "class")
            for item in stmt.body:
                if isinstance(item, _FunctionDef):
                    key = f"{self.name}:{stmt.name}.{item.name}"
                    self.methods.append((item.name, _Def(key, item, _method_kind(item))))
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            self.globals |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(stmt, ast.If | ast.Try):
            for inner in [*stmt.body, *stmt.orelse]:
                self._top_level(inner)


def _method_kind(fn: _FunctionDef) -> str:
    names = {d.id for d in fn.decorator_list if isinstance(d, ast.Name)}
    names |= {d.attr for d in fn.decorator_list if isinstance(d, ast.Attribute)}
    if "staticmethod" in names:
        return "static"
    if "property" in names or "cached_property" in names:
        return "property"
    return "method"


def _literal_ids(node: ast.AST) -> set[str]:
    return {str(c.value) for c in _id_constants(list(ast.walk(node)))}


def _defaults_left(fn: _FunctionDef, call: ast.Call | None, skip: int) -> set[str]:
    """The ID literals of ``fn``'s default arguments that ``call`` does not replace (all, without a call)."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    fixed, names = 0, set[str]()
    if call is not None:
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                break
            fixed += 1
        names = {k.arg for k in call.keywords if k.arg is not None}
    ids: set[str] = set()
    first = len(positional) - len(args.defaults)
    for index, default in enumerate(args.defaults, start=first):
        if not (index - skip < fixed or positional[index].arg in names):
            ids |= _literal_ids(default)
    for param, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if kw_default is not None and param.arg not in names:
            ids |= _literal_ids(kw_default)
    return ids


class Source:
    """The analysed files, each parsed once, and the call graph between their definitions."""

    def __init__(self, paths: Iterable[Path] | None = None) -> None:
        self.modules: dict[str, _Module] = {}
        for path in analysed_files() if paths is None else paths:
            tree = ast.parse(path.read_bytes(), str(path))
            self.modules[path.stem] = _Module(path, tree)
        self._functions: dict[str, list[_Def]] = {}  # top-level functions and classes by name
        self._methods: dict[str, list[_Def]] = {}  # methods (properties too) by name
        for module in self.modules.values():
            for name, found in module.defs.items():
                self._functions.setdefault(name, []).append(found)
            for name, found in module.methods:
                self._methods.setdefault(name, []).append(found)
        self._nodes: dict[str, _Node] = {}
        for module in self.modules.values():
            self._add_nodes(module)
        self._closure = self._close()

    # -- queries -------------------------------------------------------------------------------------
    def literals(self) -> list[Literal]:
        return [lit for m in self.modules.values() for lit in id_literals(m.path, m.tree)]

    def failable(self) -> dict[str, frozenset[str]]:
        """``module.py::test_name`` -> the IDs the test function can fail (see the module docstring)."""
        return {
            f"{m.path.name}::{name}": frozenset(self._closure[found.key])
            for m in self.modules.values()
            if m.name.startswith("test_")
            for name, found in m.defs.items()
            if name.startswith("test_") and found.kind == "function"
        }

    # -- building ------------------------------------------------------------------------------------
    def _add_nodes(self, module: _Module) -> None:
        for found in [*module.defs.values(), *(d for _, d in module.methods)]:
            node = found.node
            if isinstance(node, ast.ClassDef):
                body = [s for s in node.body if not isinstance(s, _FunctionDef)]
                graph = self._scan(module, [*node.decorator_list, *body])
                for name, method in module.methods:
                    if method.key.startswith(f"{found.key}.") and name in ("__init__", "__post_init__"):
                        graph.uses.add(method.key)
                        assert not isinstance(method.node, ast.ClassDef)
                        graph.ids |= _defaults_left(method.node, None, 1)
            else:
                assert isinstance(node, _FunctionDef)
                params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
                graph = self._scan(module, [*node.decorator_list, *node.body], params)
            graph.key = found.key
            self._nodes[found.key] = graph

    def _scan(self, module: _Module, roots: Iterable[ast.AST], params: Iterable[str] = ()) -> _Node:
        """The IDs named in ``roots`` and the definitions they use (a call's unreplaced defaults count)."""
        nodes = [n for root in roots for n in ast.walk(root)]
        graph = _Node("", ids={str(c.value) for c in _id_constants(nodes)})
        calls = {id(n.func): n for n in nodes if isinstance(n, ast.Call)}
        for name in params:  # a test's parameters name its fixtures
            graph.uses |= {d.key for d in self._by_name(module, name)}
        for node in nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self._use(graph, self._by_name(module, node.id), calls.get(id(node)), via_attribute=False)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                self._use(graph, self._by_attribute(module, node), calls.get(id(node)), via_attribute=True)
        return graph

    def _use(self, graph: _Node, targets: list[_Def], call: ast.Call | None, *, via_attribute: bool) -> None:
        for target in targets:
            graph.uses.add(target.key)
            if isinstance(target.node, _FunctionDef):
                skip = 1 if via_attribute and target.kind == "method" else 0
                graph.ids |= _defaults_left(target.node, call, skip)

    def _by_name(self, module: _Module, name: str) -> list[_Def]:
        """What a bare name means: the module's own definition, its import, else any of that name."""
        if name in module.defs:
            return [module.defs[name]]
        if name in module.globals:
            return []
        if name in module.imports:  # from an analysed module, or from elsewhere (then nothing of ours)
            where, imported = module.imports[name]
            source = self.modules.get(where)
            return [source.defs[imported]] if source is not None and imported in source.defs else []
        return list(self._functions.get(name, []))  # a local, a parameter (a fixture's name), a builtin

    def _by_attribute(self, module: _Module, node: ast.Attribute) -> list[_Def]:
        """What ``x.name`` means: a definition of the module ``x`` names, else any method of that name."""
        if isinstance(node.value, ast.Name) and node.value.id in module.imports:
            where, imported = module.imports[node.value.id]
            source = self.modules.get(imported)
            if source is not None:  # an analysed module (``_wire.request_then_follow``)
                return [source.defs[node.attr]] if node.attr in source.defs else []
            if where not in self.modules:  # a name from elsewhere (``json.loads``, ``pytest.mark``)
                return []
        return list(self._methods.get(node.attr, []))

    def _close(self) -> dict[str, set[str]]:
        closure = {key: set(node.ids) for key, node in self._nodes.items()}
        changed = True
        while changed:
            changed = False
            for key, node in self._nodes.items():
                found = closure[key]
                size = len(found)
                for used in node.uses:
                    if used != key and used in closure:
                        found |= closure[used]
                changed = changed or len(found) != size
        return closure
