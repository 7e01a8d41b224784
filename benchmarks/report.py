"""Write ``RESULTS.md`` and the plot from a `benchmarks.results.BenchmarkResult`: rendering only
(it measures nothing and does not import `benchmarks.run`)."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.results import BEAM_VARIABLES, BenchmarkResult, Row

__all__ = ["BOOK_END", "BOOK_START", "merge_section", "write_report"]

SECTION_START = "<!-- benchmarks.run: start (written by python -m benchmarks run) -->"
SECTION_END = "<!-- benchmarks.run: end -->"
BOOK_START = "<!-- benchmarks.run: book-start -->"
"""book/performance.md includes the report from here ..."""
BOOK_END = "<!-- benchmarks.run: book-end -->"
"""... to here."""


def merge_section(existing: str, section: str) -> str:
    r"""Put `section` in place of the previous one in `existing`; other sections stay as they are.

    Examples
    --------
    >>> other = "<!-- x: start -->\nX\n<!-- x: end -->\n"
    >>> first = merge_section(other, f"{SECTION_START}\nA\n{SECTION_END}")
    >>> again = merge_section(first, f"{SECTION_START}\nB\n{SECTION_END}")
    >>> again.count(SECTION_START), "A" in again, "B" in again, again.startswith(SECTION_START)
    (1, False, True, True)
    >>> again.endswith(other)
    True
    """
    if SECTION_START in existing and SECTION_END in existing:
        before, rest = existing.split(SECTION_START, 1)
        after = rest.split(SECTION_END, 1)[1]
        return before + section + after
    return section + ("\n\n" + existing.lstrip("\n") if existing.strip() else "\n")


LAYOUT_TITLES = {
    "v006": "v006 layout: (10000,) gzip chunks appended through time, interleaved",
    "v007": "v007 cloud-optimized layout: 8 MiB paged aggregation, (100000,) chunks",
}

PLOT_TITLES = {
    "v006": "v006: as produced (chunks interleaved through time)",
    "v007": "v007: cloud-optimized (8 MiB pages, 100,000-value chunks)",
}


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def main_rows(result: BenchmarkResult) -> list[Row]:
    """The rows the tables lead with: those of the plain process (glibc's defaults), or, in
    results written before the plain process was the default, every row."""
    plain = [r for r in result.rows if not r.allocator]
    return plain or list(result.rows)


def _tuned_rows(result: BenchmarkResult) -> dict[tuple[str, float, str], Row]:
    """The second, labelled run of each reader with the tuned allocator, if there was one."""
    if not any(not r.allocator for r in result.rows):
        return {}
    return {(r.layout, r.latency_ms, r.reader): r for r in result.rows if r.allocator}


def _spread(r: Row) -> str:
    if not r.walls:
        return "-"
    if len(r.walls) == 1:
        return "1 run"
    return f"{min(r.walls):.2f}-{max(r.walls):.2f}"


def _memory(r: Row) -> tuple[str, str]:
    if not r.peak_rss:
        return "-", "-"
    ratio = f"{r.extra_peak_over_output:.2f}"
    if r.later_extra_peak and r.output_bytes:
        ratio += f" ({r.later_extra_peak / r.output_bytes:.2f})"
    return f"{r.extra_peak / 1e6:,.0f}", ratio


def _table(
    rows: list[Row],
    seed_walls: dict[tuple[str, float], float],
    tuned: dict[tuple[str, float, str], Row] | None = None,
) -> list[str]:
    tuned = tuned or {}
    head = (
        "| latency | reader | GETs | MB moved | over-read | conns | round trips before data "
        "| wall s | runs: min-max s | slowest/median | CPU s | emulator CPU s | floor s "
        "| wall/floor | wall/floor (ISA-L) | extra peak MB | extra peak / output | vs seed "
    )
    align = (
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
    )
    if tuned:
        head += "| wall s, tuned allocator (min-max) "
        align += "|---:"
    out = [head + "| identical |", align + "|:-:|"]
    for r in rows:
        seed = seed_walls.get((r.layout, r.latency_ms))
        speedup = f"{seed / r.wall:,.1f}x" if seed and r.wall else ""
        ok = "yes" if r.identical else f"**NO** {r.error}"
        trips = "-" if r.round_trips is None else str(r.round_trips)
        slowest = f"{r.slowest_over_median:.2f}" if r.walls else "-"
        extra, ratio = _memory(r)
        line = (
            f"| {r.latency_ms:.0f} ms | {r.reader} | {r.gets:,} | {_mb(r.bytes_moved)} "
            f"| {r.over_read:.2f} | {r.connections} | {trips} | {r.wall:.2f} | {_spread(r)} "
            f"| {slowest} | {r.cpu:.2f} | {r.emulator_cpu:.2f} | {r.floor:.2f} "
            f"| {r.wall_over_floor:.1f} | {_ratio(r.wall, r.floor_isal)} | {extra} | {ratio} "
            f"| {speedup} "
        )
        if tuned:
            t = tuned.get((r.layout, r.latency_ms, r.reader))
            line += f"| {t.wall:.2f} ({_spread(t)}) " if t else "| "
        out.append(line + f"| {ok} |")
    return out


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}" if b else ""


def _isal(needs: dict) -> str:
    seconds = needs.get("inflate_seconds_isal")
    return "no isal" if seconds is None else f"{seconds:.2f} s"


WALL_OVER_FLOOR_TARGETS = {"v006": 2.0, "v007": 1.3}
"""Issue #19's wall / floor targets for the notebooks' reader at 30 ms (v007: cloud-optimized)."""


def _targets(result: BenchmarkResult) -> list[str]:
    """The issue's targets, checked on the v006 granule at 30 ms."""
    lines = []
    for layout in ("v006", "v007"):
        rows = {r.reader: r for r in main_rows(result) if r.layout == layout and r.latency_ms == 30}
        seed, fast = rows.get("seed"), rows.get("helpers")
        if not (seed and fast):
            continue
        speed = seed.wall / fast.wall
        most = WALL_OVER_FLOOR_TARGETS[layout]
        lines += [
            f"- {layout}, 30 ms: helpers is **{speed:.1f}x** faster than the seed way "
            f"(target >= 10x: {'met' if speed >= 10 else 'NOT met'}); "
            f"wall/floor **{fast.wall_over_floor:.2f}** (target <= {most:g}: "
            f"{'met' if fast.wall_over_floor <= most else 'NOT met'}); bytes moved / needed "
            f"**{fast.over_read:.2f}** (target <= 1.5: "
            f"{'met' if fast.over_read <= 1.5 else 'NOT met'}). With ISA-L's inflate time in "
            f"the floor instead of zlib's, wall/floor is {_ratio(fast.wall, fast.floor_isal)}."
            + _issue19_targets(fast)
        ]
    p = result.pairing
    if p:
        pairing_met = p["helpers_seconds"] < 0.5 and p["helpers_seconds"] <= p["seed_seconds"]
        lines.append(
            f"- Pairing {p['points']:,} segments against {p['pixels']:,} pixels: helpers "
            f"**{p['helpers_seconds']:.2f} s** vs seed {p['seed_seconds']:.2f} s (target < 0.5 s "
            f"and never slower: {'met' if pairing_met else 'NOT met'})."
        )
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _issue19_targets(r: Row) -> str:
    """Issue #19's targets for the notebooks' reader, where this run measured them."""
    parts = []
    if len(r.walls) > 1:
        parts.append(
            f"slowest run / median **{r.slowest_over_median:.2f}** "
            f"(target <= 1.3: {_met(r.slowest_over_median <= 1.3)})"
        )
    if r.round_trips is not None:
        parts.append(
            f"round trips before the first data request **{r.round_trips}** "
            f"(target <= 3: {_met(r.round_trips <= 3)})"
        )
    if r.peak_rss and r.output_bytes:
        parts.append(
            f"extra peak memory / output **{r.extra_peak_over_output:.2f}** "
            f"(target <= 1.5: {_met(r.extra_peak_over_output <= 1.5)})"
        )
    return (" Issue #19: " + "; ".join(parts) + ".") if parts else ""


def _emulator_ms_per_get(result: BenchmarkResult) -> float:
    rows = [r for r in result.rows if r.reader == "helpers" and r.gets] or [
        r for r in result.rows if r.gets
    ]
    return 1000 * sum(r.emulator_cpu for r in rows) / max(1, sum(r.gets for r in rows))


def _allocator_line(result: BenchmarkResult) -> list[str]:
    machine = result.machine
    touch = machine.get("first_touch_ms_per_mb")
    measured = f" (measured at the start of this run: {touch:.2f} ms per MB)" if touch else ""
    if not machine.get("allocator"):  # the plain process leads
        tuned = ""
        if result.tuned_allocator:
            tuned = (
                " *wall s, tuned allocator* is a second run of the same reader in a process "
                f"where glibc keeps the memory it frees ({result.tuned_allocator}; see "
                "`keep_freed_memory` in `benchmarks/run.py`): this virtual machine hands freed "
                "memory back to the hypervisor within seconds, and the first write to it "
                f"again costs about 2 ms per MB{measured}; the other columns are the plain "
                "process's."
            )
        return [
            "- Memory: every reader runs in a plain process, with glibc's defaults, as a "
            "notebook kernel runs." + tuned
        ]
    return [
        "- Memory: the benchmark process has glibc keep the memory it frees "
        f"({machine['allocator']}), because this virtual machine hands freed memory back to "
        "the hypervisor within seconds and the first write to memory it has handed back costs "
        f"about 2 ms per MB{measured}, against 0.1-0.2 ms on a machine whose memory stays "
        "mapped, and a read fills hundreds of MB of new arrays (see `keep_freed_memory` in "
        "`benchmarks/run.py`). Every reader runs so."
    ]


def _runs_sentence(result: BenchmarkResult) -> str:
    warm = "once untimed to warm up, then " if result.warmup else ""
    slow = (
        "slower readers once"
        if result.slow_runs <= 1
        else f"slower readers {result.slow_runs} times, the first included"
    )
    where = (
        " Each reader runs in a fresh child process of the benchmark, forked from one that has "
        "imported the libraries, its warm-up and timed runs one after another in it, as they "
        "ran in the benchmark process itself before (the arrays of a run are freed before the "
        "next starts)."
        if result.child_processes
        else ""
    )
    return (
        f"Within it, a reader that finishes in under {result.repeat_below:.0f} s is run {warm}"
        f"{result.repeats} times and its median wall and CPU times are shown, with the fastest "
        f"and slowest runs (GETs and bytes are the same each time); {slow}.{where}"
    )


def _instrument_lines(result: BenchmarkResult) -> list[str]:
    """The legend of the columns of issue #19 (round trips, spread, memory)."""
    if not any(r.walls or r.peak_rss or r.round_trips is not None for r in result.rows):
        return []
    method = result.memory_method or "not measured"
    return [
        "- *round trips before data*: from the emulator's log of the last run (each request's "
        "start, end and byte range; HEADs included), the dependent round trips before the first "
        "request for chunk data: the earliest GET that asks for chunks as such (its range "
        "begins at a chunk's first byte and ends at a chunk's last, from `chunk_iter`), or, for "
        "a reader that never does (h5py through a block cache), the earliest GET whose range "
        "overlaps a chunk of the five variables. "
        "Among the requests that ended before it started, it is the longest chain in which "
        "each starts after the one before ended: requests in flight together count as one "
        "(`benchmarks.layout.round_trips_before_data`). On a small granule a cache's first "
        "block can already hold chunks, which makes the count small.",
        "- *runs: min-max s*: the fastest and slowest timed runs; *slowest/median*: the slowest "
        "run's wall time over the median.",
        "- *extra peak MB*: the peak resident memory of the reading process during its first "
        "read (in its fresh child process, so no earlier read's peak or freed memory counts) "
        f"minus its resident memory just before ({method}); *extra peak / output*: that over "
        "the bytes of the arrays the reader returns (the output itself is part of the peak, so "
        "1.0 is a reader that needs no memory but its result); in parentheses, the largest of "
        "the same ratio over the later runs in that process, which leaves out a first read's "
        "one-time costs (imports, tables loaded on first use) but can count low by memory an "
        "earlier run freed and the allocator kept.",
    ]


def write_report(result: BenchmarkResult, out: Path, plot: Path | None) -> None:
    """Write the Markdown report to `out` and, if `plot`, the PNG figure."""
    rows_shown = main_rows(result)
    tuned = _tuned_rows(result)
    seed_walls = {(r.layout, r.latency_ms): r.wall for r in rows_shown if r.reader == "seed"}
    m, e = result.machine, result.emulator
    lines = [
        SECTION_START,
        "## Reading ATL03 from S3, and pairing (python -m benchmarks run)",
        "",
        f"Written by `{result.command}` on "
        f"{result.finished or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{result.seconds / 60:.1f} min. Protocol: `/work/shared/PERFORMANCE.md`; explanation: "
        "`book/performance.md`. One run; ratios are from that run. " + _runs_sentence(result),
        "",
        BOOK_START,
        "",
        "### Machine",
        "",
        f"- {m.get('cpu', '?')}, {m.get('cores')} cores, {m.get('memory', '?')} RAM, "
        f"{m.get('platform', '')}",
        f"- Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in m['load_before'])}; "
        f"after: {', '.join(f'{x:.2f}' for x in m.get('load_after', ()))} "
        "(the machine is shared with other work).",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in result.versions.items()),
        "",
        "### Conditions",
        "",
        f"- S3 emulator (`benchmarks/s3server.py`) on 127.0.0.1, serving the files from disk with "
        f"Range; every request waits the added latency before its first byte; each connection "
        f"sends at most {result.bandwidth / 1e6:.0f} MB/s.",
        f"- Emulator floor at 0 ms added latency: {e.get('request_ms_raw', 0):.2f} ms per request "
        f"with a bare HTTP client, {e.get('request_ms_s3fs', 0):.2f} ms through "
        f"s3fs/aiobotocore; one connection delivers {e.get('one_connection_mb_s', 0):.1f} MB/s. "
        "The emulator runs on the same cores as the readers: *emulator CPU s* is what it spent "
        f"serving each reader (about {_emulator_ms_per_get(result):.2f} ms of CPU per GET for "
        "`helpers`; S3's own CPU costs a reader nothing).",
        *_allocator_line(result),
        f"- Read: the five photon variables of gt1l ({', '.join(BEAM_VARIABLES)}).",
        "- floor = depth x latency + MB needed / (conns x bandwidth) + zlib inflate time / "
        f"{result.cores} cores; conns = the most requests the reader had in flight at once; "
        "depth = 2 + chunk B-tree levels (metadata, each index level, chunks); over-read = MB "
        "moved / MB needed (both in the Granules table). *wall/floor "
        "(ISA-L)* uses ISA-L's inflate time in the floor instead of zlib's: stricter, and what "
        "the `helpers` reader inflates with.",
        *_instrument_lines(result),
        "",
        "### Granules",
        "",
        "| layout | file MB | chunks needed | MB needed (chunks + metadata) | raw MB "
        "| B-tree levels | inflate, 1 core: zlib (ISA-L) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for layout, n in result.needs.items():
        lines.append(
            f"| {LAYOUT_TITLES.get(layout, layout)} | {_mb(n['file_bytes'])} | {n['chunks']:,} "
            f"| {_mb(n['bytes_needed'])} ({_mb(n['chunk_bytes'])} + "
            f"{n['metadata_bytes'] / 1e3:.0f} kB) "
            f"| {_mb(n['raw_bytes'])} | {n['btree_levels']} | {n['inflate_seconds']:.2f} s "
            f"({_isal(n)}) |"
        )
    lines += ["", "### Readers", ""]
    for key, (label, how) in result.readers.items():
        lines.append(f"- `{key}`: {label}: {how}.")
    lines += ["", "### Targets", "", *_targets(result)]
    for layout in result.needs:
        rows = [r for r in rows_shown if r.layout == layout]
        lines += [
            "",
            f"### {LAYOUT_TITLES.get(layout, layout)}",
            "",
            *_table(rows, seed_walls, tuned),
        ]
    if result.pairing:
        p = result.pairing
        lines += [
            "",
            "### Pairing",
            "",
            f"{p['points']:,} segments against a 2030 x 1354 swath ({p['pixels']:,} pixels, "
            f"{p['valid_fraction']:.0%} valid), radius 1000 m, best of 3:",
            "",
            "| way | seconds | points paired |",
            "|---|---:|---:|",
            f"| seed: `kd_tree.resample_nearest` on the masked swath | {p['seed_seconds']:.3f} "
            f"| {p['seed_paired']:,} |",
            f"| helpers: `pair_nearest` (valid pixels only, pykdtree, neighbour info kept) "
            f"| {p['helpers_seconds']:.3f} | {p['helpers_paired']:,} |",
            "| helpers: `Pairing.sample` of one more variable "
            f"| {p['resample_again_seconds']:.4f} | |",
            "",
            f"Identical values wherever the seed way pairs a point: "
            f"{'yes' if p['identical_where_seed_paired'] else '**NO**'}. helpers pairs "
            f"{p['helpers_paired'] - p['seed_paired']:,} more points: those whose nearest pixel "
            "is cloudy but that have a clear pixel within 1 km.",
        ]
    lines += ["", BOOK_END, SECTION_END]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(merge_section(out.read_text() if out.exists() else "", "\n".join(lines)))
    if plot is not None:
        _plot(result, plot)


def _plot(result: BenchmarkResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layouts = list(result.needs)
    fig, axes = plt.subplots(1, len(layouts), figsize=(6.2 * len(layouts), 4.2), squeeze=False)
    latencies = result.latencies_ms
    readers = list(result.readers)
    width = 0.8 / max(1, len(latencies))
    for ax, layout in zip(axes[0], layouts, strict=True):
        for k, latency in enumerate(latencies):
            rows = {
                r.reader: r
                for r in main_rows(result)
                if r.layout == layout and r.latency_ms == latency
            }
            xs = [i + (k - (len(latencies) - 1) / 2) * width for i in range(len(readers))]
            walls = [rows[r].wall if r in rows else 0 for r in readers]
            floors = [rows[r].floor if r in rows else 0 for r in readers]
            ax.bar(xs, walls, width * 0.95, label=f"{latency:.0f} ms", alpha=0.85)
            ax.scatter(xs, floors, marker="_", s=120, color="black", zorder=3)
        ax.set_yscale("log")
        ax.set_xticks(range(len(readers)))
        ax.set_xticklabels(readers, rotation=20, ha="right")
        ax.set_ylabel("wall time, s (log)")
        ax.set_title(PLOT_TITLES.get(layout, layout), fontsize=10)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0][0].legend(title="added latency (black: floor)", fontsize=8)
    fig.suptitle(
        f"Reading gt1l's five photon variables from S3 "
        f"({result.size_bytes / 1e9:.1f} GB granule, "
        f"{result.bandwidth / 1e6:.0f} MB/s per connection)",
        fontsize=11,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
