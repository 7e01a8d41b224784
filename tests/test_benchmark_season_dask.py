"""benchmarks.season_dask writes its own section of RESULTS.md and nothing else."""

from __future__ import annotations

from pathlib import Path

from benchmarks.season_dask import END, START, Run, speedups, write_section


def test_the_section_goes_last_and_replaces_only_itself(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    write_section(results, "## Season\nfirst\n")
    assert results.read_text() == f"{START}\n## Season\nfirst\n{END}\n"
    results.write_text("# Benchmarks\n\nreaders table\n")  # another writer rewrote the file
    write_section(results, "## Season\nsecond\n")
    results.write_text(results.read_text() + "\n## Added later by someone else\nkept\n")
    write_section(results, "## Season\nthird\n")
    text = results.read_text()
    assert text.startswith("# Benchmarks\n\nreaders table\n")
    assert "## Added later by someone else\nkept\n" in text
    assert text.count(START) == 1 and "second" not in text
    assert text.endswith(f"{START}\n## Season\nthird\n{END}\n")


def test_pairs_per_second_counts_both_rounds() -> None:
    run = Run(workers=2, atl07_granules=10, pairs=5, failed=1, choose_s=3.0, pair_s=2.0)
    assert run.total_s == 5.0 and run.pairs_per_s == 1.0


def test_speedup_is_throughput_over_one_worker() -> None:
    runs = [
        Run(workers=1, atl07_granules=10, pairs=5, failed=1, choose_s=6.0, pair_s=4.0),
        Run(workers=2, atl07_granules=10, pairs=5, failed=1, choose_s=3.0, pair_s=2.0),
        Run(workers=4, atl07_granules=10, pairs=5, failed=1, choose_s=2.0, pair_s=2.0),
    ]
    assert speedups(runs) == {1: 1.0, 2: 2.0, 4: 2.5}
