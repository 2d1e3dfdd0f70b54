"""The layout rules, checked statically on the source (nothing is imported):

* the folders ``training/`` and ``export/`` are the packages ``zoo.training`` and ``zoo.export``
  (setup.py's ``package_dir``): the distribution claims one top-level name, ``zoo``;
* the zoo's core (``zoo/``) imports nothing from ``zoo.training``, ``zoo.export`` or ``bench``;
  ``zoo.export`` nothing from ``zoo.training``;
* no import cycle among the modules of ``zoo/``, counting function-level imports too (a local
  import that only dodges a cycle is still a cycle).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# folder of the repository -> the package it installs as
PACKAGES = {"zoo": "zoo", "training": "zoo.training", "export": "zoo.export", "bench": "bench"}
OUTSIDE_CORE = ("zoo.training", "zoo.export")


def module_name(path, root=ROOT, packages=None):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    parts[0] = (packages or {}).get(parts[0], parts[0])
    return ".".join(parts)


def source_modules(root=ROOT, packages=PACKAGES):
    """``{module name: path}`` of every ``.py`` file under the given top-level folders."""
    packages = packages if isinstance(packages, dict) else {name: name for name in packages}
    modules = {}
    for folder in packages:
        for path in sorted((root / folder).rglob("*.py")):
            modules[module_name(path, root, packages)] = path
    return modules


def package_of(name):
    """``zoo`` (the core), ``zoo.training``, ``zoo.export`` or the top-level name."""
    for outside in OUTSIDE_CORE:
        if name == outside or name.startswith(outside + "."):
            return outside
    return name.split(".")[0]


def imports_of(name, path, known):
    """``[(imported module, line)]`` for every import statement in the file, at any depth.

    ``from a.b import c`` counts as an import of ``a.b.c`` when that is a module in ``known``,
    else of ``a.b``; relative imports are resolved against ``name``.
    """
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full if full in known else base, node.lineno))
    return found


def import_graph(modules):
    """``{module: {imported module of ``modules``: first line}}``."""
    graph = {}
    for name, path in modules.items():
        edges = graph.setdefault(name, {})
        for target, line in imports_of(name, path, modules):
            if target in modules and target != name:
                edges.setdefault(target, line)
    return graph


def find_cycle(graph):
    """One import cycle ``[a, b, ..., a]`` of ``graph`` (``{node: iterable of nodes}``), or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target, stack)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


MODULES = source_modules()


def forbidden_imports(importer_package, forbidden):
    hits = []
    for name, path in MODULES.items():
        if package_of(name) != importer_package:
            continue
        for target, line in imports_of(name, path, MODULES):
            if package_of(target) in forbidden:
                hits.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    return hits


def test_the_checks_see_the_source():
    assert {"zoo.registry", "zoo.dcgan.model", "zoo.export.onnx", "zoo.training.evaluate"} <= set(MODULES)
    graph = import_graph(MODULES)
    assert "zoo.base" in graph["zoo.dcgan.model"] and "zoo.losses" in graph["zoo.base"]


def test_zoo_imports_nothing_from_training_export_or_bench():
    assert forbidden_imports("zoo", {"zoo.training", "zoo.export", "bench"}) == []


def test_export_imports_nothing_from_training():
    assert forbidden_imports("zoo.export", {"zoo.training"}) == []


def test_no_top_level_training_or_export_imports():
    """Everything imports the installed names; a bare ``training.x`` would need the checkout on sys.path."""
    hits = [f"{path.relative_to(ROOT)}:{line} imports {target}"
            for name, path in MODULES.items() for target, line in imports_of(name, path, MODULES)
            if target.split(".")[0] in ("training", "export")]
    hits += [f"{path.relative_to(ROOT)}" for path in sorted((ROOT / "tests").glob("*.py"))
             if any(target.split(".")[0] in ("training", "export")
                    for target, _ in imports_of(path.stem, path, MODULES))]
    assert hits == []


def test_the_installed_distribution_claims_only_zoo():
    import setuptools

    captured = {}
    real_setup = setuptools.setup
    setuptools.setup = lambda **kwargs: captured.update(kwargs)
    try:
        source = (ROOT / "setup.py").read_text(encoding="utf-8").replace('open("README.md"', f'open({str(ROOT / "README.md")!r}')
        exec(compile(source, "setup.py", "exec"), {"__name__": "__main__"})
    finally:
        setuptools.setup = real_setup
    packages = captured["packages"]
    assert {package.split(".")[0] for package in packages} == {"zoo"}
    assert {"zoo", "zoo.training", "zoo.training.evaluation", "zoo.export", "zoo.dcgan"} <= set(packages)
    assert captured["package_dir"] == {"zoo.training": "training", "zoo.export": "export",
                                       "zoo.saved_models": "saved_models"}  # the shipped models ride inside zoo
    assert "zoo.saved_models" in packages


def test_no_script_inserts_into_sys_path():
    hits = [str(path.relative_to(ROOT)) for folder in ("zoo", "training", "export", "bench", "tests")
            for path in sorted((ROOT / folder).rglob("*.py")) if path != Path(__file__).resolve()
            if "sys.path.insert" in path.read_text(encoding="utf-8") or "sys.path.append" in path.read_text(encoding="utf-8")]
    assert hits == [], "scripts import through the installed package, not sys.path: " + ", ".join(hits)


def test_no_import_cycle_among_zoo_modules():
    graph = import_graph({name: path for name, path in MODULES.items() if package_of(name) == "zoo"})
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(
        f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_the_checks_catch_function_level_imports_and_cycles(tmp_path):
    package = tmp_path / "zoo"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .b import thing\n")
    (package / "a.py").write_text("from zoo.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from ..a import x\n    import zoo.training.fit\n")
    modules = source_modules(tmp_path, ("zoo",))
    assert imports_of("zoo.sub.b", modules["zoo.sub.b"], modules) == [("zoo.a", 2), ("zoo.training.fit", 3)]
    assert ("zoo.sub.b", 1) in imports_of("zoo.sub", modules["zoo.sub"], modules)
    assert find_cycle(import_graph(modules)) == ["zoo.a", "zoo.sub.b", "zoo.a"]
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
