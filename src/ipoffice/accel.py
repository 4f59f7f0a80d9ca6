"""Compiled copies of the hot pure-Python modules (Cython), used only while they match their source.

Why: the trademark desk's conflict search and gazette judging spend their time in per-candidate Python code
(the similarity rules, the transliteration pre-test, the index's candidate stream), and the profile is flat:
no one function left to rewrite. Cython compiles these same ``.py`` files, unchanged, to C extension modules:
the trademark tests pass on them, gazette judging gives byte-identical results, and both run about 1.25-1.4x
faster (docs/benchmarks.md, session 16). Annotation typing is off, so a compiled module behaves as the
interpreter runs its source (no C ints or doubles from type hints).

Why a finder and a folder keyed by the source's hash, not setuptools' ``ext_modules``: an editable install
puts the ``.so`` beside the ``.py``, and Python then imports the ``.so`` even after the ``.py`` was edited, so
a change would silently not run. Here a compiled module is found under the SHA-256 of the source it was
built from (``<accel dir>/<module>/<hash>/<leaf><suffix>``); once the source changes, nothing matches and the
source runs until ``ipoffice accel build`` is run again. Nothing needs the compiled copies: without Cython or a
C compiler everything runs as plain Python, with the same results.

Where: ``$IPOFFICE_ACCEL_DIR``, else ``<sys.prefix>/ipoffice-accel`` (the virtual environment, built by
``make install``). ``IPOFFICE_PURE=1`` turns the compiled copies off (tests compare both ways).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

#: the modules compiled: the trademark desk's per-candidate work. ``rules`` stays Python (pydantic models read
#: their classes' annotations), and so does ``batch`` (Spark's cloudpickle ships its local functions by code)
MODULES: tuple[str, ...] = tuple(
    f"ipoffice.trademarks.{m}"
    for m in (
        "similarity",
        "phonetic",
        "translit",
        "index",
        "normalize",
        "search",
        "keys",
        "meaning",
        "hanzi",
        "words",
        "goods",
        "align",  # align.pyx: C only, no Python twin (phonetic and translit fall back to their own code)
        "postings",  # postings.pyx: C only (index falls back to numpy)
    )
)
#: changes when the way modules are compiled changes (directives below), so older builds stop matching
BUILD_TAG = b"cython3-plain-1"
DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False}


def pure() -> bool:
    """Whether compiled copies are turned off (``IPOFFICE_PURE=1``)."""
    return os.environ.get("IPOFFICE_PURE", "") not in ("", "0")


def accel_dir() -> Path:
    env = os.environ.get("IPOFFICE_ACCEL_DIR")
    return Path(env) if env else Path(sys.prefix) / "ipoffice-accel"


def _source_in(folder: Path, leaf: str) -> Path:
    """A module's ``.py``, or its ``.pyx`` where it is written for Cython only."""
    py = folder / f"{leaf}.py"
    return py if py.is_file() else folder / f"{leaf}.pyx"


def source_path(name: str) -> Path:
    """The source of a listed module, found without importing it (its package is imported)."""
    parent, _, leaf = name.rpartition(".")
    spec = importlib.util.find_spec(parent)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(parent)
    return _source_in(Path(list(spec.submodule_search_locations)[0]), leaf)


def source_hash(src: Path) -> str:
    return hashlib.sha256(BUILD_TAG + b"\0" + src.read_bytes()).hexdigest()[:16]


def _suffix() -> str:
    return importlib.machinery.EXTENSION_SUFFIXES[0]


def compiled_path(name: str, src: Path, root: Path | None = None) -> Path:
    """Where the compiled copy of ``name`` built from ``src`` as it is now lives (it may not exist)."""
    leaf = name.rpartition(".")[2]
    return (root or accel_dir()) / name / source_hash(src) / f"{leaf}{_suffix()}"


class _Finder(importlib.abc.MetaPathFinder):
    """Finds a listed module's compiled copy when one matches its source; otherwise leaves it to the source."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: object = None):  # noqa: ANN201
        if fullname not in MODULES or not path or pure():
            return None
        src = _source_in(Path(list(path)[0]), fullname.rpartition(".")[2])
        try:
            so = compiled_path(fullname, src)
        except OSError:
            return None
        if not so.is_file():
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(so))
        return importlib.util.spec_from_file_location(fullname, so, loader=loader)


_FINDER = _Finder()


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (``import ipoffice`` does it; idempotent)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def is_compiled(module: object) -> bool:
    """Whether a loaded module is a compiled copy (tests and ``status`` ask)."""
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


def status(modules: Iterable[str] = MODULES) -> list[dict]:
    """For each listed module: whether a compiled copy matches its source now, and whether it is loaded so."""
    rows = []
    for name in modules:
        src = source_path(name)
        so = compiled_path(name, src)
        loaded = sys.modules.get(name)
        rows.append(
            {
                "module": name,
                "source_hash": source_hash(src),
                "built": so.is_file(),
                "loaded_compiled": None if loaded is None else is_compiled(loaded),
                "path": str(so) if so.is_file() else None,
            }
        )
    return rows


def _compile(todo: list[tuple[str, Path, Path]], tmp: str, jobs: int) -> None:
    """Cython, then the C compiler, for ``todo`` in one setuptools run (``jobs`` at a time); the built file of
    each module is moved to its place."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    # the Extension's name, not the file's place, gives the module its qualified name (pickling, __module__)
    exts = [Extension(name, [str(src)], extra_compile_args=["-O2", "-g0"]) for name, src, _ in todo]
    exts = cythonize(exts, build_dir=tmp, compiler_directives=DIRECTIVES, quiet=True, nthreads=jobs)
    dist = Distribution({"ext_modules": exts, "script_name": "ipoffice-accel"})
    cmd = build_ext(dist)
    cmd.build_lib, cmd.build_temp = str(Path(tmp) / "lib"), str(Path(tmp) / "temp")
    cmd.parallel = jobs
    cmd.ensure_finalized()
    cmd.run()
    for name, _, so in todo:
        so.parent.mkdir(parents=True, exist_ok=True)
        part = so.with_name(so.name + ".part")  # a process importing meanwhile sees the whole file or none
        shutil.copyfile(cmd.get_ext_fullpath(name), part)
        os.replace(part, so)
        for old in so.parent.parent.iterdir():
            if old != so.parent:
                shutil.rmtree(old, ignore_errors=True)


def build(
    modules: Iterable[str] = MODULES,
    *,
    root: Path | None = None,
    force: bool = False,
    jobs: int | None = None,
) -> list[dict]:
    """Compile the listed modules whose source has no matching build yet, and drop their older builds.

    Needs Cython and a C compiler (raises ImportError without Cython). All are compiled in one run, ``jobs``
    at a time; if that fails, one by one, so that a module that does not compile is reported with its error
    and left to run as Python. Returns one row per module."""
    import Cython  # noqa: F401 - fail early, before any work, where it is missing

    modules = tuple(modules)
    root = root or accel_dir()
    jobs = jobs or os.cpu_count() or 1
    rows = {}
    todo = []
    for name in modules:
        src = source_path(name)
        so = compiled_path(name, src, root)
        rows[name] = {"module": name, "built": so.is_file(), "compiled_now": False, "path": str(so), "error": None}
        if force or not so.is_file():
            todo.append((name, src, so))
    groups = [todo] if todo else []
    while groups:
        group = groups.pop()
        with tempfile.TemporaryDirectory(prefix="ipoffice-accel-") as tmp:
            try:
                _compile(group, tmp, jobs)
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - distutils exits on compiler errors
                if len(group) > 1:
                    groups.extend([m] for m in group)
                else:
                    rows[group[0][0]]["error"] = f"{type(exc).__name__}: {exc}"
                continue
        for name, _, _ in group:
            rows[name].update(built=True, compiled_now=True)
    for row in rows.values():
        if not row["built"]:
            row["path"] = None
    return [rows[n] for n in modules]


def clean(root: Path | None = None) -> int:
    """Remove every compiled copy; returns how many module folders went."""
    root = root or accel_dir()
    if not root.is_dir():
        return 0
    n = 0
    for d in root.iterdir():
        if d.is_dir() and d.name.startswith("ipoffice."):
            shutil.rmtree(d)
            n += 1
    return n
