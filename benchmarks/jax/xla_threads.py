"""How many threads XLA's CPU code runs one loop on, read from a compiled computation's optimised HLO.

XLA splits a large loop fusion into tasks for its intra-op thread pool (one thread per schedulable core) and records
the split in the fusion's backend_config as "outer_dimension_partitions": ["2"] (one count per outer dimension).
`--xla_cpu_multi_thread_eigen=false` does not stop it (that flag covers Eigen's matrix products only): on ./bench's
2 cores jit(grad(rosenbrock)) at n = 10^6 is one fusion split in 2. Only the CPU affinity limits it (under
`taskset -c 0` nothing is split). ./bench prints this count beside JAX's times, because every other column of its
table runs on the calling thread alone.
"""
import json
import re

_PARTITIONS = re.compile(r'"outer_dimension_partitions"\s*:\s*\[([^\]]*)\]')


def fusion_threads(hlo_text):
    """The most tasks one fusion of this HLO is split into (the product over its partitioned dimensions); 1 if none."""
    most = 1
    for match in _PARTITIONS.finditer(hlo_text):
        tasks = 1
        for count in json.loads("[" + match.group(1) + "]"):
            tasks *= int(count)
        most = max(most, tasks)
    return most
