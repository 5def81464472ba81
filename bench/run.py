#!/usr/bin/env python3
"""`make bench`: every benchmark, mar beside its peers in one run, one table, results on disk.

Runs each step's script (each interleaves mar and its peers round by round), collects the
figures they write (bench/benchlib.py records) and prints one table per scenario: each system's
median and [min–max] spread over the rounds, and beside each peer mar's ratio to it (> 1: mar is
better; refused where the spreads say the runs cannot tell the two apart). The same tables go to
bench/results/<date>-<time>/results.md, and everything (machine, commands, every value) to
results.json beside it, with each step's full output in <step>.log; bench/results/latest points
at the newest run.

Usage: bench/run.py [--quick] [--only STEP,...] [--out DIR]
Steps: startup, http, timers, actors, wasm, gpu (in that order). --quick runs each with fewer
rounds and smaller sizes: a smoke run whose figures are not the ones to quote.
Environment: MAR_BINARY (default build/mar).
"""
import argparse, datetime, json, os, platform, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

# (step, script, full-run arguments, --quick arguments)
STEPS = [
    ("startup", "bench/startup.py", [], ["--rounds", "3"]),
    ("http", "bench/http_bench.py", [], ["--rounds", "1", "--duration", "2", "--alternating", "2"]),
    ("timers", "bench/timers/timers_bench.py", [], ["--rounds", "2"]),
    ("actors", "bench/actors/actors_bench.py", [], ["--quick"]),
    ("wasm", "bench/wasm/wasm_bench.py", [], ["--quick"]),
    ("gpu", "bench/gpu/gpu_bench.py", [], ["--quick"]),
]
PEER_ORDER = ["mar", "workerd", "deno", "bun", "node", "erlang", "caf"]


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem = next((int(line.split()[1]) for line in read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal:")), 0)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "nproc": os.cpu_count(), "memory_gib": round(mem / 1024 / 1024, 1), "cpu": cpu,
            "kernel": platform.release(), "load_average_before": round(os.getloadavg()[0], 2),
            "mar_commit": commit + ("-dirty" if dirty else "")}


def run_step(name, argv, out_dir):
    """Runs one script, its output shown as it comes and kept in <step>.log; (rc, seconds)."""
    start = time.monotonic()
    with open(os.path.join(out_dir, f"{name}.log"), "w") as logf:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                bufsize=1)
        for line in proc.stdout:
            sys.stdout.write(line)
            logf.write(line)
        rc = proc.wait()
    return rc, time.monotonic() - start


def cell(r, unit):
    if r is None:
        return ""
    if "error" in r:
        return f"failed: {r['error'][:120]}"
    return benchlib.spread_text(r["values"], unit)


def markdown(info, steps, records):
    lines = [f"# mar benchmarks, {info['date']}", "",
             f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB, Linux {info['kernel']}; "
             f"1-min load average {info['load_average_before']} before the run. mar at {info['mar_commit']}.", "",
             *([f"**The machine was busy** (load average {info['load_average_before']} before the run, "
                f"{info.get('load_average_after', '?')} after): expect wide spreads.", ""]
               if max(info["load_average_before"], info.get("load_average_after", 0)) > 1.0 else []),
             "Each cell: median [min–max] over the rounds. Beside each peer, mar against it: > 1 means mar is "
             "better (higher rate, or lower time/memory); no ratio where the spreads overlap so much that the "
             "runs cannot tell the two apart. Scenarios run in alternating rounds (every system up at once) "
             "compare round by round instead: the median of the per-round ratios, given only when one side is "
             "ahead in enough rounds for a sign test at 5 %.", ""]
    versions = {}
    for r in records:
        if r.get("version"):
            versions.setdefault(r["system"], r["version"])
    lines.append("Versions: " + "; ".join(f"{s} {v}" for s, v in versions.items()) + ".")
    scenarios = []
    for r in records:
        if r["scenario"] not in scenarios:
            scenarios.append(r["scenario"])
    for scenario in scenarios:
        rs = [r for r in records if r["scenario"] == scenario]
        systems = sorted({r["system"] for r in rs},
                         key=lambda s: (PEER_ORDER.index(s.split()[0]) if s.split()[0] in PEER_ORDER else 99, s))
        metrics = []
        for r in rs:
            if (r["metric"], r["unit"], r["better"]) not in metrics:
                metrics.append((r["metric"], r["unit"], r["better"]))
        lines += ["", f"### {scenario}", "", "| metric | " + " | ".join(systems) + " |",
                  "|---|" + "---|" * len(systems)]
        for metric, unit, better in metrics:
            by = {r["system"]: r for r in rs if r["metric"] == metric}
            mar = by.get("mar", {}).get("values")
            cells = []
            for s in systems:
                text = cell(by.get(s), unit)
                if s != "mar" and mar and by.get(s, {}).get("values"):
                    paired = by[s].get("paired", False) and by["mar"].get("paired", False)
                    text += f" · mar {benchlib.compare(mar, by[s]['values'], better, paired)[1]}"
                cells.append(text)
            direction = {"higher": " (higher is better)", "lower": " (lower is better)"}.get(better, "")
            lines.append(f"| {metric}{direction} | " + " | ".join(cells) + " |")
        noted = [r for r in rs if r.get("note")]
        if noted and len({r["note"] for r in noted}) == 1 and len({r["system"] for r in noted}) == len(systems):
            notes = [noted[0]["note"]]  # the same for every system: once
        else:
            notes = sorted({f"{r['system']}: {r['note']}" for r in noted})
        if notes:
            lines += ["", "Notes: " + "; ".join(notes) + "."]
    lines += ["", "## Steps", "", "| step | exit | seconds |", "|---|---|---|"]
    lines += [f"| {s['step']} | {s['rc']} | {s['seconds']:.0f} |" for s in steps]
    lines += ["", "## Commands", ""]
    seen = set()
    for r in records:
        key = (r["scenario"], r["system"], r.get("command", ""))
        if r.get("command") and key not in seen:
            seen.add(key)
            lines.append(f"- {r['scenario']} — {r['system']}: `{r['command']}`")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, smaller sizes: a smoke run")
    ap.add_argument("--only", default="", help="comma-separated steps: " + ",".join(s[0] for s in STEPS))
    ap.add_argument("--out", default="", help="results folder (default bench/results/<date>-<time>)")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - {s[0] for s in STEPS}
    if unknown:
        sys.exit(f"bench: unknown step(s) {', '.join(sorted(unknown))}; steps: {', '.join(s[0] for s in STEPS)}")

    info = machine()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    out_dir = os.path.abspath(args.out or os.path.join(HERE, "results", stamp))
    os.makedirs(out_dir, exist_ok=True)
    chosen = [s for s in STEPS if not only or s[0] in only]
    log(f"{len(chosen)} step(s){' (--quick)' if args.quick else ''}; results in {os.path.relpath(out_dir, ROOT)}")
    steps, records, started = [], [], time.monotonic()
    for i, (name, script, full, quick) in enumerate(chosen, 1):
        data = os.path.join(out_dir, f"{name}.json")
        argv = [sys.executable, os.path.join(ROOT, script)] + (quick if args.quick else full) + ["--json", data]
        log(f"step {i}/{len(chosen)}: {name} — {' '.join(argv[1:]).replace(ROOT + '/', '')} "
            f"({time.monotonic() - started:.0f} s into the run)")
        rc, seconds = run_step(name, argv, out_dir)
        steps.append({"step": name, "rc": rc, "seconds": round(seconds, 1),
                      "command": " ".join(["python3"] + argv[1:]).replace(ROOT + "/", "")})
        try:
            with open(data) as f:
                got = json.load(f)["records"]
            records += got
            log(f"{name}: {len(got)} figure(s) in {seconds:.0f} s" + (f", exit {rc}" if rc else ""))
        except (OSError, ValueError, KeyError) as e:
            log(f"{name}: exit {rc} after {seconds:.0f} s and no figures ({e.__class__.__name__}); see {name}.log")

    info["seconds"] = round(time.monotonic() - started, 1)
    info["load_average_after"] = round(os.getloadavg()[0], 2)
    text = markdown(info, steps, records)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"schema": benchlib.SCHEMA, "machine": info, "steps": steps, "records": records}, f, indent=1)
    latest = os.path.join(HERE, "results", "latest")
    if os.path.dirname(out_dir) == os.path.join(HERE, "results"):
        if os.path.islink(latest) or not os.path.exists(latest):
            tmp = latest + ".tmp"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(os.path.basename(out_dir), tmp)
            os.replace(tmp, latest)
    print("\n" + text)
    log(f"done in {info['seconds']:.0f} s; {os.path.relpath(out_dir, ROOT)}/results.md and results.json")
    sys.exit(1 if any(s["rc"] for s in steps) else 0)


if __name__ == "__main__":
    main()
