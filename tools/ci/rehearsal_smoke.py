"""The deploy rehearsal's smoke job: the deployed function's environment serves a login from the stack's
own tables, every token checked by LiveKit's verifier."""

from __future__ import annotations

import os
import time

import boto3

from livekit_auth.tokens import LiveKitCredentials
from tools.ci.rehearsal_deploy import RehearsalFailed, Report


def log_in_from_stack_tables(function_env: dict[str, str], secret: LiveKitCredentials, report: Report) -> None:
    """Serve the API with the deployed function's environment over the stack's tables, and log in over HTTP.

    moto cannot run the function itself (that needs Docker), so local_stack.serve_api runs it behind its
    API Gateway stand-in with exactly the environment the stack configured (tables, SSM parameter names,
    server URL, bcrypt cost, CORS); the demo user is seeded into the stack's tables, and the post-deploy
    smoke test logs in and checks every token with LiveKit's verifier under the key and secret in SSM.
    """
    from livekit_auth.config import table_names
    from livekit_authctl.storage.admin import AdminStore
    from tools.ci import smoke_test
    from tools.ci.cfn_template import TABLE_ENV
    from tools.local import stack as local_stack
    from tools.local.demo_data import DEMO, DEMO_PASSWORD, seed

    started = time.monotonic()
    seed(AdminStore(boto3.client("dynamodb"), table_names(function_env)), int(function_env["BCRYPT_ROUNDS"]))
    tables = {name: function_env[name] for name in TABLE_ENV.values()}
    api = local_stack.serve_api(0, os.environ["AWS_ENDPOINT_URL"], tables, env=function_env | {"LOCAL_MODE": "false"})
    try:
        login = smoke_test.run(
            {
                "SMOKE_API_URL": api.api_url,
                "SMOKE_USERNAME": DEMO.username,
                "SMOKE_PASSWORD": DEMO_PASSWORD,
                "LIVEKIT_API_KEY": secret.api_key,
                "LIVEKIT_API_SECRET": secret.api_secret,
            }
        )
    except smoke_test.SmokeFailure as failure:
        raise RehearsalFailed(f"login from the stack's tables: {failure}") from None
    finally:
        api.stop()
    report.passed(
        f"POST {api.api_url} as {DEMO.username}: 200 from the stack's tables in {time.monotonic() - started:.2f} s "
        f"(seed and API start included), {len(login.channel_ids)} tokens verified by LiveKit's TokenVerifier"
    )
