"""The JavaScript client (clients/js) under Node against the local stack, with livekit-client and livekit-server-sdk."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from livekit_auth import config, messages, sessions
from livekit_auth.routes import LOGIN
from tools.ci import cfn_template
from tools.local import fake_aws
from tools.local import stack as local_stack
from tools.local.demo_data import DEMO, DEMO_PASSWORD, PRIVATE_CHANNEL, PUBLIC_CHANNEL, VIEWER

CLIENT_DIR = Path(__file__).resolve().parents[2] / "clients" / "js"
MODULE = CLIENT_DIR / "livekit-auth-client.mjs"
NODE_TESTS = CLIENT_DIR / "livekit-auth-client.test.mjs"
NODE_TIMEOUT_SECONDS = 120


def node_test_config(stack: local_stack.LocalStack) -> dict:
    """What the Node tests compare against, each from its one home."""
    return {
        "base_url": stack.api_url.removesuffix(LOGIN.public_path),
        "api_key": fake_aws.DEV_API_KEY,
        "api_secret": fake_aws.DEV_API_SECRET,
        "password": DEMO_PASSWORD,
        "users": {"demo": DEMO.username, "viewer": VIEWER.username},
        "rooms": [f"channel-{channel_id}" for channel_id in sorted((PUBLIC_CHANNEL[0], PRIVATE_CHANNEL[0]))],
        "token_ttl_seconds": config.TOKEN_ENDPOINT_TTL.default,
        "refresh_grace_seconds": sessions.ROTATION_GRACE_SECONDS,
        "messages": {
            "invalid_credentials": messages.INVALID_CREDENTIALS,
            "room_not_allowed": messages.ROOM_NOT_ALLOWED,
            "identity_not_allowed": messages.IDENTITY_NOT_ALLOWED,
            "session_required": messages.SESSION_REQUIRED,
        },
    }


def test_the_js_client_drives_livekits_token_source_against_the_stack(stack):
    node = shutil.which("node")
    assert node, "the JS client's tests need node 20+ on PATH"
    assert (CLIENT_DIR.parents[1] / "node_modules" / "livekit-client").is_dir(), "run `npm ci` (make does)"
    completed = subprocess.run(  # noqa: S603 - our own test file
        [node, "--test", "--test-reporter=tap", str(NODE_TESTS)],
        capture_output=True,
        text=True,
        env={**os.environ, "LIVEKIT_AUTH_TEST": json.dumps(node_test_config(stack))},
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report
    declared = len(re.findall(r"^test\(", NODE_TESTS.read_text(encoding="utf-8"), flags=re.MULTILINE))
    counts = dict(re.findall(r"^# (pass|fail|skipped|todo|cancelled) (\d+)$", completed.stdout, flags=re.MULTILINE))
    assert counts == {"pass": str(declared), "fail": "0", "skipped": "0", "todo": "0", "cancelled": "0"}, report


def test_the_js_clients_routes_are_the_templates():
    """ROUTES in the module name paths the template serves (a route renamed there fails here)."""
    module = MODULE.read_text(encoding="utf-8")
    block = module[module.index("export const ROUTES") : module.index("});", module.index("export const ROUTES"))]
    paths = re.findall(r"'(api/[a-z/]+)'", block)
    served = {path.rstrip("/") for method, path, _ in cfn_template.api_routes() if method == "POST"}
    assert len(paths) == 4
    assert {"/" + path.rstrip("/") for path in paths} <= served


def test_the_js_clients_device_pattern_is_the_servers():
    """DEVICE_IDENTITY in the module is the server's rule for `<user_id>:<device>` (one changed alone fails here)."""
    module = MODULE.read_text(encoding="utf-8")
    pattern = re.search(r"export const DEVICE_IDENTITY = /\^(.+)\$/;", module)
    assert pattern is not None
    assert pattern.group(1) == sessions.DEVICE_IDENTITY.pattern
