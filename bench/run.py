#!/usr/bin/env python3
"""mar's runtime-core benchmarks beside the peers available here, interleaved in one run.
Prints each system's median and spread and mar's ratio. Peers so far: Node 20 (on the machine);
workerd, Deno and Bun join with the benchmark-suite issue."""
import json, os, statistics, subprocess, sys, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import startup  # noqa: E402

ROOT = startup.ROOT
MAR = startup.MAR
ROUNDS = int(os.environ.get("ROUNDS", "5"))


def start_to_first_ok(cmd, port):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = startup.first_ok(port, start + 10)
    elapsed = (time.perf_counter() - start) * 1000
    time.sleep(0.2)
    with open(f"/proc/{proc.pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    rss = int(fields["VmRSS"].split()[0]) / 1024
    anon = int(fields["RssAnon"].split()[0]) / 1024
    proc.terminate()
    proc.wait(10)
    assert ok, cmd
    return elapsed, rss, anon


def mar_timers(n):
    port = startup.free_port()
    proc = subprocess.Popen([MAR, "run", os.path.join(ROOT, "bench/timers"), "--shards", "1",
                             "--listen", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    proc.stdout.readline()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?n={n}", timeout=60) as r:
            return json.load(r)["perSecond"]
    finally:
        proc.terminate()
        proc.wait(10)


def node_timers(n):
    out = subprocess.run(["node", os.path.join(ROOT, "bench/peers/node/timers.mjs"), str(n)],
                         capture_output=True, text=True, timeout=120).stdout
    return json.loads(out)["perSecond"]


def summary(values):
    return statistics.median(values), min(values), max(values)


def row(name, unit, ours, theirs, higher_is_better):
    m, lo, hi = summary(ours)
    pm, plo, phi = summary(theirs)
    ratio = m / pm if higher_is_better else pm / m
    overlap = not (hi < plo or phi < lo)
    verdict = f"{ratio:.2f}x" + (" (spreads overlap)" if overlap else "")
    print(f"| {name} | {m:,.1f} {unit} [{lo:,.1f}-{hi:,.1f}] | {pm:,.1f} {unit} [{plo:,.1f}-{phi:,.1f}] | {verdict} |")


def main():
    hello = os.path.join(ROOT, "examples/hello")
    start_mar, start_node, rss_mar, rss_node, anon_mar, anon_node = [], [], [], [], [], []
    timers_mar, timers_node = [], []
    for _ in range(ROUNDS):  # A B A B ...
        port = startup.free_port()
        e, r, a = start_to_first_ok([MAR, "run", hello, "--listen", f"127.0.0.1:{port}"], port)
        start_mar.append(e), rss_mar.append(r), anon_mar.append(a)
        port = startup.free_port()
        e, r, a = start_to_first_ok(["node", os.path.join(ROOT, "bench/peers/node/hello.mjs"), str(port)], port)
        start_node.append(e), rss_node.append(r), anon_node.append(a)
        timers_mar.append(mar_timers(1000000) / 1e3)
        timers_node.append(node_timers(1000000) / 1e3)
    print(f"mar vs Node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"{ROUNDS} interleaved rounds, medians [min-max], nproc={os.cpu_count()}")
    print("| scenario | mar | node | mar's advantage |")
    print("|---|---|---|---|")
    row("start to first 200 OK", "ms", start_mar, start_node, False)
    row("idle RSS after one request", "MB", rss_mar, rss_node, False)
    row("idle anonymous RSS", "MB", anon_mar, anon_node, False)
    row("setTimeout(0) callbacks/s, 1M at once", "k/s", timers_mar, timers_node, True)


if __name__ == "__main__":
    main()
