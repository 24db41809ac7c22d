"""A pytest plugin that points boto3 at the emulator before any conftest or test module is imported.

The function builds its AWS clients and its Powertools logger when `app` is imported, reading the
environment as it is then; and moto intercepts only clients created after it is imported. Doing
both here, in `pytest_load_initial_conftests` of a plugin that pyproject loads with `-p`, runs them
before pytest imports tests/conftest.py, so no module depends on the order of its imports.
"""

from __future__ import annotations

import importlib
import os

import pytest

from tools.local import fake_aws


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    fake_aws.use_fake_aws()
    os.environ.update(fake_aws.POWERTOOLS_ENVIRONMENT)  # the function's logger and metrics read them at import
    importlib.import_module("moto")  # from now on every botocore client goes through moto's stubber
