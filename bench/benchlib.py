"""What every benchmark script shares: the result record, the statistics, the ratio rule.

A benchmark script measures; `bench/run.py` (`make bench`) collects. Each script given
`--json FILE` writes its figures there as records (below), and run.py merges the files of one run
into one table (printed, and written as Markdown and JSON under bench/results/).

A record is one system's figures for one metric of one scenario, one value per round:

    {"scenario": "hello HTTP, wrk -t2 -c32", "metric": "req/s", "unit": "req/s",
     "better": "higher", "system": "mar", "version": "0.1.0", "values": [119227.0, 113148.0],
     "command": "build/mar run bench/peers/mar --listen 127.0.0.1:PORT", "note": ""}

`better` is "higher" or "lower"; a record whose figure is only informative (no direction) says
"none". A system that failed a scenario has "error" instead of "values".
"""
import json, os, shutil, statistics

SCHEMA = 1


def record(scenario, metric, unit, better, system, values, *, version="", command="", note="", error=None,
           paired=False):
    """`paired`: value i of every system was measured in the same short stretch of time as value i
    of the others (alternating runs), so the systems are compared round by round (compare)."""
    assert better in ("higher", "lower", "none"), better
    r = {"scenario": scenario, "metric": metric, "unit": unit, "better": better, "system": system,
         "version": version, "command": command, "note": note}
    if paired:
        r["paired"] = True
    if error is not None:
        r["error"] = str(error)
    else:
        r["values"] = [float(v) for v in values]
    return r


def write_json(path, records, **extra):
    """Writes the records of one script; `path` None or "" writes nothing (the script prints only)."""
    if not path:
        return
    with open(path + ".tmp", "w") as f:
        json.dump({"schema": SCHEMA, "records": records, **extra}, f, indent=1)
    os.replace(path + ".tmp", path)


def summary(values):
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def overlap(a, b):
    """True when the [min, max] ranges of two series of rounds overlap."""
    return not (max(a) < min(b) or max(b) < min(a))


def sign_test_needs(rounds, alpha=0.05):
    """The fewest of `rounds` paired rounds one side must win for a one-sided sign test at `alpha`
    (each round a fair coin if the two were the same): 7 of 8, 9 of 10, 8 of 8 at 0.01."""
    from math import comb
    for k in range(rounds + 1):
        if sum(comb(rounds, j) for j in range(k, rounds + 1)) / 2 ** rounds <= alpha:
            return k
    return None


def compare_paired(mar, peer, better):
    """mar against a peer measured in alternating rounds: the median of the per-round ratios, given
    only when one side is ahead in enough rounds for a sign test (sign_test_needs)."""
    rounds = [(m / p if better == "higher" else p / m) for m, p in zip(mar, peer) if m > 0 and p > 0]
    if not rounds:
        return None, "—"
    ratio = statistics.median(rounds)
    ahead = sum(r > 1 for r in rounds)
    behind = sum(r < 1 for r in rounds)
    needs = sign_test_needs(len(rounds))
    if needs is not None and max(ahead, behind) >= needs:
        return ratio, f"{ratio:.2f}x (ahead in {ahead} of {len(rounds)} rounds)"
    return None, f"no clear difference ({ratio:.2f}x, ahead in {ahead} of {len(rounds)} rounds)"


def compare(mar, peer, better, paired=False):
    """mar against a peer as (ratio or None, text); ratio > 1 means mar is better.

    Paired rounds (record(..., paired=True) on both sides, as many of each) are compared round by
    round (compare_paired). Otherwise:

    With one round each side there is no spread to judge, so the ratio is given and marked
    "1 round". With several, a ratio whose [min, max] ranges overlap is refused: the runs do not
    tell the two apart (what the text says instead), unless the medians differ by more than the
    combined spread would explain — both medians outside the other's range."""
    if better == "none" or not mar or not peer:
        return None, "—"
    if paired and len(mar) == len(peer) and len(mar) > 1:
        return compare_paired(mar, peer, better)
    m, p = statistics.median(mar), statistics.median(peer)
    if m <= 0 or p <= 0:
        return None, "—"
    ratio = m / p if better == "higher" else p / m
    text = f"{ratio:.2f}x"
    if len(mar) == 1 or len(peer) == 1:
        return ratio, text + " (1 round)"
    if overlap(mar, peer) and (min(peer) <= m <= max(peer) or min(mar) <= p <= max(mar)):
        return None, f"no clear difference ({ratio:.2f}x, spreads overlap)"
    return ratio, text


def fmt(v, unit=""):
    """A figure with sensible precision: 119,227 / 1.25 / 0.486."""
    a = abs(v)
    if a >= 1000:
        s = f"{v:,.0f}"
    elif a >= 100:
        s = f"{v:.1f}"
    elif a >= 1:
        s = f"{v:.2f}"
    else:
        s = f"{v:.3g}"
    return f"{s} {unit}".rstrip() if unit else s


def spread_text(values, unit=""):
    m, lo, hi = summary(values)
    if len(values) == 1:
        return fmt(m, unit)
    return f"{fmt(m, unit)} [{fmt(lo)}–{fmt(hi)}]"


def pin_to_one_cpu(enabled=True):
    """(taskset prefix, what a header says) for running a system on one CPU, the last this process
    may use, so that single-threaded benchmarks give every system the same one core."""
    if not enabled:
        return [], "not pinned (--no-pin)"
    if not shutil.which("taskset"):
        return [], "not pinned: taskset not found"
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return [], f"not pinned: only CPU {cpus[0]} is available"
    return ["taskset", "-c", str(cpus[-1])], f"pinned to CPU {cpus[-1]} (taskset -c {cpus[-1]})"
