"""Outbound fetch() against real local HTTP servers started by the test: bodies both ways,
redirect modes, gzip, streaming through a proxy in bounded memory, aborts and timeouts, and the
capability checks (allowlist, redirects off the allowlist, loopback SSRF, no capability at all).

The bundles are written into a temporary directory, as their manifests name the servers' ports.
Their routes return what fetch() gave them as JSON; a fetch() that throws becomes a 502 whose JSON
says what was thrown."""
import gzip
import hashlib
import http.client
import http.server
import json
import os
import random
import socket
import tempfile
import threading
import unittest
from urllib.parse import parse_qs, urlsplit

from marlib import Node, main
from wire import MB, PeakRss, rss_bytes

CHUNK = 64 * 1024

MAIN_JS = r"""
// Routes for tests/e2e/test_fetch.py. env.UP is the test's upstream; env.OTHER a server that is
// not on the allowlist; env.SSRF one named as "localhost:PORT"; env.REFUSED a port nobody listens on.
const json = (value, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
const thrown = (error) => ({
  thrown: true, name: error?.name, message: error?.message,
  isTypeError: error instanceof TypeError, isDOMException: error instanceof DOMException,
});
const summary = async (response) => ({
  status: response.status, statusText: response.statusText, ok: response.ok, url: response.url,
  redirected: response.redirected, location: response.headers.get("location"),
  contentType: response.headers.get("content-type"), contentEncoding: response.headers.get("content-encoding"),
  upstreamHeader: response.headers.get("x-upstream"), body: await response.text(),
});

const routes = {
  "/get": (request, env) => fetch(`${env.UP}/hello`, { headers: { "x-from": "mar" } }).then(summary),
  "/teapot": (request, env) => fetch(`${env.UP}/teapot`).then(summary),
  "/post-string": (request, env) =>
    fetch(`${env.UP}/echo-post`, { method: "POST", body: "hello body", headers: { "content-type": "text/plain" } })
      .then(summary),
  "/post-stream": (request, env) =>
    fetch(`${env.UP}/echo-post`, { method: "POST", body: request.body, duplex: "half" }).then(summary),
  "/follow": (request, env, query) =>
    fetch(`${env.UP}/redirect?status=${query.get("status")}&to=/hello`).then(summary),
  "/manual": (request, env) => fetch(`${env.UP}/redirect?status=302&to=/hello`, { redirect: "manual" }).then(summary),
  "/error-mode": (request, env) => fetch(`${env.UP}/redirect?status=302&to=/hello`, { redirect: "error" }).then(summary),
  "/loop": (request, env) => fetch(`${env.UP}/loop/0`).then(summary),
  "/redirect-off-allowlist": (request, env) =>
    fetch(`${env.UP}/redirect?status=302&to=${encodeURIComponent(env.OTHER + "/hello")}`).then(summary),
  "/gzip": (request, env) => fetch(`${env.UP}/gzip`).then(summary),
  "/proxy": (request, env, query) => fetch(`${env.UP}/big?bytes=${query.get("bytes")}`),
  "/abort-mid-body": async (request, env) => {
    const controller = new AbortController();
    const response = await fetch(`${env.UP}/stall-body`, { signal: controller.signal });
    const reader = response.body.getReader();
    const first = await reader.read();
    controller.abort();
    try {
      while (!(await reader.read()).done);
      return json({ thrown: false, firstBytes: first.value.byteLength });
    } catch (error) {
      return json({ ...thrown(error), status: response.status, firstBytes: first.value.byteLength });
    }
  },
  "/abort-before-headers": (request, env) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    return fetch(`${env.UP}/stall-head`, { signal: controller.signal }).then(summary);
  },
  "/abort-already": (request, env) => fetch(`${env.UP}/hello`, { signal: AbortSignal.abort() }).then(summary),
  "/timeout": (request, env) => fetch(`${env.UP}/stall-head`, { signal: AbortSignal.timeout(200) }).then(summary),
  "/refused": (request, env) => fetch(`${env.REFUSED}/`).then(summary),
  "/denied": (request, env) => fetch(`${env.OTHER}/hello`).then(summary),
  "/denied-name": () => fetch("http://example.com/").then(summary),
  "/ssrf": (request, env) => fetch(`${env.SSRF}/hello`).then(summary),
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (route === undefined) return new Response("no such route", { status: 404 });
    try {
      const result = await route(request, env, url.searchParams);
      return result instanceof Response ? result : json(result);
    } catch (error) {
      return json(thrown(error), 502);
    }
  },
};
"""


def pattern(start, size):
    """Bytes [start, start + size) of /big's body: its k-th 64 KiB block is filled with k % 256."""
    out = bytearray()
    at = start
    while at < start + size:
        block = at // CHUNK
        take = min((block + 1) * CHUNK, start + size) - at
        out += bytes([block % 256]) * take
        at += take
    return bytes(out)


class Upstream(http.server.ThreadingHTTPServer):
    """A local HTTP/1.1 server that counts the connections it accepts and records each request."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), UpstreamHandler)
        self.port = self.server_address[1]
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = []  # (method, path, headers, body)
        self.release = threading.Event()  # lets the stalling routes go on
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def verify_request(self, request, client_address):
        with self.lock:
            self.connections += 1
        return True

    def paths(self):
        with self.lock:
            return [path for _, path, _, _ in self.requests]

    def stop(self):
        self.release.set()
        self.shutdown()
        self.server_close()


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length", 0)))

    def send(self, status, body=b"", headers=(), reason=None):
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        body = self.read_body() if self.command == "POST" else b""
        with self.server.lock:
            self.server.requests.append((self.command, self.path, dict(self.headers), body))
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/hello":
            self.send(200, b"hello from upstream", [("Content-Type", "text/plain"), ("X-Upstream", "yes")])
        elif url.path == "/teapot":
            self.send(418, b"short and stout", [("Content-Type", "text/plain")], reason="Short And Stout")
        elif url.path == "/echo-post":
            answer = {"method": self.command, "length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                      "contentType": self.headers.get("content-type"),
                      "transferEncoding": self.headers.get("transfer-encoding"),
                      "contentLength": self.headers.get("content-length"), "text": body[:100].decode("latin-1")}
            self.send(200, json.dumps(answer).encode(), [("Content-Type", "application/json")])
        elif url.path == "/redirect":
            self.send(int(query["status"]), b"moved", [("Location", query["to"])])
        elif url.path.startswith("/loop/"):
            self.send(302, b"again", [("Location", f"/loop/{int(url.path[6:]) + 1}")])
        elif url.path == "/gzip":
            self.send(200, gzip.compress(b"hello gzip " * 1000),
                      [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")])
        elif url.path == "/big":
            total = int(query["bytes"])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            try:
                for start in range(0, total, MB):
                    self.wfile.write(pattern(start, min(MB, total - start)))
            except OSError:
                pass
        elif url.path == "/stall-head":
            self.server.release.wait(30)
            try:
                self.send(200, b"late")
            except OSError:
                pass
        elif url.path == "/stall-body":
            self.send_response(200)
            self.send_header("Content-Length", str(10 * MB))
            self.end_headers()
            try:
                self.wfile.write(b"s" * CHUNK)
                self.wfile.flush()
                self.server.release.wait(30)
                self.wfile.write(b"s" * (10 * MB - CHUNK))
            except OSError:
                pass
        else:
            self.send(404, b"no such path")

    do_POST = do_GET
    do_HEAD = do_GET


class FetchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream()
        cls.other = Upstream()  # not on the allowlist
        cls.ssrf = Upstream()   # on the allowlist only as "localhost:PORT"
        # Bound but never listening: connections to this port are refused for as long as it is held.
        cls.unused = socket.socket()
        cls.unused.bind(("127.0.0.1", 0))
        cls.refused_port = cls.unused.getsockname()[1]
        cls.tmp = tempfile.TemporaryDirectory()
        env = {"UP": f"http://127.0.0.1:{cls.up.port}", "OTHER": f"http://127.0.0.1:{cls.other.port}",
               "SSRF": f"http://localhost:{cls.ssrf.port}", "REFUSED": f"http://127.0.0.1:{cls.refused_port}"}
        cls.bundles = {}
        for name, capabilities in {
            "fetcher": {"fetch": {"allow": [f"127.0.0.1:{cls.up.port}", f"127.0.0.1:{cls.refused_port}",
                                            f"localhost:{cls.ssrf.port}"]}, "timers": True},
            "localhost-only": {"fetch": {"allow": [f"localhost:{cls.ssrf.port}"]}},
            "no-fetch": {"timers": True},
        }.items():
            path = os.path.join(cls.tmp.name, name)
            os.mkdir(path)
            with open(os.path.join(path, "mar.json"), "w") as f:
                json.dump({"name": name, "main": "main.js", "capabilities": capabilities, "env": env}, f)
            with open(os.path.join(path, "main.js"), "w") as f:
                f.write(MAIN_JS)
            cls.bundles[name] = path
        # One node for most tests (a single shard, so its RSS is that of one isolate).
        cls.node = Node(cls.bundles["fetcher"], "--shards", "1").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        for server in (cls.up, cls.other, cls.ssrf):
            server.stop()
        cls.unused.close()
        cls.tmp.cleanup()

    def call(self, path, node=None, **kwargs):
        status, headers, body = (node or self.node).request(kwargs.pop("method", "GET"), path, timeout=30, **kwargs)
        return status, json.loads(body) if headers.get("content-type") == "application/json" else body

    def assert_thrown(self, result, name, *fragments):
        status, answer = result
        self.assertEqual(status, 502, answer)
        self.assertTrue(answer["thrown"], answer)
        self.assertEqual(answer["name"], name, answer)
        for fragment in fragments:
            self.assertIn(fragment, answer["message"])

    def tearDown(self):
        self.assertIsNone(self.node.proc.poll(), f"the node exited; logs:\n{self.node.logs()}")

    # --- plain requests ---

    def test_get(self):
        status, answer = self.call("/get")
        self.assertEqual(status, 200)
        self.assertEqual(answer, {
            "status": 200, "statusText": "OK", "ok": True, "url": f"http://127.0.0.1:{self.up.port}/hello",
            "redirected": False, "location": None, "contentType": "text/plain", "contentEncoding": None,
            "upstreamHeader": "yes", "body": "hello from upstream"})
        method, path, headers, _ = self.up.requests[-1]
        self.assertEqual((method, path, headers.get("x-from")), ("GET", "/hello", "mar"))

    def test_error_status_is_a_response_not_an_exception(self):
        status, answer = self.call("/teapot")
        self.assertEqual(status, 200)
        self.assertEqual((answer["status"], answer["statusText"], answer["ok"], answer["body"]),
                         (418, "Short And Stout", False, "short and stout"))

    def test_post_string_body(self):
        status, answer = self.call("/post-string")
        self.assertEqual((status, answer["status"]), (200, 200))
        sent = json.loads(answer["body"])
        self.assertEqual(sent["method"], "POST")
        self.assertEqual(sent["text"], "hello body")
        self.assertEqual(sent["contentLength"], "10")
        self.assertEqual(sent["contentType"], "text/plain")

    def test_post_streamed_body(self):
        body = random.Random(11).randbytes(5 * MB + 17)
        for framing in ("content-length", "chunked"):
            with self.subTest(framing):
                payload = body if framing == "content-length" else (body[i:i + MB] for i in range(0, len(body), MB))
                status, answer = self.call("/post-stream", method="POST", body=payload)
                self.assertEqual((status, answer["status"]), (200, 200), answer)
                sent = json.loads(answer["body"])
                self.assertEqual(sent["method"], "POST")
                self.assertEqual(sent["transferEncoding"], "chunked")  # a stream's length is unknown
                self.assertEqual(sent["length"], len(body))
                self.assertEqual(sent["sha256"], hashlib.sha256(body).hexdigest())

    def test_gzip_is_decoded(self):
        status, answer = self.call("/gzip")
        self.assertEqual(status, 200)
        self.assertEqual(answer["body"], "hello gzip " * 1000)
        self.assertIsNone(answer["contentEncoding"])

    # --- redirects ---

    def test_redirects_are_followed(self):
        for code in (301, 302, 303, 307, 308):
            with self.subTest(code):
                status, answer = self.call(f"/follow?status={code}")
                self.assertEqual(status, 200, answer)
                self.assertEqual(answer["status"], 200)
                self.assertTrue(answer["redirected"])
                self.assertEqual(answer["url"], f"http://127.0.0.1:{self.up.port}/hello")
                self.assertEqual(answer["body"], "hello from upstream")

    def test_manual_redirect_returns_the_3xx(self):
        status, answer = self.call("/manual")
        self.assertEqual(status, 200)
        self.assertEqual((answer["status"], answer["location"], answer["redirected"], answer["body"]),
                         (302, "/hello", False, "moved"))

    def test_error_redirect_mode_throws(self):
        self.assert_thrown(self.call("/error-mode"), "TypeError", 'redirect mode is "error"')

    def test_redirect_loop_stops_after_20(self):
        before = len([p for p in self.up.paths() if p.startswith("/loop/")])
        self.assert_thrown(self.call("/loop"), "TypeError", "more than 20 redirects")
        loops = [p for p in self.up.paths() if p.startswith("/loop/")][before:]
        self.assertEqual(loops, [f"/loop/{i}" for i in range(21)])  # the first request and 20 redirects

    def test_redirect_to_a_host_off_the_allowlist(self):
        self.assert_thrown(self.call("/redirect-off-allowlist"), "TypeError",
                           f"fetch to 127.0.0.1:{self.other.port} is denied; grant it by adding "
                           "\"127.0.0.1\" to capabilities.fetch.allow in mar.json")
        self.assertEqual(self.other.connections, 0)

    # --- streaming through ---

    def test_50mb_download_streams_through_a_proxy(self):
        total = 50 * MB
        # Warm up: the stream machinery, and a first transfer.
        status, _, body = self.node.request("GET", f"/proxy?bytes={MB}")
        self.assertEqual((status, body), (200, pattern(0, MB)))
        baseline = rss_bytes(self.node.proc.pid)
        with PeakRss(self.node.proc.pid) as rss:
            conn = http.client.HTTPConnection(self.node.host, self.node.port, timeout=30)
            conn.request("GET", f"/proxy?bytes={total}")
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.getheader("content-type"), "application/octet-stream")
            received = 0
            while piece := response.read(MB):
                self.assertEqual(piece, pattern(received, len(piece)), f"wrong bytes at {received}")
                received += len(piece)
            conn.close()
        self.assertEqual(received, total)
        growth = rss.peak - baseline
        self.assertLess(growth, 40 * MB, f"RSS grew by {growth / MB:.1f} MB while proxying 50 MB")

    # --- aborts and timeouts ---

    def test_abort_mid_body(self):
        status, answer = self.call("/abort-mid-body")
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["status"], 200)
        self.assertGreater(answer["firstBytes"], 0)
        self.assertTrue(answer["thrown"], answer)
        self.assertEqual((answer["name"], answer["isDOMException"]), ("AbortError", True))

    def test_abort_before_headers(self):
        # The upstream never answers unless released, so only the abort can end this request.
        status, answer = self.call("/abort-before-headers")
        self.assert_thrown((status, answer), "AbortError")
        self.assertTrue(answer["isDOMException"])

    def test_already_aborted_signal(self):
        before = len(self.up.paths())
        self.assert_thrown(self.call("/abort-already"), "AbortError")
        self.assertEqual(len(self.up.paths()), before)

    def test_abort_signal_timeout(self):
        status, answer = self.call("/timeout")
        self.assert_thrown((status, answer), "TimeoutError")
        self.assertTrue(answer["isDOMException"])

    # --- failures and capabilities ---

    def test_connection_refused(self):
        self.assert_thrown(self.call("/refused"), "TypeError", f"127.0.0.1:{self.refused_port}", "connection refused")
        self.assertEqual(self.call("/get")[0], 200)  # and the node goes on

    def test_host_off_the_allowlist(self):
        self.assert_thrown(self.call("/denied"), "TypeError",
                           f"fetch to 127.0.0.1:{self.other.port} is denied; grant it by adding "
                           "\"127.0.0.1\" to capabilities.fetch.allow in mar.json")
        self.assert_thrown(self.call("/denied-name"), "TypeError",
                           "fetch to example.com:80 is denied; grant it by adding \"example.com\" to "
                           "capabilities.fetch.allow in mar.json")
        self.assertEqual(self.other.connections, 0)

    def test_loopback_by_name_is_refused_after_dns(self):
        with Node(self.bundles["localhost-only"]) as node:
            for path in ("/ssrf", "/get"):
                with self.subTest(path):
                    result = self.call(path, node=node)
                    if path == "/ssrf":
                        self.assert_thrown(result, "TypeError",
                                           f"fetch to localhost:{self.ssrf.port} is denied: 127.0.0.1 is a loopback "
                                           f"address (it resolves to 127.0.0.1)",
                                           f"\"127.0.0.1:{self.ssrf.port}\"")
                    else:
                        self.assert_thrown(result, "TypeError", f"fetch to 127.0.0.1:{self.up.port} is denied;")
        self.assert_thrown(self.call("/ssrf"), "TypeError", "is a loopback address")  # the main bundle too
        self.assertEqual(self.ssrf.connections, 0)

    def test_libcurl_missing_fails_each_fetch_and_the_node_serves_on(self):
        # libcurl is opened on the first fetch(); a node without it starts, serves, and says why.
        os.environ["MAR_CURL_LIBRARY"] = "/nonexistent/libcurl.so.4"
        try:
            node = Node(self.bundles["fetcher"], "--shards", "1").__enter__()
        finally:
            del os.environ["MAR_CURL_LIBRARY"]
        try:
            for _ in range(2):  # every time, not only the first
                self.assert_thrown(self.call("/get", node=node), "TypeError",
                                   "fetch() is unavailable: /nonexistent/libcurl.so.4 could not be loaded",
                                   "MAR_CURL_LIBRARY")
            status, headers, body = node.request("GET", "/nothing-here", timeout=10)
            self.assertEqual(status, 404, body)
            self.assertIsNone(node.proc.poll())
        finally:
            node.__exit__(None, None, None)

    def test_no_fetch_capability(self):
        before = self.up.connections
        with Node(self.bundles["no-fetch"]) as node:
            self.assert_thrown(self.call("/get", node=node), "TypeError",
                               'fetch() is not allowed for this bundle: add the host to "capabilities.fetch.allow" '
                               "in mar.json")
        self.assertEqual(self.up.connections, before)


if __name__ == "__main__":
    main()
