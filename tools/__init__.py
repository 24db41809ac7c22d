"""Developer and operator tools: the local stack, authctl, the deploy rehearsal, benchmarks."""
