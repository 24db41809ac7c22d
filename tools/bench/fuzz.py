"""`make fuzz`: run the login handler through many generated requests (10,000 by default) over
moto and print how many answers got each status, how long it took, and any broken property.

The cases and the properties are those of tests/integration/test_fuzz.py (tools.bench.fuzz_strategies),
only many more of them. The function's own output (JSON log lines, metrics) goes to a temporary
file while it runs; every line of it must parse as one JSON object, and nothing may reach stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from hypothesis import Phase, given, seed

from tools import REPO_ROOT
from tools.bench import fuzz_strategies

STDERR_EXCERPT_LINES = 20
FUNCTION_DIR = REPO_ROOT / "functions" / "auth_client"


@contextmanager
def function_output_to(stdout: IO[bytes], stderr: IO[bytes]) -> Iterator[IO[str]]:
    """Send file descriptors 1 and 2 to the given files; yield a stream to the real stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    report = os.fdopen(os.dup(saved_out), "w", encoding="utf-8")
    os.dup2(stdout.fileno(), 1)
    os.dup2(stderr.fileno(), 2)
    try:
        yield report
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        os.close(saved_out)
        os.close(saved_err)
        report.close()


def answer_of(result: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """Status, headers (single and multi-value merged) and decoded body of a proxy result."""
    headers = {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
    headers.update(result.get("headers") or {})
    try:
        body = json.loads(result["body"]) if result.get("body") else None
    except ValueError:
        body = None  # judged by the properties: a refusal without a JSON body breaks them
    return result["statusCode"], headers, body


def run(cases: int, run_seed: int, report: IO[str]) -> tuple[Counter[int], Counter[str]]:
    if str(FUNCTION_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTION_DIR))
    import app  # after the environment is in place: services builds its AWS clients on import
    import services
    from livekit_auth import credentials
    from tools.local.events import LocalContext

    services.configured.cache_clear()
    credentials.ssm_provider.clear_cache()
    statuses: Counter[int] = Counter()
    broken: Counter[str] = Counter()

    @seed(run_seed)
    @fuzz_strategies.fuzz_settings(cases, database=None, phases=[Phase.generate])
    @given(case=fuzz_strategies.fuzz_cases())
    def one_case(case: fuzz_strategies.FuzzCase) -> None:
        try:
            status, headers, body = answer_of(app.lambda_handler(case.event(), LocalContext()))
        except Exception as error:  # a crash past the handler's own 500 is the worst finding
            statuses[-1] += 1
            broken[f"the handler raised {type(error).__name__}"] += 1
            return
        statuses[status] += 1
        for violation in fuzz_strategies.violations(case, status, headers, body):
            broken[violation] += 1
        done = sum(statuses.values())
        if done % 1000 == 0:
            print(f"  {done} cases", file=report, flush=True)

    one_case()
    return statuses, broken


def output_problems(stdout_path: Path, stderr_path: Path) -> Counter[str]:
    """Lines of the function's own output that are not one JSON object, and anything on stderr."""
    problems: Counter[str] = Counter()
    with stdout_path.open("rb") as lines:
        for line in lines:
            try:
                if not isinstance(json.loads(line), dict):
                    problems["a log line that is not a JSON object"] += 1
            except ValueError:
                problems["a log line that is not JSON"] += 1
    if stderr_path.stat().st_size:
        problems["output on stderr"] += 1
        with stderr_path.open(encoding="utf-8", errors="replace") as err:
            excerpt = [line.rstrip()[:200] for _, line in zip(range(STDERR_EXCERPT_LINES), err, strict=False)]
        print("stderr began with:", *excerpt, sep="\n  ")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None, help="repeat a run (default: a new one)")
    args = parser.parse_args(argv)
    run_seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    print(f"fuzzing the login handler with {args.cases} generated requests (seed {run_seed})", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        stdout_path, stderr_path = Path(scratch) / "stdout", Path(scratch) / "stderr"
        with (
            stdout_path.open("wb") as stdout,
            stderr_path.open("wb") as stderr,
            fuzz_strategies.emulated_function(),
            function_output_to(stdout, stderr) as report,
        ):
            statuses, broken = run(args.cases, run_seed, report)
        elapsed = time.perf_counter() - started
        broken.update(output_problems(stdout_path, stderr_path))
    total = sum(statuses.values())
    print(f"{total} cases in {elapsed:.1f} s ({elapsed / max(1, total) * 1000:.1f} ms each); answers by status:")
    for status, count in sorted(statuses.items()):
        print(f"  {'crash' if status < 0 else status}: {count}")
    if broken:
        print("BROKEN PROPERTIES:")
        for violation, count in broken.most_common():
            print(f"  {violation}: {count}")
        return 1
    print("every property held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
