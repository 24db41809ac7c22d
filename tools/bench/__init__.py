"""Benchmarks and the API fuzzer: they print figures and findings; they are not tests.

suite            `make bench`: one table of every cost beside its floor or peer, interleaved (build/bench.json)
sampling         its settings (BENCH_QUICK), a table row, subject and reference timed in alternation on a clock
in_process       its function in this process over moto: AWS answers recorded and replayed, AWS calls counted
rows_in_process  its rows of that function: login over bcrypt, refusal timing, channels, token CPU, AWS calls
rows_processes   its other rows: minting beside livekit-api, cold init beside boto3, HTTP, legacy PBKDF2
bcrypt_cost      median bcrypt check time per cost on this machine
refusal_timing   `make bench-timing`: refused-login latency by reason over HTTP at the production cost
token_latency    `make bench-token`: the token endpoint's latency over HTTP beside the password login's
cold_init        `make bench-cold-init`: the function's cold init with each RoomService client, beside boto3's
http_timing      what those two share: a timed POST, round-robin timing after a warm-up, the p90
fuzz_api         `make fuzz-api`: schemathesis from docs/openapi.yaml against the local stack (also in make test)
schemathesis_hooks  its hook: a live session for each request to a session route
migration        `make bench-migration`: one PBKDF2 check at Django's defaults, and the import rate into the local stack
fuzz_strategies  tests/integration/test_fuzz.py's Hypothesis strategies and answer properties (handler events)
"""
