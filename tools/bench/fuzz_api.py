"""`make fuzz-api`: schemathesis, from docs/openapi.yaml, against the local stack over HTTP.

Starts the local stack (tools/local/stack.py, cheapest bcrypt cost, port 0) and runs `st run` with the
checks the document is held to: no server error, and every answer's status, media type, body and
headers as documented. tools.bench.schemathesis_hooks opens a live session for each request to a
session route, so token, refresh and logout are reached past their 401. tests/e2e/test_openapi_fuzz.py
runs the same with few examples per operation on every `make test`; this runs many more.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from urllib.parse import urlsplit

from tools import REPO_ROOT
from tools.local import fake_aws
from tools.local import stack as local_stack

DOCUMENT = REPO_ROOT / "docs" / "openapi.yaml"
HOOKS = "tools.bench.schemathesis_hooks"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
DEFAULT_EXAMPLES = 300
SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "st")


def run_schemathesis(api_origin: str, max_examples: int, *extra: str) -> subprocess.CompletedProcess[str]:
    """`st run` of the document against `api_origin` (scheme://host:port); its output is in `stdout`."""
    python_path = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "layers" / "common")])
    env = {**os.environ, "API_URL": api_origin, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": python_path}
    command = [
        SCHEMATHESIS,
        "run",
        str(DOCUMENT),
        "--url",
        api_origin,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(max_examples),
        "--generation-database",
        "none",
        "--workers",
        "1",  # one warm function container answers one request at a time anyway
        "--no-color",
        *extra,
    ]
    return subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def origin(stack: local_stack.LocalStack) -> str:
    url = urlsplit(stack.api_url)
    return f"{url.scheme}://{url.netloc}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES, help="test cases per operation")
    parser.add_argument("--seed", type=int, help="schemathesis' random seed, to replay a run")
    args = parser.parse_args(argv)
    stack = local_stack.start(0, 0, bcrypt_rounds=fake_aws.BCRYPT_ROUNDS)
    try:
        result = run_schemathesis(origin(stack), args.examples, *(["--seed", str(args.seed)] if args.seed else []))
    finally:
        stack.stop()
    print(result.stdout, result.stderr, sep="", end="")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
