"""Findings of a code review, each reproduced: tampered built-ins, user code in places the runtime
touches, a host dying with requests in flight, and request-target tricks."""
import os
import socket
import threading
import time
import unittest

from marlib import BUNDLES, Node, mar, main


def raw(node, data):
    with socket.create_connection((node.host, node.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
        return received


class RobustnessTest(unittest.TestCase):
    def test_invalid_response_after_tampering_is_a_500(self):
        with Node(os.path.join(BUNDLES, "tamper")) as node:
            status, _, _ = node.get("/null-body-status")
            self.assertEqual(status, 500)
            self.assertEqual(node.get("/ok")[2], b"ok")
            self.assertIsNone(node.proc.poll())

    def test_requests_in_flight_when_the_isolate_dies_get_503_not_silence(self):
        with Node(os.path.join(BUNDLES, "tamper"), "--shards", "1") as node:
            results = {}
            slow = threading.Thread(target=lambda: results.update(slow=node.get("/slow")))
            slow.start()
            time.sleep(0.1)
            self.assertEqual(node.get("/burn")[0], 503)
            slow.join(10)
            self.assertEqual(results["slow"][0], 503)
            self.assertEqual(node.get("/ok")[2], b"ok")
            started = time.time()
            self.assertEqual(node.stop(), 0)
            self.assertLess(time.time() - started, 5, "shutdown waited on a lost request")

    def test_replaced_promise_then_does_not_stall_dispatch(self):
        with Node(os.path.join(BUNDLES, "tamper"), "--shards", "1") as node:
            self.assertEqual(node.get("/break-then", timeout=10)[2], b"then replaced")
            self.assertEqual(node.get("/ok", timeout=10)[2], b"ok")

    def test_user_code_in_a_rejection_value_is_cpu_limited(self):
        with Node(os.path.join(BUNDLES, "tamper"), "--shards", "1") as node:
            node.get("/evil-rejection")
            status, _, body = node.get("/ok")
            self.assertEqual((status, body), (200, b"ok"))
            self.assertEqual(node.stop(), 0)

    def test_looping_export_getter_fails_startup_instead_of_hanging(self):
        result = mar("run", os.path.join(BUNDLES, "getter_loop"), "--listen", "127.0.0.1:0", timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("exceeded its CPU time limit", result.stderr)

    def test_request_target_and_host_cannot_rewrite_the_url(self):
        with Node(os.path.join(BUNDLES, "tamper")) as node:
            self.assertTrue(raw(node, b"GET @evil.example/x HTTP/1.1\r\nHost: good\r\n\r\n").startswith(b"HTTP/1.1 400"))
            self.assertTrue(raw(node, b"GET /ok HTTP/1.1\r\nHost: good/admin#\r\n\r\n").startswith(b"HTTP/1.1 400"))
            self.assertTrue(raw(node, b"GET /ok HTTP/1.1\r\nHost: good:8080\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200"))


if __name__ == "__main__":
    main()
