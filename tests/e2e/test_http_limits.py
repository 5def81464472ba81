"""The ingress's limits and framing rules over raw sockets: malformed or oversized requests get
one error response and a closed connection; keep-alive and pipelining keep order; ten thousand
idle connections do not stop the node from serving. Uses tests/e2e/bundles/stream."""
import os
import resource
import socket
import time
import unittest

from marlib import BUNDLES, Node, main
from wire import Wire, status_of

STREAM = os.path.join(BUNDLES, "stream")


class MalformedRequestTest(unittest.TestCase):
    CASES = [
        # (name, bytes sent, expected status)
        ("bad request line", b"NOT A REQUEST\r\n\r\n", 400),
        ("bad HTTP version", b"GET /small HTTP/x.y\r\nHost: x\r\n\r\n", 400),
        ("header bytes over 16 KiB", b"GET /small HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n", 431),
        ("200 header fields", b"GET /small HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-Field-%d: v\r\n" % i for i in range(200)) + b"\r\n", 431),
        ("Content-Length and Transfer-Encoding",
         b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhello\r\n0\r\n\r\n", 400),
        ("two different Content-Length values",
         b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        ("invalid chunk size",
         b"POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
        ("Content-Length over 1 GiB", b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741825\r\n\r\n", 413),
    ]

    def test_each_is_answered_once_and_the_connection_closed(self):
        with Node(STREAM) as node:
            for name, request, expected in self.CASES:
                with self.subTest(name), Wire(node.host, node.port, timeout=10) as wire:
                    wire.send(request)
                    try:
                        data = wire.read_to_eof()
                    except socket.timeout:
                        self.fail(f"{name}: the connection was left open (no EOF within 10 s)")
                    self.assertEqual(status_of(data), expected, f"{name}: got {data[:300]!r}")
                    self.assertEqual(data.count(b"HTTP/1.1 "), 1, f"{name}: more than one response: {data!r}")
            self.assertIsNone(node.proc.poll())
            self.assertEqual(node.get("/small")[::2], (200, b"ok"))

    def test_the_same_limits_at_the_edge_are_fine(self):
        with Node(STREAM) as node:
            # 128 fields in all (Host included) and 15 KiB of headers are within the limits.
            fields = b"".join(b"X-Field-%d: v\r\n" % i for i in range(126))
            with Wire(node.host, node.port) as wire:
                wire.send(b"GET /small HTTP/1.1\r\nHost: x\r\n" + fields + b"Connection: close\r\n\r\n")
                self.assertEqual(status_of(wire.read_to_eof()), 200)
            with Wire(node.host, node.port) as wire:
                wire.send(b"GET /small HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 15000 + b"\r\nConnection: close\r\n\r\n")
                self.assertEqual(status_of(wire.read_to_eof()), 200)


class ConnectionReuseTest(unittest.TestCase):
    def test_keep_alive_serves_20_requests_on_one_connection(self):
        import http.client
        with Node(STREAM) as node:
            conn = http.client.HTTPConnection(node.host, node.port, timeout=10)
            conn.connect()
            sock, local = conn.sock, conn.sock.getsockname()
            for i in range(20):
                path = f"/say?w=r{i}" if i % 2 else f"/download?bytes={1000 * i + 1}"
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                self.assertEqual(response.status, 200)
                self.assertEqual(body, f"r{i}".encode() if i % 2 else bytes([0]) * (1000 * i + 1))
                self.assertNotEqual(response.getheader("connection"), "close")
                self.assertIs(conn.sock, sock, f"request {i} needed a new connection")
                self.assertEqual(conn.sock.getsockname(), local)
            conn.close()

    def test_pipelined_requests_are_answered_in_order(self):
        with Node(STREAM) as node, Wire(node.host, node.port, timeout=10) as wire:
            wire.send(b"GET /say?w=one HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /say?w=two HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /say?w=three HTTP/1.1\r\nHost: x\r\n\r\n")
            for word in (b"one", b"two", b"three"):
                response = wire.response()
                self.assertEqual((response.status, response.read()), (200, word))
            # Mixed: a streamed response and request bodies (read eagerly and streamed) in one send.
            wire.send(b"GET /download?bytes=100000 HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                      b"POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                      b"GET /say?w=last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            response = wire.response()
            self.assertEqual(response.getheader("transfer-encoding"), "chunked")
            self.assertEqual(len(response.read()), 100000)
            self.assertEqual(wire.response().read(), b"5")
            self.assertEqual(wire.response().read(), b"3")
            self.assertEqual(wire.response().read(), b"last")
            self.assertEqual(wire.read_to_eof(), b"")


class ManyConnectionsTest(unittest.TestCase):
    COUNT = 10_000

    def test_10000_idle_connections(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = self.COUNT + 500
        if hard != resource.RLIM_INFINITY and hard < wanted:
            print(f"\nskipped: RLIMIT_NOFILE hard limit is {hard}, below the {wanted} this test needs")
            self.skipTest(f"RLIMIT_NOFILE hard limit {hard} < {wanted}")
        new_soft = hard if hard != resource.RLIM_INFINITY else max(soft, wanted * 2)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))  # the node inherits it too
        idle = []
        try:
            with Node(STREAM) as node:
                started = time.monotonic()
                for _ in range(self.COUNT):
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    sock.settimeout(10)
                    sock.connect((node.host, node.port))
                    idle.append(sock)
                opened = time.monotonic() - started
                # They are accepted (each is a descriptor in the node), not left in the listen backlog.
                deadline = time.monotonic() + 15
                while (held := len(os.listdir(f"/proc/{node.proc.pid}/fd"))) < self.COUNT and time.monotonic() < deadline:
                    time.sleep(0.1)
                self.assertGreaterEqual(held, self.COUNT, f"the node holds {held} descriptors")
                # A fresh client is served at once (a generous bound: the node is not stuck).
                before = time.monotonic()
                status, _, body = node.get("/small", timeout=10)
                self.assertEqual((status, body), (200, b"ok"))
                self.assertLess(time.monotonic() - before, 5)
                self.assertIsNone(node.proc.poll())
                # Each of a sample of them is still served.
                for sock in (idle[0], idle[self.COUNT // 2], idle[-1]):
                    sock.sendall(b"GET /say?w=idle HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := sock.recv(4096):
                        data += chunk
                    self.assertEqual(status_of(data), 200, data)
                    self.assertTrue(data.endswith(b"\r\n\r\nidle"), data)
                self.assertLess(opened, 25, "opening the connections took too long for the 30 s idle timeout")
                for sock in idle:
                    sock.close()
                idle.clear()
                for _ in range(20):
                    self.assertEqual(node.get("/small", timeout=10)[::2], (200, b"ok"))
                self.assertIsNone(node.proc.poll())
                self.assertNotIn('"level":"error"', node.logs())
        finally:
            for sock in idle:
                sock.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


if __name__ == "__main__":
    main()
