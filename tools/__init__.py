"""Developers' tools, run from the checkout and never installed (the function and the layer import none of this;
authctl, the operators' tool, is the installed package livekit_authctl).

    local/    `make run` and `make invoke`: the local stack over an AWS emulator, API Gateway emulation,
              the fake-AWS settings and the function's emulated environment, the demo data
    ci/       what CI runs beside the tests: template.yaml reader, deploy rehearsal, post-deploy smoke
              test, events/ generator, workflow linter (actionlint.mjs)
    bench/    figures, not tests: bcrypt cost, refused-login timing, token endpoint latency, migration costs,
              schemathesis against the local stack, the handler-level fuzz cases

The tests use local/ (emulator, events, demo data), ci/cfn_template (tables from the template) and
bench/fuzz_api (schemathesis against the local stack) and bench/fuzz_strategies (handler-level fuzz cases).
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
