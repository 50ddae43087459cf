"""./bench's report of how many threads JAX's compiled code uses (benchmarks/jax/xla_threads.py), on HLO text as
XLA 0.10 prints it for jit(grad(rosenbrock)) at n = 10^6 on 2 cores, and on computations it does not split."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks" / "jax"))

from xla_threads import fusion_threads  # noqa: E402

ROSENBROCK_GRAD = """
ENTRY %main.1 (x.1: f64[1000000]) -> f64[1000000] {
  %x.1 = f64[1000000]{0} parameter(0), metadata={op_name="x"}
  ROOT %pad_add_fusion = f64[1000000]{0} fusion(%x.1), kind=kLoop, calls=%fused_computation, metadata={op_name="jit(r)/transpose(jvp())/add_any" stack_frame_id=4}, backend_config={"outer_dimension_partitions":["2"]}
}
"""


def test_a_fusion_split_in_two_runs_on_two_threads():
    assert fusion_threads(ROSENBROCK_GRAD) == 2


def test_the_largest_split_counts_and_dimensions_multiply():
    text = ('%a = fusion(%p), backend_config={"outer_dimension_partitions":["3"]}\n'
            '%b = fusion(%p), backend_config={"outer_dimension_partitions":["2","4"]}\n'
            '%c = fusion(%p), backend_config={"outer_dimension_partitions":[]}\n')
    assert fusion_threads(text) == 8


def test_a_computation_without_a_split_runs_on_one_thread():
    unsplit = ROSENBROCK_GRAD.replace(', backend_config={"outer_dimension_partitions":["2"]}', "")
    assert fusion_threads(unsplit) == 1
    assert fusion_threads('%f = fusion(%p), backend_config={"outer_dimension_partitions":["1"]}') == 1
