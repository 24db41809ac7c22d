"""The map stays true: every module map names exactly the modules beside it, and every relative
link and #anchor in README.md and docs/ leads somewhere (GitHub's heading slugs)."""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import pytest

from tools import REPO_ROOT

MODULE_MAPS = [
    "layers/common/livekit_auth/__init__.py",
    "layers/common/livekit_auth/storage/__init__.py",
    "tools/__init__.py",
    "livekit_authctl/__init__.py",
    "livekit_authctl/storage/__init__.py",
    "tools/bench/__init__.py",
    "tools/ci/__init__.py",
    "tools/local/__init__.py",
    "tests/support/__init__.py",
]
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def named_in_map(init: Path) -> set[str]:
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    return {m.group(1) for line in docstring.splitlines() if (m := re.match(r"\s*([a-z_]+(?:\.mjs|/)?)\s{2,}\S", line))}


def beside(init: Path) -> set[str]:
    folder = init.parent
    modules = {path.stem for path in folder.glob("*.py") if path.name != "__init__.py"}
    scripts = {path.name for path in folder.glob("*.mjs")}
    packages = {path.name + "/" for path in folder.iterdir() if (path / "__init__.py").exists()}
    return modules | scripts | packages


@pytest.mark.parametrize("init", MODULE_MAPS)
def test_each_module_map_names_exactly_the_modules_beside_it(init: str):
    path = REPO_ROOT / init
    assert named_in_map(path) == beside(path)


def slug(heading: str) -> str:
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading).strip().lower()
    return "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM").replace(" ", "-")


def anchors(document: Path) -> set[str]:
    seen: dict[str, int] = {}
    found: set[str] = set()
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.S)
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        base = slug(heading)
        found.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_and_anchor_resolves(document: Path):
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        destination = (document.parent / path).resolve() if path else document
        if not destination.exists() or (anchor and anchor not in anchors(destination)):
            broken.append(target)
    assert broken == []


def test_the_readme_stays_short():
    assert len((REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200
