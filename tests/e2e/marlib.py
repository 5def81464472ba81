"""Helpers for end-to-end tests: start the real `mar` binary, talk to it over real sockets."""
import http.client
import os
import signal
import subprocess
import sys
import time
import unittest

MAR = os.environ.get("MAR_BINARY", os.path.join(os.path.dirname(__file__), "../../build/mar"))
SRC = os.environ.get("MAR_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
BUNDLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bundles")


class Node:
    """A `mar run` process on a free loopback port. Use as a context manager."""

    def __init__(self, path, *args):
        self.args = [MAR, "run", path, "--listen", "127.0.0.1:0", "--log-format", "json", *args]
        self.proc = None
        self.url = None
        self.stderr_path = None

    def __enter__(self):
        self.stderr_file = open(os.devnull if False else f"/tmp/mar-e2e-{os.getpid()}-{id(self)}.log", "w+")
        self.stderr_path = self.stderr_file.name
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.stderr_file, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on http://"):
            self.proc.wait(10)
            raise AssertionError(f"mar did not start: stdout={line!r} stderr={self.logs()}")
        self.url = line.strip().split(" ", 2)[2]
        hostport = self.url[len("http://"):]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        return self

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def logs(self):
        if not self.stderr_path:
            return ""
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.stderr_file.close()
        os.unlink(self.stderr_path)


class NodeTest(unittest.TestCase):
    """One node for the whole class (`bundle`, run with `args`); it must still be alive, and exit
    0, at the end."""

    bundle = None
    args = ()

    @classmethod
    def setUpClass(cls):
        cls.node = Node(cls.bundle, *cls.args).__enter__()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.node.stop()
        except subprocess.TimeoutExpired:
            code = "nothing: it had not exited 15 s after SIGTERM"
        logs = cls.node.logs()
        cls.node.__exit__(None, None, None)  # kills it if it is still there: no node outlives its test
        assert code == 0, f"node exited with {code}; logs:\n{logs[-4000:]}"


def mar(*args, timeout=30):
    return subprocess.run([MAR, *args], capture_output=True, text=True, timeout=timeout)


def main():
    unittest.main(verbosity=2)
