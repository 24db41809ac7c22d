"""The layer `sam build` makes holds exactly the locked distributions, at their locked versions, and no admin code.

The build is the real one (`sam build CommonLayer`, the Makefile recipe, wheels for python3.13 on arm64),
into a temporary directory; every `*.dist-info` in it is compared with layers/common/requirements.lock,
and its livekit_auth with authctl's own package (livekit_authctl), which must stay out of it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.layer_pins import LAYER_LOCK, ROOT, exact_pins

SAM = str(Path(sys.executable).parent / "sam")


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("sam-build")
    subprocess.run(  # noqa: S603 - our own sam, fixed arguments
        [SAM, "build", "CommonLayer", "--build-dir", str(build_dir), "--region", "eu-west-1"],
        cwd=ROOT,
        env=os.environ | {"SAM_CLI_TELEMETRY": "0"},
        check=True,
        capture_output=True,
    )
    return build_dir / "CommonLayer" / "python"


def test_every_distribution_in_the_built_layer_is_exactly_its_pin(built_layer):
    shipped = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions(path=[str(built_layer)])}
    assert shipped == exact_pins(LAYER_LOCK)
    assert len(list(built_layer.glob("*.dist-info"))) == len(shipped)


def test_the_built_layer_carries_the_arm64_bcrypt_and_the_service_package(built_layer):
    (bcrypt_library,) = built_layer.glob("bcrypt/_bcrypt*.so")
    assert bcrypt_library.read_bytes()[18:20] == b"\xb7\x00", "ELF machine must be aarch64 (0xb7)"
    assert (built_layer / "livekit_auth" / "__init__.py").is_file()


def test_the_built_layer_carries_bytecode_for_the_runtime_when_a_python313_built_it(built_layer):
    """Lambda cannot write __pycache__: a layer without bytecode is compiled again by every cold start."""
    sources = {path.with_suffix("") for path in built_layer.rglob("*.py") if "__pycache__" not in path.parts}
    compiled = {
        path.parent.parent / path.name.split(".")[0] for path in built_layer.rglob("__pycache__/*.cpython-313.pyc")
    }
    if os.environ.get("PY313"):  # the root Makefile exports the python3.13 it found
        assert sources - compiled == set(), "modules shipped without 3.13 bytecode"
    else:
        assert compiled == set()


def defined_names(package: Path) -> dict[str, set[str]]:
    """{module path: names of the classes and functions it defines} of every module under `package`."""
    return {
        path.relative_to(package).as_posix(): {
            node.name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ClassDef | ast.FunctionDef)
        }
        for path in package.rglob("*.py")
    }


def test_the_built_layer_holds_the_function_s_modules_and_no_admin_code(built_layer):
    shipped = defined_names(built_layer / "livekit_auth")
    # The layer's source, exactly: nothing of authctl (livekit_authctl) was copied in.
    assert shipped.keys() == defined_names(ROOT / "layers/common/livekit_auth").keys()
    assert not {"storage/admin.py", "storage/transfer.py"} & shipped.keys()
    assert not list(built_layer.glob("livekit_authctl*"))
    # No class authctl's stores define (AdminStore, SessionAdmin, TransferStore ...) is defined in the layer.
    admin_classes = {
        node.name
        for path in (ROOT / "livekit_authctl/storage").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
    }
    assert "SessionAdmin" in admin_classes  # the check sees authctl's stores at all
    assert admin_classes.isdisjoint(set().union(*shipped.values()))
    # One index Query only (authctl's listings stay out): the LiveKit webhook's check of one device's sessions
    # on ByUser (SessionStore.sessions_of_device), the index the function's role may query.
    index_queries = [
        module
        for module in shipped
        for node in ast.walk(ast.parse((built_layer / "livekit_auth" / module).read_text(encoding="utf-8")))
        if isinstance(node, ast.keyword) and node.arg == "IndexName"
    ]
    assert index_queries == ["storage/sessions.py"]
