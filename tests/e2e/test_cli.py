"""`mar check`, `mar run` errors, module loading and graceful shutdown, through the real binary."""
import os
import signal
import unittest

from marlib import BUNDLES, MAR, SRC, Node, mar, main


class CheckTest(unittest.TestCase):
    def test_version_and_help(self):
        self.assertRegex(mar("--version").stdout, r"^mar \d+\.\d+\.\d+ \(V8 10\.2")
        help_text = mar("--help").stdout
        for word in ("run", "check"):
            self.assertIn(word, help_text)

    def test_check_ok(self):
        result = mar("check", os.path.join(SRC, "examples/hello"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("ok: hello", result.stdout)

    def test_check_syntax_error_has_position(self):
        result = mar("check", os.path.join(BUNDLES, "broken_syntax"))
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"broken_syntax/index\.js:3:\d+: SyntaxError: ")

    def test_check_missing_import(self):
        result = mar("check", os.path.join(BUNDLES, "broken_import"))
        self.assertEqual(result.returncode, 1)
        self.assertIn('broken_import/index.js:1:24: cannot import "./missing.js": file not found', result.stderr)

    def test_check_import_escaping_bundle(self):
        result = mar("check", os.path.join(BUNDLES, "escape"))
        self.assertEqual(result.returncode, 1)
        self.assertIn('cannot import "../hostile/index.js": it points outside the bundle directory', result.stderr)

    def test_check_missing_path_and_manifest(self):
        self.assertIn("no such file or directory", mar("check", "/nonexistent/bundle").stderr)
        result = mar("check", os.path.join(BUNDLES))  # a directory without mar.json
        self.assertEqual(result.returncode, 1)
        self.assertIn("mar.json: not found", result.stderr)

    def test_run_reports_evaluation_error_with_location(self):
        result = mar("run", os.path.join(BUNDLES, "throws"), "--listen", "127.0.0.1:0")
        self.assertEqual(result.returncode, 1)
        self.assertIn("evaluating", result.stderr)
        self.assertRegex(result.stderr, r"throws/index\.js:2:\d+: TypeError: Cannot set properties of undefined")

    def test_run_bad_listen(self):
        result = mar("run", os.path.join(SRC, "examples/hello"), "--listen", "nonsense")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--listen: expected HOST:PORT", result.stderr)

    def test_run_refuses_a_port_another_node_listens_on(self):
        # Shards share their port with SO_REUSEPORT, which would let a second node join it and
        # silently take part of the first one's connections.
        with Node(os.path.join(SRC, "examples/hello")) as first:
            result = mar("run", os.path.join(SRC, "examples/hello"), "--listen", f"127.0.0.1:{first.port}")
            self.assertEqual(result.returncode, 1)
            self.assertIn(f"cannot listen on 127.0.0.1:{first.port}: address already in use", result.stderr)
            for _ in range(20):  # every connection still reaches the first node
                self.assertEqual(first.get("/")[0], 200)
        # Once it is gone, the port is free again (its connections' TIME_WAIT does not count).
        again = Node(os.path.join(SRC, "examples/hello"))
        again.args[again.args.index("--listen") + 1] = f"127.0.0.1:{first.port}"
        with again:
            self.assertEqual(again.get("/")[0], 200)


class CodeCacheTest(unittest.TestCase):
    def test_bad_or_missing_cache_only_costs_speed(self):
        import tempfile
        with tempfile.NamedTemporaryFile("wb", suffix=".ccache") as bad:
            bad.write(b"not a cache")
            bad.flush()
            # A damaged copy of the real one: V8's own code-cache checksum is off, so mar's hash
            # must catch it (with the snapshot off too, so that the cache is used for everything).
            with open(os.path.join(os.path.dirname(MAR), "mar-builtins.ccache"), "rb") as f:
                good = f.read()
            damaged = tempfile.NamedTemporaryFile("wb", suffix=".ccache")
            damaged.write(good[:-200] + bytes([good[-200] ^ 0x40]) + good[-199:])
            damaged.flush()
            cases = {bad.name: "not a mar built-in code cache", damaged.name: "damaged (its hash does not match)",
                     "/nonexistent/mar-builtins.ccache": None}
            for path, why in cases.items():
                os.environ["MAR_BUILTIN_CACHE"] = path
                os.environ["MAR_SNAPSHOT"] = "/nonexistent/mar-snapshot.bin"
                try:
                    with Node(os.path.join(SRC, "examples/hello")) as node:
                        self.assertEqual(node.get("/")[2], b"hello from mar\n")
                        if why:
                            self.assertIn(why, node.logs())
                finally:
                    del os.environ["MAR_BUILTIN_CACHE"]
                    del os.environ["MAR_SNAPSHOT"]
            damaged.close()


class SnapshotTest(unittest.TestCase):
    """The start-up snapshot next to the binary is used; one that is missing, foreign, truncated or
    damaged is refused with a warning saying why, and the node builds its contexts from source."""

    HELLO = os.path.join(SRC, "examples/hello")

    def serve(self, snapshot=None):
        if snapshot is not None:
            os.environ["MAR_SNAPSHOT"] = snapshot
        try:
            with Node(self.HELLO, "--shards", "1", "--log-level", "debug") as node:
                self.assertEqual(node.get("/")[2], b"hello from mar\n")
                return node.logs()
        finally:
            os.environ.pop("MAR_SNAPSHOT", None)

    def test_the_built_snapshot_is_used(self):
        logs = self.serve()
        self.assertIn("(from the start-up snapshot)", logs)
        self.assertNotIn("snapshot not used", logs)

    def test_bad_snapshots_only_cost_speed(self):
        import tempfile
        with open(os.path.join(os.path.dirname(MAR), "mar-snapshot.bin"), "rb") as f:
            good = f.read()
        identity_at = good.index(b"v8 ")
        cases = {
            "not a mar snapshot": b"not a snapshot at all",
            "truncated": good[: len(good) // 2],
            "damaged (its hash does not match)": good[:-100] + bytes([good[-100] ^ 1]) + good[-99:],
            "made by another build of mar": good[:identity_at] + b"v9" + good[identity_at + 2:],
        }
        with tempfile.TemporaryDirectory() as tmp:
            for why, content in cases.items():
                path = os.path.join(tmp, "mar-snapshot.bin")
                with open(path, "wb") as f:
                    f.write(content)
                with self.subTest(why=why):
                    logs = self.serve(path)
                    self.assertIn("start-up snapshot not used: " + path + ": " + why, logs)
                    self.assertIn("(built from source)", logs)
            logs = self.serve(os.path.join(tmp, "missing.bin"))
            self.assertIn("missing.bin: No such file or directory", logs)
            self.assertIn("(built from source)", logs)


class ModulesTest(unittest.TestCase):
    def test_static_and_dynamic_imports(self):
        with Node(os.path.join(BUNDLES, "multi")) as node:
            self.assertEqual(node.get("/")[2], b"hi multi 9")
            self.assertEqual(node.get("/dynamic")[2], b"49")
            self.assertIn(b'TypeError: cannot import "./lib/nope.js": file not found', node.get("/dynamic-missing")[2])
            self.assertIn(b"bare specifiers are not supported", node.get("/dynamic-bare")[2])

    def test_denied_capabilities_name_the_manifest_key(self):
        with Node(os.path.join(BUNDLES, "multi")) as node:
            body = node.get("/caps")[2].decode()
            self.assertIn('setTimeout() is not allowed for this bundle: set "capabilities.timers": true in mar.json', body)
            self.assertIn('capability "gpu" is not granted to this bundle; add "capabilities.gpu" to mar.json', body)
            self.assertIn('TypeError: fetch() is not allowed for this bundle: add the host to "capabilities.fetch.allow"', body)

    def test_single_file_bundle(self):
        with Node(os.path.join(BUNDLES, "multi/lib/greet.js")) as node:
            status, _, body = node.get("/")
            self.assertEqual(status, 500)  # no default export with fetch()
            self.assertIn(b"incident", body)
        
class ShutdownTest(unittest.TestCase):
    def test_sigterm_and_sigint_exit_zero(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with Node(os.path.join(SRC, "examples/hello")) as node:
                self.assertEqual(node.get("/")[0], 200)
                self.assertEqual(node.stop(sig), 0)
                self.assertIn('"stopped"', node.logs())

    def test_in_flight_request_finishes_during_shutdown(self):
        import threading
        with Node(os.path.join(BUNDLES, "slow")) as node:
            result = {}
            thread = threading.Thread(target=lambda: result.update(r=node.get("/slow")))
            thread.start()
            import time
            time.sleep(0.2)
            node.proc.send_signal(signal.SIGTERM)
            thread.join(10)
            self.assertEqual(result["r"][0], 200)
            self.assertEqual(result["r"][2], b"done after 500 ms")
            self.assertEqual(node.proc.wait(10), 0)


if __name__ == "__main__":
    main()
