"""WebAssembly actors end to end, through the real binary: JS -> Wasm -> JS call chains, FIFO,
timeouts, every trap kind, hostile modules, malformed files, WASI, and the examples.

The modules are built by the project's build (cmake/wasm.cmake) into MAR_WASM_DIR; a test copies
the bundle (tests/e2e/bundles/wasm) and the modules into a temporary directory and runs it there.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from marlib import BUNDLES, SRC, Node, NodeTest, mar, main

WASM_DIR = os.environ.get("MAR_WASM_DIR", os.path.join(SRC, "build", "wasm"))
WAT2WASM = shutil.which("wat2wasm")
SHARD_ARGS = () if (os.cpu_count() or 1) >= 2 else ("--shards", "2")


def build_bundle(directory):
    shutil.copytree(os.path.join(BUNDLES, "wasm"), directory, dirs_exist_ok=True)
    os.symlink("/etc", os.path.join(directory, "data", "etc_link"))  # an escape for the WASI probe
    for module in ("probe.wasm", "grow.wasm", "wasi_probe.wasm"):
        shutil.copy(os.path.join(WASM_DIR, module), os.path.join(directory, module))
    return directory


def wat(source, path):
    with open(path + ".wat", "w") as f:
        f.write(source)
    subprocess.run([WAT2WASM, path + ".wat", "-o", path], check=True, capture_output=True)
    return path


class WasmActorsTest(NodeTest):
    args = SHARD_ARGS

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.bundle = build_bundle(os.path.join(cls.tmp.name, "wasm"))
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.tmp.cleanup()

    def get(self, path):
        status, _, body = self.node.request("GET", path, timeout=60)
        self.assertEqual(status, 200, f"{path}: {body[:2000]!r}\nlogs:\n{self.node.logs()[-3000:]}")
        return json.loads(body)

    def call(self, to, msg, timeout=3000):
        from urllib.parse import quote
        return self.get(f"/call?to={quote(to)}&msg={quote(msg)}&timeout={timeout}")

    def assertOk(self, outcome, value):
        self.assertEqual(outcome.get("value"), value, outcome)
        self.assertTrue(outcome["ok"], outcome)

    def assertFails(self, outcome, code, contains=None):
        self.assertFalse(outcome["ok"], outcome)
        self.assertEqual(outcome["code"], code, outcome)
        if contains is not None:
            self.assertIn(contains, outcome["message"])

    def assertAlive(self):
        self.assertIsNone(self.node.proc.poll(), f"the node died; logs:\n{self.node.logs()[-3000:]}")

    def test_call_reply_bytes(self):
        outcome = self.call("Probe/a", "echo:hello, wasm")
        self.assertOk(outcome, "hello, wasm")
        self.assertTrue(outcome["bytes"], "a Wasm reply reaches JS as a Uint8Array")

    def test_js_wasm_js_chain(self):
        self.assertOk(self.call("Probe/chain", "call:Shout/x|hi there"), "reply:HI THERE (from wasmtest/Probe/chain)")
        # The JS handler's error and a JS actor that never answers come back as MAR_FAILED codes.
        self.assertOk(self.call("Probe/chain", "call:Shout/x|throw"), "failed:handler_error")
        self.assertOk(self.call("Probe/chain", "call:Shout/x|slow"), "failed:timeout")
        # Refused at once: a negated code from mar_call (not_found = 2, invalid_argument = 8).
        self.assertOk(self.call("Probe/chain", "call:Nope/x|hi"), "-2")
        self.assertOk(self.call("Probe/chain", "call:not an address|hi"), "-8")
        # Wasm -> Wasm, across instances (and shards): the callee sees the caller's address.
        self.assertOk(self.call("Probe/chain", "call:Probe/other|caller"), "reply:wasmtest/Probe/chain")

    def test_self_and_caller(self):
        self.assertOk(self.call("Probe/me", "self"), "wasmtest/Probe/me")
        self.assertOk(self.call("Probe/me", "caller"), "(none)")

    def test_fifo_and_structured_payloads(self):
        outcome = self.get("/fifo?to=Probe/fifo&n=60")
        self.assertOk(outcome, ",".join(str(i) for i in range(60)))
        self.assertOk(self.get("/json?to=Probe/json"), '{"a":1,"b":[true,null]},hi,str,42')

    def test_errors_from_the_module(self):
        self.assertFails(self.call("Probe/e", "fail"), "handler_error", "the probe refuses")
        self.assertFails(self.call("Probe/e", "status"), "handler_error", "mar_dispatch returned 7 without answering")
        self.assertOk(self.call("Probe/e", "bad-pointer"), "-8")
        self.assertFails(self.call("Probe/e", "silent", timeout=300), "timeout")
        self.assertOk(self.call("Probe/e", "echo:still here"), "still here")

    def test_timer(self):
        self.assertOk(self.call("Probe/t", "timer"), "timer fired")

    def test_every_trap_crashes_only_that_actor(self):
        for kind in ("trap:unreachable", "trap:oob", "trap:div", "trap:stack", "loop"):
            with self.subTest(kind=kind):
                name = "Probe/" + kind.replace(":", "-")
                self.assertOk(self.call(name, "count"), "1")
                self.assertFails(self.call(name, kind), "crashed")
                # Restarted by policy (on-failure): a fresh instance, its memory starts over.
                self.assertOk(self.call(name, "count"), "1")
                self.assertAlive()
        logs = self.node.logs()[-200000:]
        self.assertIn("unreachable", logs)
        self.assertIn("stack exhausted", logs)
        self.assertIn("divide by zero", logs)
        self.assertIn("memory access out of bounds", logs)

    def test_restart_policy_never(self):
        self.assertFails(self.call("Never/x", "trap:div"), "crashed")
        self.assertFails(self.call("Never/x", "count"), "crashed")

    def test_memory_grow_is_capped(self):
        self.assertEqual(self.get("/grow?to=Grow/g"), {"pages": 8 * 16})  # limits.wasmMemoryMb = 8
        self.assertEqual(self.get("/grow?to=Grow/h"), {"pages": 8 * 16})
        self.assertAlive()

    def test_http_route_and_spawn(self):
        status, headers, body = self.node.request("POST", "/actors/Probe/web", body=b"echo:via http")
        self.assertEqual((status, body), (200, b"via http"))
        self.assertEqual(headers.get("content-type"), "application/octet-stream")
        spawned = self.get("/spawn")
        self.assertRegex(spawned["id"], r"^wasmtest/Probe/~[0-9a-f]{40}$")
        self.assertEqual(spawned["count"], "1")

    def test_instances_are_separate(self):
        self.assertEqual(self.get("/many?n=400"), {"distinct": 1, "first": "1"})

    def test_wasi_command(self):
        # An ordinary wasi-libc program: main() runs when the actor starts, then it stops.
        self.assertOk(self.get("/send?to=Wasi/once&msg=x"), None)
        logs = ""
        for _ in range(100):
            logs = self.node.logs()
            if "done failures=" in logs:
                break
            time.sleep(0.05)
        lines = [json.loads(line) for line in logs.splitlines() if "wasmtest/Wasi/once:" in line]
        said = {entry["msg"].split(": ", 1)[1]: entry["level"] for entry in lines}
        self.assertIn("done failures=0", said, said)
        self.assertEqual(said["hello from wasi"], "info")
        self.assertEqual(said["to stderr"], "error")
        for line in ("argc=3", "argv[0]=wasi_probe", "argv[2]=two words", "env:PROBE_ENV=from-manifest",
                     "clock:ok", "monotonic:ok", "random:ok", "stdin:eof", "file:ok", "grow:ok", "seek:ok",
                     "rename:ok", "unlink:ok", "rmdir:ok",
                     # Escapes: absolute paths, .. and a symlink out of the preopen are not capable (76);
                     # making symlinks is not permitted (63); the read-only grant is a read-only fs (69).
                     "escape:abs:76", "escape:dotdot:76", "escape:deep:76", "escape:symlink:76", "symlink:63",
                     "ro:create:69", "ro:mkdir:69"):
            self.assertIn(line, said, said)
        # It cleaned up after itself in the granted directory, and made no symlink there.
        self.assertEqual(sorted(os.listdir(os.path.join(self.bundle, "data"))), [".keep", "etc_link"])

    def test_lifecycle_hooks_and_stop(self):
        self.assertOk(self.call("Probe/stopper", "stop"), "stopping")
        self.assertOk(self.call("Probe/stopper", "count"), "1")  # a new incarnation on next use
        logs = self.node.logs()
        self.assertIn("actor wasmtest/Probe/stopper: probe started", logs)
        self.assertIn("actor wasmtest/Probe/stopper: probe stopping", logs)


class WasmLoadingTest(unittest.TestCase):
    """Malformed, truncated and refused modules: `mar check` says what is wrong and exits 1."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def bundle(self, wasm_bytes, manifest=None, name="mod.wasm"):
        directory = tempfile.mkdtemp(dir=self.dir)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(wasm_bytes)
        with open(os.path.join(directory, "mar.json"), "w") as f:
            json.dump(manifest or {"name": "bad", "main": name}, f)
        return directory

    def check_fails(self, directory, *expected):
        result = mar("check", directory)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        for text in expected:
            self.assertIn(text, result.stderr)
        return result.stderr

    def probe_bytes(self):
        with open(os.path.join(WASM_DIR, "probe.wasm"), "rb") as f:
            return f.read()

    def test_not_wasm_and_truncated(self):
        self.check_fails(self.bundle(b"hello, world"), "mod.wasm", "not a WebAssembly module")
        data = self.probe_bytes()
        for cut in (4, 9, 20, len(data) // 2, len(data) - 1):
            with self.subTest(cut=cut):
                self.check_fails(self.bundle(data[:cut]), "mod.wasm")

    def test_function_body_v8_refuses(self):
        # Well-formed structure, an invalid opcode in a body: only V8's compiler can tell.
        module = bytes.fromhex("0061736d01000000" "010401600000" "03020100" "070a01065f73746172740000" "0a050103" "00ff0b")
        directory = self.bundle(module)
        self.check_fails(directory, "mod.wasm: CompileError")
        result = mar("run", directory, "--listen", "127.0.0.1:0")
        self.assertEqual(result.returncode, 1)
        self.assertIn("CompileError", result.stderr)

    def test_a_single_wasm_file(self):
        directory = tempfile.mkdtemp(dir=self.dir)
        shutil.copy(os.path.join(SRC, "examples/wasm-echo/echo.wasm"), os.path.join(directory, "my-echo.wasm"))
        result = mar("check", os.path.join(directory, "my-echo.wasm"))
        self.assertEqual(result.returncode, 0, result.stderr)
        with Node(os.path.join(directory, "my-echo.wasm")) as node:
            self.assertEqual(node.request("POST", "/actors/MyEcho/x", body=b"ping")[:3:2], (200, b"ping"))
        # The default manifest grants timers, not actors: probe.wasm imports mar.call and mar.send.
        shutil.copy(os.path.join(WASM_DIR, "probe.wasm"), os.path.join(directory, "probe.wasm"))
        result = mar("check", os.path.join(directory, "probe.wasm"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("probe.wasm: imports capabilities the manifest does not grant: mar.call (needs capabilities.actors)",
                      result.stderr)

    @unittest.skipIf(WAT2WASM is None, "wat2wasm (wabt) is not installed")
    def test_unknown_and_ungranted_imports_and_missing_exports(self):
        unknown = wat("""(module
          (import "env" "foo" (func))
          (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
          (import "mar" "teleport" (func))
          (memory (export "memory") 1 1)
          (func (export "mar_dispatch") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0)))""",
                      os.path.join(self.dir, "unknown.wasm"))
        with open(unknown, "rb") as f:
            stderr = self.check_fails(self.bundle(f.read()), "env.foo", "wasi_snapshot_preview1.sock_accept", "mar.teleport")
        ungranted = wat("""(module
          (import "mar" "call" (func (param i32 i32 i32 i32 i32) (result i32)))
          (import "mar" "timer" (func (param i32) (result i32)))
          (memory (export "memory") 1 1)
          (func (export "mar_dispatch") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0)))""",
                        os.path.join(self.dir, "ungranted.wasm"))
        with open(ungranted, "rb") as f:
            self.check_fails(self.bundle(f.read()), "mar.call (needs capabilities.actors)", "mar.timer (needs capabilities.timers)")
        wrong_type = wat("""(module
          (import "mar" "log" (func (param i32)))
          (memory (export "memory") 1 1)
          (func (export "mar_dispatch") (result i32) (i32.const 0)))""", os.path.join(self.dir, "types.wasm"))
        with open(wrong_type, "rb") as f:
            self.check_fails(self.bundle(f.read()), "mar.log", "mar_dispatch")
        no_entry = wat("""(module (memory (export "memory") 1 1) (func (export "other")))""", os.path.join(self.dir, "none.wasm"))
        with open(no_entry, "rb") as f:
            self.check_fails(self.bundle(f.read()), "exports no mar_dispatch")
        self.assertNotIn("Traceback", stderr)

    @unittest.skipIf(WAT2WASM is None, "wat2wasm (wabt) is not installed")
    def test_memory_larger_than_the_limit(self):
        big = wat("""(module (memory (export "memory") 512)
          (func (export "mar_dispatch") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0)))""",
                  os.path.join(self.dir, "big.wasm"))
        with open(big, "rb") as f:
            self.check_fails(self.bundle(f.read(), {"name": "big", "main": "mod.wasm", "limits": {"wasmMemoryMb": 16}}),
                             "limits.wasmMemoryMb")

    @unittest.skipIf(WAT2WASM is None, "wat2wasm (wabt) is not installed")
    def test_huge_data_segment_crashes_the_actor_not_the_node(self):
        # 1 MiB of data for a 64 KiB memory: instantiation traps, the actor cannot start.
        source = '(module (memory (export "memory") 1 1) (data (i32.const 0) "' + "a" * (1 << 20) + '")' \
                 ' (func (export "mar_alloc") (param i32) (result i32) (i32.const 0))' \
                 ' (func (export "mar_dispatch") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0)))'
        module = wat(source, os.path.join(self.dir, "huge.wasm"))
        directory = os.path.join(self.dir, "huge")
        os.mkdir(directory)
        shutil.copy(module, os.path.join(directory, "huge.wasm"))
        with Node(os.path.join(directory, "huge.wasm")) as node:
            status, _, body = node.request("POST", "/actors/Huge/x", body=b"hi")
            self.assertEqual(status, 503, body)
            self.assertIn(b"crashed", body)
            self.assertIsNone(node.proc.poll())
            self.assertIn("data segment", node.logs())


class WasmExamplesTest(unittest.TestCase):
    def test_counter_echo_greeter(self):
        with Node(os.path.join(SRC, "examples/wasm-counter")) as node:
            self.assertEqual(node.request("POST", "/actors/Counter/a", body=b"inc")[2], b"1")
            self.assertEqual(node.request("POST", "/actors/Counter/a", body=b"inc")[2], b"2")
            self.assertEqual(node.request("POST", "/actors/Counter/b", body=b"get")[2], b"0")
        with Node(os.path.join(SRC, "examples/wasm-echo")) as node:
            self.assertEqual(node.request("POST", "/actors/Echo/a", body=b"hello")[2], b"hello")
        with Node(os.path.join(SRC, "examples/wasm-greeter")) as node:
            self.assertEqual(node.get("/?name=ada")[2], b"Hello, ADA!")


if __name__ == "__main__":
    main()
