"""Benchmarks and the fuzz driver: they print figures; they are not tests.

suite            `make bench`: one table of every cost beside its floor or peer, interleaved (build/bench.json)
bcrypt_cost      median bcrypt check time per cost on this machine
refusal_timing   `make bench-timing`: refused-login latency by reason over HTTP at the production cost
token_latency    `make bench-token`: the token endpoint's latency over HTTP beside the password login's
http_timing      what those two share: a timed POST, round-robin timing after a warm-up, the p90
fuzz             `make fuzz`: many generated requests through the handler, answers counted per status
migration        `make bench-migration`: one PBKDF2 check at Django's defaults, and the import rate into the local stack
fuzz_strategies  the Hypothesis strategies and answer properties, shared with tests/integration/test_fuzz.py
"""
