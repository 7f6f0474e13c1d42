"""What refusing a hostile policy file costs: wall time and memory of ``load_policy_file`` per case, each case
in a fresh process so its memory peak is its own. Prints numbers; it is not a test.

    uv run --frozen python bench/policy_bombs.py

Cases: the example policy (for scale), the largest policy accepted (just under 20,000 values), a 1 MB flow
list, a billion-laughs file, deep flow and block nesting, an alias loop, and files of 50 MB and 200 MB. Before
the limits (issue 12) the billion laughs ran past 20 s, the deep nesting ended in a RecursionError traceback,
and the 50 MB file took 23 s and 200 MB. The example policy is loaded once before measuring, so first-use
costs (imports, pydantic's validators) are not counted.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "policies" / "outage.yaml"


def laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\nname: *i\n"


def largest_accepted() -> str:
    """The example policy with as many extra categories as fit under the value limit."""
    from escalator.authoring.bounds import MAX_NODES

    head, _, tail = EXAMPLE.read_text().partition("categories:\n")
    category = (
        "  - name: c{n}\n    match: {{projects: [OPS], labels: [l{n}]}}\n    levels:\n"
        "      - {{name: L1, window: 1h, owners: [acc-alice]}}\n"
        "      - {{name: L2, window: 2h, owners: [acc-bob], priority: {{raise: 1}}}}\n"
    )
    per_category, example_values = 33, 256  # counted from the YAML events
    count = (MAX_NODES - example_values - 100) // per_category
    return head + "categories:\n" + "".join(category.format(n=n) for n in range(count)) + tail


def big(megabytes: int) -> str:
    chunk = "# " + "x" * 97 + "\n"
    return "name: big\n" + chunk * (megabytes * 10_000)


CASES = {
    "example policy (outage.yaml)": lambda: EXAMPLE.read_text(),
    "largest accepted (19,900 values, 600 categories)": largest_accepted,
    "1 MB flow list (330,000 values)": lambda: "name: x\nscope: [" + "x, " * 330_000 + "x]\n",
    "billion laughs (9 x 9 aliases)": laughs,
    "deep flow nesting (5,000 brackets)": lambda: "name: x\nscope: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep block nesting (1,000 mappings)": lambda: "".join(f"{' ' * i}k{i}:\n" for i in range(1000)) + "x\n",
    "alias loop (&a [*a])": lambda: "name: &a [*a]\n",
    "50 MB file": lambda: big(50),
    "200 MB file": lambda: big(200),
}


def measure(case: str, path: Path) -> None:
    """In a fresh process: load ``path`` and print the time, the peak of memory allocated while loading it
    (tracemalloc, in a second load, so tracing does not slow the timed one), how far the process's peak RSS
    rose above what imports and a warm-up load left, and the first problem found."""
    from escalator.authoring.files import PolicyLoadError, load_policy_file

    def load() -> str:
        try:
            load_policy_file(path)
        except PolicyLoadError as error:
            return str(error.problems[0]).replace(str(path), "policy.yaml")
        return "accepted"

    load_policy_file(EXAMPLE)  # imports and first-use costs, not counted
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    verdict = load()
    elapsed = time.perf_counter() - started
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    tracemalloc.start()
    load()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    size = path.stat().st_size
    print(f"{case:<50} {size:>12,} B {elapsed * 1000:9.1f} ms {peak:8.2f} MB {rss:+7.1f} MB  {verdict[:70]}")


def main() -> None:
    if len(sys.argv) == 3:
        measure(sys.argv[1], Path(sys.argv[2]))
        return
    print(f"{'case':<50} {'file size':>14} {'load time':>12} {'allocated':>11} {'RSS':>10}  result")
    with tempfile.TemporaryDirectory() as folder:
        for case, make in CASES.items():
            path = Path(folder) / "policy.yaml"
            path.write_text(make())
            subprocess.run([sys.executable, __file__, case, str(path)], check=True)


if __name__ == "__main__":
    main()
