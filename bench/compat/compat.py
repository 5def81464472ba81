#!/usr/bin/env python3
"""Compatibility check: the same Workers modules served by workerd and by mar, answers compared.

Every directory of bench/compat/modules is a module: index.js (a plain ES module with
`export default { async fetch(request, env, ctx) {...} }`), mar.json (its mar bundle manifest) and
requests.json (the requests to send). For each module the driver starts workerd (a capnp config
written to a temporary directory, the module's .js files embedded) and mar (`mar run DIR --listen
127.0.0.1:PORT`), sends each request to both (the same bytes: method, path, headers, body; the
Host header is `compat.example` for both, so request.url is the same), and compares:

- the status code and the reason phrase;
- the headers, by lower-cased name, every value in order (several Set-Cookie lines stay
  separate), except the framing and server-specific ones (Date, Server, Connection, Keep-Alive,
  Transfer-Encoding); Content-Length only when both send one and the bodies are the same;
- the body, byte for byte; when both bodies are JSON, the differences are reported per JSON path.

A request with `"compare": "status"` is compared on its status only (the handler throws: each
runtime writes its own error page). Every difference is printed (module, request, field,
workerd's value, mar's value). Differences listed in bench/compat/expected.json (each with the
reason it is deliberate) are reported as expected; any other one makes the exit status 1.

requests.json: {"requests": [{"method", "path", "headers": [[name, value], ...], one of "body"
(UTF-8 text), "body_hex", "body_file" (relative to the module), "body_bytes" (N bytes, byte i =
i % 256); "chunked": true (send the body with chunked encoding), "compare": "status", "name"
(defaults to "METHOD path")}], "same_as": "a file index.js must equal, from the repo root" (optional)}.
bench/compat/README.md says more, and why each expected difference is deliberate.

Usage: bench/compat/compat.py [--only mod1,mod2] [--full] [--logs]
Environment: MAR_BINARY (default build/mar), WORKERD_BINARY (default bench/.peers/bin/workerd),
COMPAT_DATE (workerd's compatibilityDate, default 2026-11-01: the pinned workerd's current behaviour).
Exit status: 0 no unexpected difference, 1 unexpected differences, 2 a server could not be run.
"""
import argparse, http.client, json, os, re, shutil, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODULES = os.path.join(HERE, "modules")
EXPECTED = os.path.join(HERE, "expected.json")
LIB = os.path.join(HERE, "lib.js")  # helpers the modules share (see serve_dir)
MAR = os.environ.get("MAR_BINARY", os.path.join(ROOT, "build/mar"))
WORKERD = os.environ.get("WORKERD_BINARY", os.path.join(ROOT, "bench/.peers/bin/workerd"))
COMPAT_DATE = os.environ.get("COMPAT_DATE", "2026-11-01")
HOST = "compat.example"
IGNORED_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}
ABSENT = "<absent>"
REQUEST_TIMEOUT = 20


def log(msg):
    print(f"[compat] {msg}", file=sys.stderr, flush=True)


# --- servers -----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_time(pid):
    """Field 22 of /proc/PID/stat: tells a reused PID from the process we started."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def descendants(pid):
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                found += kids
                todo += kids
        except OSError:
            pass
    return found


class Server:
    """A server process on a loopback port; stopped by its PID (and its descendants' PIDs)."""

    def __init__(self, name, cmd, port):
        self.name, self.port = name, port
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.seen = {}

    def output(self):
        self.log.seek(0)
        return self.log.read()[-6000:].decode(errors="replace")

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"exited with status {self.proc.returncode}"
            for p in descendants(self.proc.pid):
                self.seen.setdefault(p, start_time(p))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return None
            except OSError:
                time.sleep(0.05)
        return f"not listening on 127.0.0.1:{self.port} after {timeout} s"

    def stop(self):
        for p in descendants(self.proc.pid):
            self.seen.setdefault(p, start_time(p))
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pid, started in self.seen.items():  # a descendant left behind, if still the same process
            if started is not None and start_time(pid) == started:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass


def serve_dir(module_dir, tmp):
    """A copy of the module's directory with the shared helpers (lib.js) beside its index.js: what
    both runtimes serve, so a module imports "./lib.js" and is still one self-contained bundle."""
    served = os.path.join(tmp, "bundle")
    shutil.copytree(module_dir, served)
    shutil.copy(LIB, served)
    return served


def workerd_config(module_dir, tmp, port):
    files = sorted(f for f in os.listdir(module_dir) if f.endswith((".js", ".mjs")))
    files.sort(key=lambda f: f != "index.js")  # the main module first
    for f in files:
        shutil.copy(os.path.join(module_dir, f), tmp)
    modules = ", ".join(f'(name = "{f}", esModule = embed "{f}")' for f in files)
    path = os.path.join(tmp, "config.capnp")
    with open(path, "w") as out:
        out.write(f"""using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .compatWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ]
);
const compatWorker :Workerd.Worker = (
  modules = [ {modules} ],
  compatibilityDate = "{COMPAT_DATE}"
);
""")
    return path


# --- requests ----------------------------------------------------------------------------------

def load_requests(module_dir):
    with open(os.path.join(module_dir, "requests.json")) as f:
        spec = json.load(f)
    requests, names = [], set()
    for r in spec["requests"]:
        body = None
        if "body" in r:
            body = r["body"].encode()
        elif "body_hex" in r:
            body = bytes.fromhex(r["body_hex"])
        elif "body_file" in r:
            with open(os.path.join(module_dir, r["body_file"]), "rb") as f:
                body = f.read()
        elif "body_bytes" in r:
            body = bytes(i % 256 for i in range(r["body_bytes"]))
        name = r.get("name") or f"{r['method']} {r['path']}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} #{n}", n + 1
        names.add(name)
        requests.append({**r, "name": name, "body": body, "headers": r.get("headers", [])})
    return spec, requests


def raw_request(r):
    """The request's bytes: the same for both servers."""
    head = [f"{r['method']} {r['path']} HTTP/1.1", f"Host: {HOST}"]
    head += [f"{k}: {v}" for k, v in r["headers"]]
    body = r["body"]
    if body is not None and r.get("chunked"):
        head.append("Transfer-Encoding: chunked")
        step = 4096
        body = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + step]), body[i:i + step])
                        for i in range(0, len(body), step)) + b"0\r\n\r\n"
    elif body is not None:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")


def send(port, r):
    """Sends one request on a fresh connection; (status, reason, [(name, value)], body) or an error."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as s:
            s.sendall(raw_request(r))
            resp = http.client.HTTPResponse(s, method=r["method"])
            resp.begin()
            try:
                body = resp.read()
            except http.client.IncompleteRead as e:
                body = e.partial + b"<incomplete body: the connection closed early>"
            return {"status": resp.status, "reason": resp.reason,
                    "headers": [(k.lower(), v) for k, v in resp.getheaders()], "body": body}
    except (OSError, http.client.HTTPException) as e:
        return {"error": f"{type(e).__name__}: {e}"}


# --- comparison --------------------------------------------------------------------------------

def show(v):
    if isinstance(v, bytes):
        try:
            return json.dumps(v.decode(), ensure_ascii=False)
        except UnicodeDecodeError:
            return "bytes 0x" + v.hex()
    return v if v == ABSENT else json.dumps(v, ensure_ascii=False)


def json_path(path, key):
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$-]*", key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def json_diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict) and (a.keys() & b.keys() or not a or not b):
        for k in list(a) + [k for k in b if k not in a]:
            json_diff(a.get(k, ABSENT), b.get(k, ABSENT), json_path(path, k), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            json_diff(x, y, json_path(path, i), out)
    elif a != b or type(a) is not type(b):
        out.append((path, a, b))


def parse_json(body):
    try:
        return True, json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False, None


def body_diff(a, b):
    """[(field, workerd value, mar value)] for two bodies."""
    if a == b:
        return []
    (ja, va), (jb, vb) = parse_json(a), parse_json(b)
    if ja and jb and isinstance(va, (dict, list)) and isinstance(vb, (dict, list)):
        out = []
        json_diff(va, vb, "body", out)
        if out:
            return out
        return [("body (same JSON, other bytes: key order or formatting)", a, b)]
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    field = f"body ({len(a)} vs {len(b)} bytes, first difference at byte {at})"
    if len(a) + len(b) > 600:  # show the neighbourhood of the first difference
        lo = max(0, at - 40)
        return [(field + f", bytes {lo}..{at + 80}", a[lo:at + 80], b[lo:at + 80])]
    return [(field, a, b)]


def header_map(headers):
    m = {}
    for k, v in headers:
        m.setdefault(k, []).append(v)
    return m


def compare(r, w, m):
    """[(field, workerd value, mar value)] for one request's two answers."""
    if "error" in w or "error" in m:
        if w.get("error") != m.get("error"):
            return [("response", w.get("error", "a response"), m.get("error", "a response"))]
        return []
    out = []
    if w["status"] != m["status"]:
        out.append(("status", w["status"], m["status"]))
    if r.get("compare") == "status":
        return out
    if w["reason"] != m["reason"]:
        out.append(("reason phrase", w["reason"], m["reason"]))
    hw, hm = header_map(w["headers"]), header_map(m["headers"])
    bodies = body_diff(w["body"], m["body"])
    for name in sorted(set(hw) | set(hm)):
        if name in IGNORED_HEADERS:
            continue
        # Content-Length: compared when both send one, and the bodies are the same (otherwise it
        # only repeats that the bodies differ).
        if name == "content-length" and (name not in hw or name not in hm or bodies):
            continue
        vw, vm = hw.get(name), hm.get(name)
        if vw != vm:
            show_w = ABSENT if vw is None else vw[0] if len(vw) == 1 else vw
            show_m = ABSENT if vm is None else vm[0] if len(vm) == 1 else vm
            out.append((f"header {name}", show_w, show_m))
    return out + bodies


def load_expected():
    if not os.path.exists(EXPECTED):
        return []
    with open(EXPECTED) as f:
        entries = json.load(f)
    for e in entries:
        missing = {"module", "request", "field", "reason"} - set(e)
        if missing:
            sys.exit(f"{EXPECTED}: entry {e} lacks {', '.join(sorted(missing))}")
        if e.get("kind", "deliberate") not in ("deliberate", "limitation"):
            sys.exit(f"{EXPECTED}: entry {e}: kind is \"deliberate\" (the default) or \"limitation\"")
    return entries


def plain(v):
    """A value as expected.json writes it: JSON values as they are, bytes as text (or hex)."""
    if isinstance(v, bytes):
        try:
            return v.decode()
        except UnicodeDecodeError:
            return "bytes 0x" + v.hex()
    return v


def expected_for(entries, module, request, field, wv, mv):
    for e in entries:
        if (e["module"], e["request"], e["field"]) != (module, request, field):
            continue
        if ("workerd" in e and e["workerd"] != plain(wv)) or ("mar" in e and e["mar"] != plain(mv)):
            continue  # the difference changed: no longer the one that was judged deliberate
        return e
    return None


# --- main --------------------------------------------------------------------------------------

def run_module(name, args, tmp_root):
    module_dir = os.path.join(MODULES, name)
    spec, requests = load_requests(module_dir)
    notes = []
    if "same_as" in spec:
        with open(os.path.join(module_dir, "index.js"), "rb") as a, open(os.path.join(ROOT, spec["same_as"]), "rb") as b:
            if a.read() != b.read():
                notes.append(f"modules/{name}/index.js is not the same as {spec['same_as']}: copy it again")
    tmp = tempfile.mkdtemp(prefix=f"{name}-", dir=tmp_root)
    wport, mport = free_port(), free_port()
    served = serve_dir(module_dir, tmp)
    servers = [Server("workerd", [WORKERD, "serve", workerd_config(served, tmp, wport)], wport),
               Server("mar", [MAR, "run", served, "--listen", f"127.0.0.1:{mport}"], mport)]
    try:
        for s in servers:
            problem = s.wait_ready()
            if problem:
                raise RuntimeError(f"{s.name} serving module {name}: {problem}\n{s.output()}")
        results = []
        for r in requests:
            w, m = send(wport, r), send(mport, r)
            results.append((r, w, m, compare(r, w, m)))
        return results, notes
    finally:
        for s in servers:
            s.stop()
            if args.logs:
                print(f"--- {s.name} log, module {name} ---\n{s.output()}")
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated module names")
    ap.add_argument("--full", action="store_true", help="print values in full, not cut at 300 characters")
    ap.add_argument("--logs", action="store_true", help="print each server's log after its module")
    args = ap.parse_args()
    for what, path in (("mar", MAR), ("workerd", WORKERD)):
        if not os.access(path, os.X_OK):
            log(f"{what} not found at {path} ({'make build' if what == 'mar' else 'bash scripts/setup-peers.sh'})")
            return 2
    modules = sorted(d for d in os.listdir(MODULES) if os.path.isfile(os.path.join(MODULES, d, "index.js")))
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - set(modules)
        if unknown:
            log(f"unknown module(s): {', '.join(sorted(unknown))}; modules: {', '.join(modules)}")
            return 2
        modules = [m for m in modules if m in wanted]
    expected = load_expected()
    used = set()
    cut = (lambda s: s) if args.full else (lambda s: s if len(s) <= 300 else s[:300] + f"... ({len(s)} chars)")
    started = time.monotonic()
    totals = {"requests": 0, "unexpected": 0, "expected": 0}
    per_module = []
    with tempfile.TemporaryDirectory(prefix="mar-compat-") as tmp_root:
        for name in modules:
            try:
                results, notes = run_module(name, args, tmp_root)
            except RuntimeError as e:
                log(str(e))
                return 2
            for note in notes:
                print(f"note: {note}")
            unexpected = expected_n = 0
            for r, w, m, diffs in results:
                totals["requests"] += 1
                for field, wv, mv in diffs:
                    e = expected_for(expected, name, r["name"], field, wv, mv)
                    if e:
                        used.add(id(e))
                        expected_n += 1
                        label = "known gap" if e.get("kind") == "limitation" else "expected "
                        print(f"{label} {name} | {r['name']} | {field}: {e['reason']}")
                        continue
                    unexpected += 1
                    print(f"DIFF      {name} | {r['name']} | {field}")
                    print(f"    workerd: {cut(show(wv))}")
                    print(f"    mar:     {cut(show(mv))}")
            totals["unexpected"] += unexpected
            totals["expected"] += expected_n
            per_module.append((name, len(results), unexpected, expected_n))
    for e in expected:
        if id(e) not in used and (not args.only or e["module"] in modules):
            print(f"note: expected difference not seen (fixed? remove it from expected.json): "
                  f"{e['module']} | {e['request']} | {e['field']}")
    print()
    print(f"{'module':<18} {'requests':>8} {'differences':>11} {'expected':>8}")
    for name, n, u, x in per_module:
        print(f"{name:<18} {n:>8} {u:>11} {x:>8}")
    print(f"compat: {len(per_module)} modules, {totals['requests']} requests, {totals['unexpected']} unexpected "
          f"difference(s), {totals['expected']} expected; workerd (compatibilityDate {COMPAT_DATE}) vs "
          f"{os.path.relpath(MAR, ROOT)}; {time.monotonic() - started:.1f} s")
    return 1 if totals["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
