"""botocore settings shared by every AWS client of the function.

Explicit timeouts and the standard retry mode, sized so that the slowest path of a login
(see WORST_CASE_CALL_SECONDS and template.yaml's Timeout) still answers inside the function's timeout
with the guide's 500 instead of being killed by Lambda.
"""

from botocore.config import Config

CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
MAX_ATTEMPTS = 2  # the first try plus one retry
MAX_RETRY_BACKOFF_SECONDS = 1.0  # standard mode: random(0, 1) * 2**0 before the only retry

CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    # total_max_attempts counts the first try; botocore's max_attempts would count retries only.
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    tcp_keepalive=True,
)

# The longest one AWS call can take before botocore gives up.
WORST_CASE_CALL_SECONDS = MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + MAX_RETRY_BACKOFF_SECONDS

# The most AWS calls a login waits on one after another: the attempt gate (two conditional writes
# past the free attempts; the user read runs beside them), then either the failure record or the
# channels Query (the attempt reset and, on a cold start, SSM run beside it); with "session": true, the
# session write after them.
SEQUENTIAL_CALLS_PER_LOGIN = 4
