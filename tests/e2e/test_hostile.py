"""Hostile code: each attack ends its event or its isolate with a clear logged error; the node
never aborts and keeps serving."""
import os
import unittest

from marlib import BUNDLES, Node, NodeTest, main

ATTACKS = {
    # path: (expected status, text expected in the logs)
    "/loop": (503, "exceeded its CPU time limit"),
    "/recursion": (500, "RangeError: Maximum call stack size exceeded"),
    "/array": (503, "exceeded its memory limit"),
    "/alloc1g": (500, "RangeError: Invalid string length"),
    "/alloc1g-array": (503, "exceeded its memory limit"),
    "/buffers2g": (500, "RangeError: Array buffer allocation failed"),
    "/fill": (503, "exceeded its memory limit"),
    "/promise-loop": (503, "exceeded its CPU time limit"),
}


class HostileTest(NodeTest):
    bundle = os.path.join(BUNDLES, "hostile")
    args = ("--shards", "1")

    def wait_for_log(self, text, seconds=10):
        import time
        deadline = time.time() + seconds
        while text not in self.node.logs() and time.time() < deadline:
            time.sleep(0.02)

    def check_attack(self, path):
        status, expected_log = ATTACKS[path]
        got, _, body = self.node.get(path, timeout=120)
        self.assertEqual(got, status, body)
        self.assertIn(b"incident", body)
        self.wait_for_log(expected_log)
        self.assertIn(expected_log, self.node.logs())
        self.assertIsNone(self.node.proc.poll(), "the node died")
        ok_status, _, ok_body = self.node.get("/ok")
        self.assertEqual(ok_status, 200)
        self.assertTrue(ok_body.startswith(b"ok "))

    def test_infinite_loop(self):
        self.check_attack("/loop")

    def test_deep_recursion(self):
        self.check_attack("/recursion")

    def test_unbounded_array(self):
        self.check_attack("/array")

    def test_single_1gb_string(self):
        self.check_attack("/alloc1g")

    def test_single_1gb_array(self):
        self.check_attack("/alloc1g-array")

    def test_2gb_of_array_buffers(self):
        self.check_attack("/buffers2g")

    def test_array_fill(self):
        self.check_attack("/fill")

    def test_promise_loop_that_never_yields(self):
        self.check_attack("/promise-loop")

    def test_requests_beside_a_runaway_are_answered(self):
        # Requests that arrive together run as events of one entry into the isolate. The runaway
        # discards the isolate; the requests that had not reached it yet go to the next isolate
        # and are answered, rather than failing with the runaway (only requests already inside
        # the isolate share its fate).
        import socket
        import time
        conns = [socket.create_connection((self.node.host, self.node.port), timeout=60) for _ in range(7)]
        try:
            # /busy holds the only shard; the runaway and the five requests after it arrive
            # meanwhile and are read in one round, the runaway first.
            paths = ["/busy", "/loop"] + ["/ok"] * 5
            for conn, path in zip(conns, paths):
                conn.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
                if path == "/busy":
                    time.sleep(0.1)
            statuses = []
            for conn in conns:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                statuses.append(int(data.split(b" ", 2)[1]))
        finally:
            for conn in conns:
                conn.close()
        self.assertEqual(statuses, [200, 503] + [200] * 5)
        self.assertIsNone(self.node.proc.poll(), "the node died")

    def test_runaway_timer_is_stopped(self):
        status, _, body = self.node.get("/timer-loop")
        self.assertEqual(status, 200)
        import time
        deadline = time.time() + 10
        while "exceeded its CPU time limit" not in self.node.logs() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.node.get("/ok")[0], 200)

    def test_unhandled_rejection_is_logged(self):
        self.assertEqual(self.node.get("/unhandled")[0], 200)
        # Reported at the end of the event, which may be just after the response went out.
        self.wait_for_log("nobody listens")
        self.assertRegex(self.node.logs(), r"Uncaught \(in promise\) [^\"]*index\.js:13:\d+: Error: nobody listens")


class PrototypeTrapsTest(unittest.TestCase):
    def test_throwing_prototype_setters_do_not_reach_native_code(self):
        with Node(os.path.join(BUNDLES, "proto_traps")) as node:
            for _ in range(3):
                status, _, body = node.get("/")
                self.assertEqual(status, 200, body)
                self.assertIn(b'"out":{"read":2,"written":3}', body)
                self.assertIn(b'"cloneError":"DOMException"', body)
            self.assertEqual(node.stop(), 0)


if __name__ == "__main__":
    main()
