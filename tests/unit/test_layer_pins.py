"""The layer is built from a complete, hashed lock that agrees with the dev venv's pins, and so is authctl."""

import tomllib

from tests.layer_pins import (
    AUTHCTL_REQUIREMENTS,
    DEV_CONSTRAINTS,
    LAYER_LOCK,
    LAYER_REQUIREMENTS,
    PYPROJECT,
    ROOT,
    exact_pins,
    hashes_by_name,
)

LAYER_MAKEFILE = LAYER_LOCK.parent / "Makefile"


def test_every_locked_distribution_is_pinned_with_exactly_one_wheel_hash():
    hashes = hashes_by_name(LAYER_LOCK)
    assert hashes
    assert {name: len(found) for name, found in hashes.items()} == dict.fromkeys(hashes, 1)


def test_the_lock_holds_what_the_layer_needs_at_the_versions_it_names():
    locked = exact_pins(LAYER_LOCK)
    needed = exact_pins(LAYER_REQUIREMENTS)
    assert {name: locked.get(name) for name in needed} == needed


def test_the_lock_and_the_dev_venv_constraints_pin_the_same_versions():
    """Tests run against constraints.txt; the layer ships the lock: they must be the same code."""
    locked = exact_pins(LAYER_LOCK)
    constrained = exact_pins(DEV_CONSTRAINTS)
    assert {name: constrained.get(name) for name in locked} == locked


def test_the_layer_build_installs_the_lock_and_refuses_anything_unhashed():
    recipe = LAYER_MAKEFILE.read_text(encoding="utf-8")
    assert "--require-hashes" in recipe
    assert "-r requirements.lock" in recipe
    assert "-r requirements.txt" not in recipe


def test_the_package_depends_on_the_layer_s_requirements_file_and_authctl_s_not_on_copies_of_their_pins():
    """pip install . takes its dependencies from the files themselves: one home per pin."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert "dependencies" not in project["project"]
    assert "dependencies" in project["project"]["dynamic"]
    files = project["tool"]["setuptools"]["dynamic"]["dependencies"]["file"]
    assert [ROOT / name for name in files] == [LAYER_REQUIREMENTS, AUTHCTL_REQUIREMENTS]


def test_authctl_s_own_pins_are_the_dev_venv_s():
    pinned = exact_pins(AUTHCTL_REQUIREMENTS)
    constrained = exact_pins(DEV_CONSTRAINTS)
    assert pinned
    assert {name: constrained.get(name) for name in pinned} == pinned
