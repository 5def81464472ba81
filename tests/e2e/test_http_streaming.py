"""Request and response bodies that stream: large uploads and downloads in bounded memory,
backpressure from a slow client, clients that vanish mid-body, Expect: 100-continue, HTTP/1.0
and HEAD. The bundle is tests/e2e/bundles/stream (its routes are listed at the top of main.js).

Memory is judged by the node's RSS against the RSS after a small warm-up request on the same
(single-shard) node, so the bounds say "nothing close to the body's size was held", not more."""
import hashlib
import os
import random
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from marlib import BUNDLES, Node, main
from wire import MB, PeakRss, Wire, rss_bytes

STREAM = os.path.join(BUNDLES, "stream")
CHUNK = 64 * 1024


def pattern_block(index, size=CHUNK):
    """What /download sends as its index-th 64 KiB chunk."""
    return bytes([index % 256]) * size


def crash_signs(logs):
    return [line for line in logs.splitlines()
            if re.search(r"fatal|crash|segmentation|abort\(|assert|terminate called|sanitizer", line, re.I)]


class StreamingTest(unittest.TestCase):
    def node(self):
        # One shard: every request meets the same isolate (and /produced counts for all of them).
        return Node(STREAM, "--shards", "1")

    def assert_serving(self, node):
        self.assertIsNone(node.proc.poll(), f"the node exited; logs:\n{node.logs()}")
        self.assertEqual(node.get("/small", timeout=10)[:3:2], (200, b"ok"))
        self.assertEqual(crash_signs(node.logs()), [], node.logs())

    def warm_up(self, node):
        """Loads the stream machinery and JIT-compiles the paths, then returns the RSS."""
        with Wire(node.host, node.port) as wire:
            wire.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      + b"10000\r\n" + b"w" * 0x10000 + b"\r\n0\r\n\r\n")
            self.assertEqual(wire.response().read(), b"w" * 0x10000)
        status, _, body = node.get("/download?bytes=1048576")
        self.assertEqual((status, len(body)), (200, MB))
        return rss_bytes(node.proc.pid)

    def test_150mb_chunked_upload_is_echoed_as_it_arrives(self):
        total_blocks = 150
        base = random.Random(7).randbytes(MB)

        def block(i):
            at = (i * 7919) % MB
            return base[at:] + base[:at]

        with self.node() as node:
            baseline = self.warm_up(node)
            sent = hashlib.sha256()
            received = hashlib.sha256()
            send_error = []

            with Wire(node.host, node.port, timeout=60) as wire:
                def upload():
                    try:
                        wire.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                        for i in range(total_blocks):
                            data = block(i)
                            sent.update(data)
                            wire.send(b"%x\r\n" % len(data) + data + b"\r\n")
                        wire.send(b"0\r\n\r\n")
                    except OSError as error:
                        send_error.append(error)

                with PeakRss(node.proc.pid) as rss:
                    sender = threading.Thread(target=upload)
                    sender.start()
                    response = wire.response()
                    self.assertEqual(response.status, 200)
                    self.assertEqual(response.getheader("transfer-encoding"), "chunked")
                    self.assertIsNone(response.getheader("content-length"))
                    count = 0
                    while piece := response.read(MB):
                        received.update(piece)
                        count += len(piece)
                    sender.join(60)
                self.assertEqual(send_error, [])
                self.assertEqual(count, total_blocks * MB)
                self.assertEqual(received.hexdigest(), sent.hexdigest())
                # The connection stays usable: the body was read to its end.
                wire.send(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(wire.response().read(), b"ok")
            growth = rss.peak - baseline
            self.assertLess(growth, 100 * MB, f"RSS grew by {growth / MB:.1f} MB while echoing 150 MB")
            self.assert_serving(node)

    def test_100mb_download_made_in_js(self):
        total = 100 * MB
        with self.node() as node:
            baseline = self.warm_up(node)
            with PeakRss(node.proc.pid) as rss, Wire(node.host, node.port, timeout=60) as wire:
                wire.send(b"GET /download?bytes=%d HTTP/1.1\r\nHost: x\r\n\r\n" % total)
                response = wire.response()
                self.assertEqual(response.status, 200)
                self.assertEqual(response.getheader("transfer-encoding"), "chunked")
                self.assertEqual(response.getheader("x-total"), str(total))
                count = 0
                index = 0
                while piece := response.read(CHUNK):
                    self.assertEqual(piece, pattern_block(index, len(piece)), f"chunk {index} is wrong")
                    count += len(piece)
                    index += 1
            self.assertEqual(count, total)
            growth = rss.peak - baseline
            self.assertLess(growth, 100 * MB, f"RSS grew by {growth / MB:.1f} MB while sending 100 MB")
            self.assert_serving(node)

    def test_a_client_that_stops_reading_stops_the_producer(self):
        total = 50 * MB
        read_before_pause = 8 * MB
        with self.node() as node:
            baseline = self.warm_up(node)
            produced_before = int(node.get("/produced")[2])
            with Wire(node.host, node.port, timeout=30, rcvbuf=64 * 1024) as wire:
                wire.send(b"GET /download?bytes=%d HTTP/1.1\r\nHost: x\r\n\r\n" % total)
                response = wire.response()
                self.assertEqual(response.status, 200)
                # About 4 MB/s for about two seconds...
                started = time.monotonic()
                consumed = 0
                while consumed < read_before_pause:
                    consumed += len(response.read(CHUNK))
                    ahead = consumed / (4 * MB) - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
                # ...then nothing. The producer must wait for the socket rather than queue 42 MB.
                time.sleep(2)
                produced = int(node.get("/produced")[2]) - produced_before
                rss = rss_bytes(node.proc.pid)
                time.sleep(1)
                produced_later = int(node.get("/produced")[2]) - produced_before
                self.assertEqual(produced_later, produced, "the producer kept going while the client read nothing")
                self.assertLess(produced - consumed, 16 * MB,
                                f"{produced / MB:.1f} MB produced for a client that read {consumed / MB:.1f} MB")
                self.assertLess(rss - baseline, 25 * MB,
                                f"RSS grew by {(rss - baseline) / MB:.1f} MB with {(total - consumed) / MB:.0f} MB unread")
                # Reading again resumes the stream, and all of it arrives.
                index = consumed // CHUNK
                while piece := response.read(CHUNK):
                    self.assertEqual(piece, pattern_block(index, len(piece)), f"chunk {index} is wrong")
                    consumed += len(piece)
                    index += 1
                self.assertEqual(consumed, total)
            self.assert_serving(node)

    def test_client_gone_mid_upload(self):
        with self.node() as node:
            self.warm_up(node)
            for path in (b"/echo", b"/count", b"/text"):
                for close in ("close", "reset"):
                    with self.subTest(path=path, close=close):
                        wire = Wire(node.host, node.port)
                        wire.send(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                        # Up to 10 MB, then gone. /echo's response is not read, so its upload soon
                        # stalls (backpressure): stop sending at that point.
                        wire.sock.settimeout(1)
                        try:
                            for _ in range(40):
                                wire.send(b"40000\r\n" + b"u" * 0x40000 + b"\r\n")
                        except socket.timeout:
                            self.assertEqual(path, b"/echo", "the upload stalled though the handler reads it")
                        wire.reset() if close == "reset" else wire.close()
                        self.assert_serving(node)
            # A Content-Length body cut short, too.
            wire = Wire(node.host, node.port)
            wire.send(b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"u" * 3_000_000)
            wire.close()
            self.assert_serving(node)
            self.assertEqual(node.get("/produced")[0], 200)

    def test_client_gone_mid_download(self):
        total = 100 * MB
        with self.node() as node:
            self.warm_up(node)
            produced_before = int(node.get("/produced")[2])
            for close in ("close", "reset"):
                with self.subTest(close=close):
                    wire = Wire(node.host, node.port)
                    wire.send(b"GET /download?bytes=%d HTTP/1.1\r\nHost: x\r\n\r\n" % total)
                    response = wire.response()
                    self.assertEqual(response.status, 200)
                    self.assertEqual(len(response.read(MB)), MB)
                    wire.reset() if close == "reset" else wire.close()
                    self.assert_serving(node)
            # The producers were stopped, not left running to the end of their 100 MB.
            time.sleep(1)
            produced = int(node.get("/produced")[2]) - produced_before
            time.sleep(0.5)
            self.assertEqual(int(node.get("/produced")[2]) - produced_before, produced)
            self.assertLess(produced, 30 * MB, f"{produced / MB:.1f} MB produced for two abandoned 100 MB downloads")

    def test_streamed_upload_read_whole(self):
        # Text with 2-, 3- and 4-byte UTF-8 sequences, which the 64 KiB reads split at random places.
        text = ("héllo wörld ✓ 😀 " * 250_000)[:3_700_001]
        text_bytes = text.encode()
        self.assertGreater(len(text_bytes), 5 * MB)
        text_answer = f"{len(text.encode('utf-16-le')) // 2} {hashlib.sha256(text_bytes).hexdigest()}".encode()
        binary = random.Random(3).randbytes(5 * MB)
        binary_answer = f"{len(binary)} {hashlib.sha256(binary).hexdigest()}".encode()
        with self.node() as node:
            for path, body, expected in (("/text", text_bytes, text_answer), ("/bytes", binary, binary_answer)):
                with self.subTest(path=path, framing="content-length"):
                    self.assertEqual(node.request("POST", path, body=body)[::2], (200, expected))
                with self.subTest(path=path, framing="chunked"):
                    pieces = (body[i:i + 300_001] for i in range(0, len(body), 300_001))
                    status, _, answer = node.request("POST", path, body=pieces)  # an iterable: sent chunked
                    self.assertEqual((status, answer), (200, expected))
            with self.subTest("empty chunked body"):
                status, _, answer = node.request("POST", "/text", body=iter([]))
                self.assertEqual((status, answer), (200, f"0 {hashlib.sha256(b'').hexdigest()}".encode()))

    def test_expect_100_continue_with_curl(self):
        body = random.Random(5).randbytes(5 * MB)
        with self.node() as node, tempfile.NamedTemporaryFile() as upload:
            upload.write(body)
            upload.flush()
            result = subprocess.run(
                ["curl", "-sS", "-v", "--max-time", "30", "--expect100-timeout", "20",
                 "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + upload.name,
                 node.url + "/bytes"], capture_output=True, timeout=40)
            stderr = result.stderr.decode(errors="replace")
            self.assertEqual(result.returncode, 0, stderr)
            self.assertIn("> Expect: 100-continue", stderr)
            self.assertIn("< HTTP/1.1 100 Continue", stderr)
            self.assertIn("< HTTP/1.1 200 OK", stderr)
            self.assertEqual(result.stdout, f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode())

    def test_expect_100_continue_raw(self):
        # The client sends no body until it is told to; each size takes one of the two paths
        # (read before the handler runs, or streamed).
        with self.node() as node:
            for size in (1000, 200_000):
                with self.subTest(size=size), Wire(node.host, node.port, timeout=15) as wire:
                    wire.send(b"POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % size)
                    self.assertEqual(wire.file.readline(), b"HTTP/1.1 100 Continue\r\n")
                    self.assertEqual(wire.file.readline(), b"\r\n")
                    body = b"c" * size
                    wire.send(body)
                    response = wire.response()
                    self.assertEqual(response.status, 200)
                    self.assertEqual(response.read(), f"{size} {hashlib.sha256(body).hexdigest()}".encode())
                    # And the connection goes on.
                    wire.send(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
                    self.assertEqual(wire.response().read(), b"ok")

    def test_http10_client_gets_a_close_delimited_stream(self):
        total = 1_000_000
        with self.node() as node, Wire(node.host, node.port) as wire:
            wire.send(b"GET /download?bytes=%d HTTP/1.0\r\nHost: x\r\n\r\n" % total)
            data = wire.read_to_eof()
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            self.assertRegex(lines[0], rb"^HTTP/1\.[01] 200 ")
            names = [line.split(b":", 1)[0].strip().lower() for line in lines[1:]]
            self.assertNotIn(b"transfer-encoding", names)
            self.assertNotIn(b"content-length", names)
            self.assertIn(b"x-total", names)
            self.assertEqual(len(body), total)
            expected = b"".join(pattern_block(i) for i in range(total // CHUNK + 1))[:total]
            self.assertEqual(body, expected)

    def test_head_to_a_streamed_route_sends_headers_only(self):
        with self.node() as node, Wire(node.host, node.port) as wire:
            wire.send(b"HEAD /download?bytes=3000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            response = wire.response(method="HEAD")
            self.assertEqual(response.status, 200)
            self.assertEqual(response.getheader("x-total"), "3000000")
            self.assertEqual(response.read(), b"")
            # Nothing of the body may follow the head: the next response must come next.
            wire.send(b"GET /say?w=after-head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            response = wire.response()
            self.assertEqual((response.status, response.read()), (200, b"after-head"))
            self.assertEqual(wire.read_to_eof(), b"")

    def test_unread_streamed_body_closes_the_connection_after_the_response(self):
        with self.node() as node, Wire(node.host, node.port, timeout=15) as wire:
            # 1 MB announced, 20 KB sent: the handler answers without reading any of it.
            wire.send(b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + b"i" * 20_000)
            response = wire.response()
            self.assertEqual((response.status, response.read()), (200, b"ignored"))
            self.assertEqual(response.getheader("connection"), "close")
            self.assertTrue(wire.closed_by_peer())
            self.assert_serving(node)


if __name__ == "__main__":
    main()
