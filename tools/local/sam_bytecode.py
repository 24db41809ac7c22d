"""Python 3.13 bytecode for the built function: under qemu, compiling the layer's and the function's modules at
each cold start cost most of a `sam local` init (docs/sam-local.md, "Times"), so a build without .pyc files runs
from a compiled copy (tools.local.sam_local)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tools.local import base_image, docker_host

COMPILED_DIR = docker_host.CACHE_DIR / "compiled-build"


def host_python313() -> str | None:
    """A Python 3.13 on this machine (any 3.13.x and any architecture write the same bytecode), else None."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which("python3.13"), *map(str, sorted(pyenv.glob("3.13*/bin/python3.13")))]
    for candidate in filter(None, candidates):
        probe = [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if subprocess.run(probe, capture_output=True, text=True, timeout=60).stdout.strip() == "True":
                return candidate
    return None


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def has_bytecode(build_dir: Path) -> bool:
    """Whether every module of a `sam build` output has its Python 3.13 .pyc (the build compiles them when the
    Makefile finds a python3.13: PY313)."""
    return all(
        (source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc").exists()
        for source in build_dir.rglob("*.py")
    )


def compiled_build(template: Path, image: str) -> Path:
    """The template of a `sam build` output whose modules all have Python 3.13 bytecode: the build itself when
    it has (what deploys, then, is what runs), else a copy with it.

    Under qemu, compiling the layer's and the function's modules at each cold start cost a large part of the
    init (docs/sam-local.md, "Times"). The copy (under COMPILED_DIR, git-ignored, keyed by the build's contents)
    gets unchecked-hash .pyc with the container's paths (/var/task, /opt), written by a host python3.13, else
    once by the image's own python3.13 under qemu; the build itself is left as `sam build` made it.
    """
    build_dir = template.parent
    if has_bytecode(build_dir):
        return template
    copy = COMPILED_DIR / _tree_hash(build_dir)
    if (copy / ".compiled").exists():
        return copy / template.name
    shutil.rmtree(COMPILED_DIR, ignore_errors=True)  # one compiled build at a time: the latest
    shutil.copytree(build_dir, copy, ignore=shutil.ignore_patterns("__pycache__"))
    places = {  # what the container mounts where: the function at /var/task, each layer at /opt
        path: "/var/task" if (path / "app.py").exists() else "/opt" for path in copy.iterdir() if path.is_dir()
    }
    python = host_python313()
    for path, inside in places.items():
        options = ["-q", "-j", "0", "--invalidation-mode", "unchecked-hash", "-p", inside]
        if python:
            subprocess.run([python, "-m", "compileall", *options, "-s", str(path), str(path)], check=True)
        else:  # no host 3.13: the image's python3.13 under qemu (about a minute, once per build)
            mount = ["-v", f"{path}:{inside}"]
            command = ["docker", "run", "--rm", *mount, "--entrypoint", f"/usr/bin/{base_image.PYTHON}", image]
            subprocess.run([*command, "-m", "compileall", *options, "-s", inside, inside], check=True)
    (copy / ".compiled").write_text(python or image, encoding="utf-8")
    return copy / template.name
