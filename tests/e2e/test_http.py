"""The hello example over real HTTP clients (curl and http.client)."""
import os
import subprocess
import unittest

from marlib import SRC, Node, main


class HelloTest(unittest.TestCase):
    def test_curl_hello_and_json(self):
        with Node(os.path.join(SRC, "examples/hello")) as node:
            out = subprocess.run(["curl", "-s", "-i", node.url + "/"], capture_output=True, text=True).stdout
            self.assertIn("HTTP/1.1 200 OK", out)
            self.assertIn("hello from mar", out)
            status, headers, body = node.get("/json")
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-type"), "application/json")
            self.assertEqual(body, b'{"greeting":"hello","path":"/json","method":"GET"}')

    def test_header_bytes_round_trip_as_latin1(self):
        import socket
        with Node(os.path.join(SRC, "tests/e2e/bundles/echo")) as node:
            with socket.create_connection((node.host, node.port), timeout=10) as sock:
                sock.sendall(b"GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Value: caf\xe9\r\n\r\n")
                data = b""
                while chunk := sock.recv(4096):
                    data += chunk
            self.assertIn(b"\r\nx-echo: caf\xe9\r\n", data)
            self.assertTrue(data.endswith(b"233"))  # the JS string held U+00E9, one byte on the wire

    def test_string_bodies_go_out_as_utf8(self):
        expected = {
            "latin1": "caf\u00e9 " * 1000,
            "mixed": "h\u00e9llo \u2713 \U0001F600 \ufffd! " * 1000,  # a lone surrogate becomes U+FFFD
            "large": "\u00e9\u2713" * 600_000,
        }
        with Node(os.path.join(SRC, "tests/e2e/bundles/echo")) as node:
            for kind, text in expected.items():
                status, headers, body = node.get(f"/text?kind={kind}")
                self.assertEqual(status, 200)
                self.assertEqual(body, text.encode("utf-8"), kind)
                self.assertEqual(int(headers["content-length"]), len(text.encode("utf-8")), kind)

    def test_request_url_and_body_as_the_handler_sees_them(self):
        import json
        import socket

        def ask(raw):
            with socket.create_connection((node.host, node.port), timeout=10) as sock:
                sock.sendall(raw)
                data = b""
                while chunk := sock.recv(4096):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            return json.loads(body)

        with Node(os.path.join(SRC, "tests/e2e/bundles/request_shape")) as node:
            close = b"Host: x\r\nConnection: close\r\n"
            # A fragment is not part of a request target; a client that sends one does not get it in.
            seen = ask(b"GET /a?q=1#frag HTTP/1.1\r\n" + close + b"\r\n")
            self.assertEqual(seen, {"url": "http://x/a?q=1", "body": None, "text": None})
            # No body framing: no body. Framing with zero bytes: an empty body (as workerd and Deno).
            for raw, expected in (
                (b"POST / HTTP/1.1\r\n" + close + b"\r\n", None),
                (b"GET / HTTP/1.1\r\n" + close + b"Content-Length: 0\r\n\r\n", ""),
                (b"POST / HTTP/1.1\r\n" + close + b"Content-Length: 0\r\n\r\n", ""),
                (b"POST / HTTP/1.1\r\n" + close + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""),
                (b"POST / HTTP/1.1\r\n" + close + b"Content-Length: 3\r\n\r\nabc", "abc"),
            ):
                seen = ask(raw)
                self.assertEqual(seen["text"], expected, raw)
                self.assertEqual(seen["body"], None if expected is None else "stream", raw)

    def test_keep_alive_reuses_connection(self):
        import http.client
        with Node(os.path.join(SRC, "examples/hello")) as node:
            conn = http.client.HTTPConnection(node.host, node.port, timeout=10)
            for _ in range(20):
                conn.request("GET", "/")
                response = conn.getresponse()
                self.assertEqual(response.read(), b"hello from mar\n")
            conn.close()

    def test_malformed_request_gets_400(self):
        import socket
        with Node(os.path.join(SRC, "examples/hello")) as node:
            with socket.create_connection((node.host, node.port), timeout=10) as sock:
                sock.sendall(b"NOT A REQUEST\r\n\r\n")
                self.assertTrue(sock.recv(4096).startswith(b"HTTP/1.1 400"))
            with socket.create_connection((node.host, node.port), timeout=10) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
                self.assertTrue(sock.recv(4096).startswith(b"HTTP/1.1 431"))
            self.assertEqual(node.get("/")[0], 200)


if __name__ == "__main__":
    main()
