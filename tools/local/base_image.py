"""The python3.13 arm64 image `sam local` runs the function on, where the official one cannot be pulled.

With registry access (e.g. Docker Desktop) SAM pulls public.ecr.aws/lambda/python:3.13-arm64 itself. Where
no container registry is reachable, this builds a stand-in from Debian's packages:

- `debootstrap --arch=arm64 --variant=minbase` of Debian trixie with python3.13 (its Python 3.13), from the
  mirror apt already uses here; under qemu this takes minutes, so the tree is cached;
- the Lambda runtime interface client (awslambdaric) and boto3, the runtime's SDK, pip-installed (locked,
  arm64 wheels) into /var/runtime, as the official image has them, and compiled to .pyc in qemu;
- /var/runtime/bootstrap, which SAM's emulator (aws-lambda-rie) starts: python3.13 -m awslambdaric
  "$_HANDLER", with the task root, the layers' /opt/python and /var/runtime on PYTHONPATH;
- one layer in a `docker save` archive whose config says "architecture": "arm64" (the 20.10 daemon ignores
  `docker import --platform`, and SAM refuses an image of the wrong architecture), `docker load`-ed.

The image's tag ends in a hash of this recipe: `ensure()` reuses a loaded image with that tag, else loads the
cached archive, else builds it (everything under CACHE_DIR, git-ignored).
`python -m tools.local.base_image` prints the tag, building what is missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from tools import REPO_ROOT

CACHE_DIR = REPO_ROOT / ".cache" / "lambda-base"
REPOSITORY = "livekit-auth/lambda-python"
SUITE = "trixie"
PACKAGES = ("python3.13", "python3-pip", "ca-certificates")
DEBOOTSTRAP = ("--arch=arm64", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE)
# The runtime's own packages, locked (installed with --no-deps): the interface client and what it needs, and
# boto3 with its dependencies at requirements/constraints.txt's versions (a unit test checks they agree).
RUNTIME_PINS = (
    "awslambdaric==4.2.2",
    "simplejson==4.3.0",
    "snapshot-restore-py==1.0.0",
    "boto3==1.43.108",
    "botocore==1.43.127",
    "s3transfer==0.19.3",
    "jmespath==1.1.0",
    "python-dateutil==2.9.0.post0",
    "six==1.17.0",
    "urllib3==2.8.0",
)
PYTHON = "python3.13"
BOOTSTRAP = f"""#!/bin/sh
# Started by the Lambda runtime emulator: the function's handler on Debian's {PYTHON}.
export PYTHONPATH="${{LAMBDA_TASK_ROOT:-/var/task}}:/opt/python:/var/runtime${{PYTHONPATH:+:$PYTHONPATH}}"
cd "${{LAMBDA_TASK_ROOT:-/var/task}}"
exec /usr/bin/{PYTHON} -m awslambdaric "$_HANDLER"
"""
IMAGE_CONFIG = {
    "architecture": "arm64",
    "os": "linux",
    "config": {
        "Env": [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG=C.UTF-8",
            "LAMBDA_TASK_ROOT=/var/task",
            "LAMBDA_RUNTIME_DIR=/var/runtime",
        ],
        "WorkingDir": "/var/task",
        "Entrypoint": ["/var/runtime/bootstrap"],
    },
}
# Left out of the image: what the kernel or Docker provides, and apt's downloaded packages.
_EXCLUDED = re.compile(r"^\./(proc|sys|dev)/.+|^\./var/cache/apt/archives/.+\.deb$|^\./debootstrap(/|$)")
DEFAULT_MIRROR = "http://deb.debian.org/debian"


def recipe_hash() -> str:
    recipe = {"debootstrap": DEBOOTSTRAP, "pins": RUNTIME_PINS, "bootstrap": BOOTSTRAP, "config": IMAGE_CONFIG}
    recipe["compiled"] = True  # /var/runtime holds .pyc files
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def image_tag() -> str:
    return f"{REPOSITORY}:3.13-arm64-{recipe_hash()}"


def apt_mirror() -> str:
    """The Debian mirror apt uses on this machine (its sources), so debootstrap reaches what apt reaches."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))]
    for source in sources:
        try:
            text = source.read_text(encoding="utf-8")
        except OSError:
            continue
        for uri in re.findall(r"^(?:URIs:|deb(?:\s+\[[^\]]*\])?)\s+(\S+)", text, flags=re.MULTILINE):
            if uri.rstrip("/").endswith("/debian"):
                return uri.rstrip("/")
    return DEFAULT_MIRROR


def image_loaded(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False).returncode == 0


def can_build() -> bool:
    """Whether the stand-in is loaded, cached, or can be built here (Linux with debootstrap)."""
    return (
        image_loaded(image_tag())
        or (CACHE_DIR / f"image-{recipe_hash()}.tar").exists()
        or bool(shutil.which("debootstrap"))
    )


def say(line: str) -> None:
    print(f"base image: {line}", file=sys.stderr, flush=True)


def debootstrapped_tree() -> Path:
    """Debian's arm64 tree for DEBOOTSTRAP (cached by its own hash: the slow step, under qemu)."""
    key = hashlib.sha256(json.dumps(DEBOOTSTRAP).encode()).hexdigest()[:12]
    tree = CACHE_DIR / f"rootfs-{key}"
    if (tree / "usr" / "bin" / PYTHON).exists():
        return tree
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is not installed (Debian: apt-get install debootstrap)")
    partial = CACHE_DIR / f"rootfs-{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    mirror = apt_mirror()
    say(f"debootstrap {' '.join(DEBOOTSTRAP)} from {mirror} (several minutes under qemu)")
    started = time.monotonic()
    with (CACHE_DIR / "debootstrap.log").open("wb") as log:
        subprocess.run(["debootstrap", *DEBOOTSTRAP, str(partial), mirror], stdout=log, stderr=log, check=True)
    partial.rename(tree)
    say(f"debootstrap took {time.monotonic() - started:.0f} s")
    return tree


def runtime_packages(target: Path) -> None:
    """RUNTIME_PINS and their dependencies as arm64 CPython 3.13 wheels in `target` (pip runs here, not in qemu)."""
    subprocess.run(
        [
            *(
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--no-deps",
            ),
            *("--target", str(target), "--only-binary=:all:", "--implementation", "cp", "--python-version", "3.13"),
            *("--platform", "manylinux2014_aarch64", *RUNTIME_PINS),
        ],
        check=True,
    )


def _add_file(layer: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    layer.addfile(info, io.BytesIO(data))


def install_runtime(tree: Path) -> None:
    """RUNTIME_PINS in the tree's var/runtime, compiled by the tree's own python3.13 (in qemu, once): without
    .pyc files every cold start would compile boto3 and botocore again, minutes under emulation."""
    runtime = tree / "var" / "runtime"
    shutil.rmtree(runtime, ignore_errors=True)
    runtime_packages(runtime)
    compile_all = ["chroot", str(tree), f"/usr/bin/{PYTHON}", "-m", "compileall", "-q", "-j", "0", "/var/runtime"]
    subprocess.run(compile_all, check=True, stdout=subprocess.DEVNULL)


def write_layer(tree: Path, path: Path) -> None:
    """The image's one layer: the Debian tree (with the runtime packages under var/runtime), the bootstrap."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as layer:
        layer.add(tree, ".", filter=lambda info: None if _EXCLUDED.match(info.name) else info)
        _add_file(layer, "./var/runtime/bootstrap", BOOTSTRAP.encode(), 0o755)
        for directory in ("var/task", "opt"):
            if (tree / directory).exists():
                continue  # a tar with a path twice is refused by docker load
            info = tarfile.TarInfo(f"./{directory}")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            layer.addfile(info)


def write_archive(tag: str, archive: Path) -> None:
    """A `docker save` archive (one layer, an arm64 config) of the stand-in image, tagged `tag`."""
    tree = debootstrapped_tree()
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as work:
        layer = Path(work) / "layer.tar"
        install_runtime(tree)
        write_layer(tree, layer)
        digest = hashlib.sha256()
        with layer.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        config = json.dumps(IMAGE_CONFIG | {"rootfs": {"type": "layers", "diff_ids": [f"sha256:{digest.hexdigest()}"]}})
        config_name = hashlib.sha256(config.encode()).hexdigest() + ".json"
        manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": ["layer.tar"]}]
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w") as image:
            image.add(layer, "layer.tar")
            _add_file(image, config_name, config.encode(), 0o644)
            _add_file(image, "manifest.json", json.dumps(manifest).encode(), 0o644)
        partial.rename(archive)


def ensure() -> str:
    """The stand-in image's tag, loaded into Docker: reused when loaded, loaded from the cache, or built."""
    tag = image_tag()
    if image_loaded(tag):
        return tag
    archive = CACHE_DIR / f"image-{recipe_hash()}.tar"
    if not archive.exists():
        started = time.monotonic()
        write_archive(tag, archive)
        say(f"{archive.name} written in {time.monotonic() - started:.0f} s")
    subprocess.run(["docker", "load", "--quiet", "--input", str(archive)], check=True, stdout=subprocess.DEVNULL)
    say(f"loaded {tag}")
    return tag


if __name__ == "__main__":
    print(ensure())
