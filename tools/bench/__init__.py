"""Benchmarks and the API fuzzer: they print figures and findings; they are not tests.

bcrypt_cost      median bcrypt check time per cost on this machine
refusal_timing   `make bench-timing`: refused-login latency by reason over HTTP at the production cost
token_latency    `make bench-token`: the token endpoint's latency over HTTP beside the password login's
http_timing      what those two share: a timed POST, round-robin timing after a warm-up, the p90
fuzz_api         `make fuzz-api`: schemathesis from docs/openapi.yaml against the local stack (also in make test)
schemathesis_hooks  its hook: a live session for each request to a session route
migration        `make bench-migration`: one PBKDF2 check at Django's defaults, and the import rate into the local stack
fuzz_strategies  tests/integration/test_fuzz.py's Hypothesis strategies and answer properties (handler events)
"""
