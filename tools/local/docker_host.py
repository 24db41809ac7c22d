"""What `sam local` needs from this machine: a Docker daemon, and arm64 emulation on an x86_64 host.

`ready()` checks both and, where it can (root, Debian's docker.io and qemu-user-static installed), brings
them up: it starts `dockerd --iptables=false` with Docker's default bridge, mounts binfmt_misc and
registers qemu-aarch64 with the F flag (the interpreter is opened at registration, so containers need
no copy of it). It returns None when ready, else one line saying what is missing. A dockerd started
here keeps running after the caller exits (its log is under CACHE_DIR), as a daemon would.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tools import REPO_ROOT

CACHE_DIR = REPO_ROOT / ".cache" / "sam-local"
DOCKERD_START_SECONDS = 60
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
QEMU_ENTRY = BINFMT_DIR / "qemu-aarch64"
QEMU_INTERPRETER = Path("/usr/bin/qemu-aarch64-static")
# The ELF header of an aarch64 executable, as binfmt_misc matches it (the qemu-user-static package's own).
_AARCH64_MAGIC = r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00"
_AARCH64_MASK = r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"
# Where the Docker daemon gives containers on the default bridge their way out: the host's own address there.
DEFAULT_BRIDGE = "bridge"


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, check=False)
    return probe.returncode == 0


def ensure_daemon() -> str | None:
    """None when a Docker daemon answers (started here when none runs and we can), else what is missing."""
    if docker_answers():
        return None
    if shutil.which("docker") is None or shutil.which("dockerd") is None:
        return "docker is not installed (Debian: apt-get install docker.io)"
    if os.geteuid() != 0:
        return "no Docker daemon answers, and starting dockerd needs root"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / "dockerd.log").open("ab") as log:
        subprocess.Popen(["dockerd", "--iptables=false"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + DOCKERD_START_SECONDS
    while time.monotonic() < deadline:
        if docker_answers():
            return None
        time.sleep(0.5)
    return f"dockerd did not answer within {DOCKERD_START_SECONDS} s (see {CACHE_DIR / 'dockerd.log'})"


def arm64_native() -> bool:
    return platform.machine().lower() in ("aarch64", "arm64")


def qemu_registered() -> bool:
    try:
        entry = QEMU_ENTRY.read_text(encoding="ascii")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1] for line in entry.splitlines() if line.startswith("flags:")), "")
    return entry.startswith("enabled") and "F" in flags


def ensure_arm64_emulation() -> str | None:
    """None when arm64 binaries run here (natively, or through a registered qemu-aarch64), else what is missing."""
    if arm64_native() or qemu_registered() or sys.platform != "linux":
        return None  # natively arm64; or Docker Desktop, whose VM emulates arm64 itself
    if not QEMU_INTERPRETER.exists():
        return "qemu-aarch64 is not installed (Debian: apt-get install qemu-user-static binfmt-support)"
    if os.geteuid() != 0:
        return "qemu-aarch64 is not registered with binfmt_misc, and registering it needs root"
    if not (BINFMT_DIR / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)], check=False)
    if not QEMU_ENTRY.exists() and shutil.which("update-binfmts"):
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], capture_output=True, check=False)
    if not QEMU_ENTRY.exists() and (BINFMT_DIR / "register").exists():
        rule = f":qemu-aarch64:M::{_AARCH64_MAGIC}:{_AARCH64_MASK}:{QEMU_INTERPRETER}:F"
        (BINFMT_DIR / "register").write_text(rule, encoding="ascii")
    return None if qemu_registered() else "qemu-aarch64 could not be registered with binfmt_misc (F flag)"


def ready() -> str | None:
    """None when Docker answers and arm64 binaries run, bringing them up where we can; else what is missing."""
    return ensure_daemon() or ensure_arm64_emulation()


def bridge_gateway(network: str = DEFAULT_BRIDGE) -> str:
    """The host's address on a Docker network: containers on it reach the host there, and nothing else does.

    Docker 20.10 leaves the default bridge's gateway out of `docker network inspect`: then it is the address of
    the bridge's interface (docker0)."""
    inspected = subprocess.run(
        ["docker", "network", "inspect", network, "--format", "{{json .}}"], capture_output=True, text=True, check=True
    )
    details = json.loads(inspected.stdout)
    gateway = next((config["Gateway"] for config in details["IPAM"]["Config"] or [] if config.get("Gateway")), "")
    interface = (details.get("Options") or {}).get("com.docker.network.bridge.name")
    if not gateway and interface:
        shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", interface], capture_output=True, text=True)
        found = re.search(r"\binet (\d+\.\d+\.\d+\.\d+)/", shown.stdout)
        gateway = found.group(1) if found else ""
    if not gateway:
        raise RuntimeError(f"the Docker network {network} has no gateway address")
    return gateway


if __name__ == "__main__":  # .ci/run: bring them up before the tests (standard library only)
    problem = ready()
    print(f"sam local: {problem}" if problem else "sam local: Docker answers and arm64 binaries run")
    raise SystemExit(1 if problem else 0)
