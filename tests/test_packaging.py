"""environment.yml names the same dependencies as pyproject.toml; requirements.lock pins
every one of them, within its range, with hashes."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _norm(spec: str) -> str:
    name, rest = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower().replace("_", "-") + rest.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_norm(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_norm(d) for d in extra}
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {_norm(d) for d in env["dependencies"] if isinstance(d, str)
             and not d.startswith(("python", "pip"))}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    # packages that only PyPI has (typst's Python binding) are installed by pip
    pip_only = {_norm(d) for d in pip if d != "-e ."}
    assert not conda & pip_only
    assert conda | pip_only == wanted


def test_console_command_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["peerlib"] == "peerlib.cli:main"


def test_lock_pins_every_dependency_within_its_range_with_hashes():
    """`make lock` writes requirements.lock from pyproject.toml; a dependency added to
    pyproject.toml without refreshing the lock (or a lock out of range) fails here."""
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    pins = {m.group(1).lower().replace("_", "-"): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}
    for spec in wanted:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)


# ------------------------------------------------------------------------ package shape
def _modules():
    import pkgutil

    import peerlib

    return [m for m in pkgutil.walk_packages(peerlib.__path__, "peerlib.")
            if not m.name.endswith("__main__")]


def test_every_module_star_imports_and_its_all_matches_what_exists():
    """`from peerlib.x import *` works for every module; __all__ names only what exists,
    once, and every public function or class a module defines is in it."""
    import importlib
    import inspect

    for info in _modules():
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        assert names is not None, f"{info.name} has no __all__"
        assert len(names) == len(set(names)), f"{info.name}: a name twice in __all__"
        assert not [n for n in names if not hasattr(module, n)], info.name
        exec(f"from {info.name} import *", {})  # noqa: S102 (the point of the test)
        if not info.ispkg:
            defined = [n for n, v in vars(module).items() if not n.startswith("_")
                       and (inspect.isfunction(v) or inspect.isclass(v))
                       and getattr(v, "__module__", None) == info.name]
            assert not [n for n in defined if n not in names], (info.name, defined)


#: Layers of the package (DESIGN.md): a module may import from its own layer or below.
_LAYERS = {"errors": 0, "paths": 0, "_files": 0, "_lazy": 0, "codebook": 0, "privacy": 0,
           "disclosure": 0, "schedules": 0, "limits": 0, "part1": 1, "part2": 1, "reporting": 2,
           "batch": 3, "cli": 4, "__main__": 4}


def _layer(dotted: str) -> tuple[str, int]:
    top = dotted.split(".")[1] if dotted.count(".") else ""
    return top, _LAYERS.get(top, -1)


def test_no_module_imports_upward():
    """Parsed with ast (lazy imports inside functions count too): core <- part1/part2 <-
    reporting <- batch <- cli; Part 2 may build on Part 1, never the other way round; no
    module reaches into another folder's private (_name) module or name."""
    import ast

    import peerlib

    root = Path(peerlib.__file__).parent
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        if name == "peerlib":
            continue  # the facade re-exports from core and part1
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        top, level = _layer(name)
        assert level >= 0, f"{name}: not in a layer of DESIGN.md"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets = [target] if target.startswith("peerlib.") else []
                if target == "peerlib":  # from .. import __version__ / a sibling module
                    targets = [f"peerlib.{a.name}" if a.name in _LAYERS else "peerlib"
                               for a in node.names]
                imported = [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("peerlib.")]
                imported = []
            else:
                continue
            for t in targets:
                ttop, tlevel = _layer(t)
                if t == "peerlib":
                    continue
                if tlevel > level or (top == "part1" and ttop == "part2"):
                    problems.append(f"{name} imports {t} (upward)")
                if ttop != top and (any(p.startswith("_") and p != "_files"
                                        for p in t.split(".")[2:])
                                    or any(n.startswith("_") for n in imported)):
                    problems.append(f"{name} imports a private name of {t}: {imported}")
    assert not problems, "\n".join(problems)
