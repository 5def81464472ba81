"""`mar inspect`: a WebAssembly module's imports, exports and memory in text, JSON and YAML, and the
errors for files that are not modules, through the real binary."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from marlib import mar, main

WAT = r"""
(module
  (type $binop (func (param i32 i32) (result i32)))
  (import "mar" "log" (func $log (param i32 i32 i32)))
  (import "env" "counter" (global $counter (mut i64)))
  (memory (export "memory") 2 16)
  (global $limit (export "limit") i32 (i32.const 7))
  (func (export "add") (type $binop) local.get 0 local.get 1 i32.add)
  (func (export "odd \"name\": yes") (param f64) (result i32 i64) i32.const 0 i64.const 0)
  (data (i32.const 16) "hello"))
"""

ODD_NAME = 'odd "name": yes'


class InspectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("wat2wasm") is None:
            print("\nskipped: wat2wasm (wabt) is not installed; it assembles the test module")
            raise unittest.SkipTest("wat2wasm is missing")
        cls.dir = tempfile.mkdtemp(prefix="mar-inspect-")
        wat = os.path.join(cls.dir, "module.wat")
        with open(wat, "w") as f:
            f.write(WAT)
        cls.wasm = os.path.join(cls.dir, "module.wasm")
        subprocess.run(["wat2wasm", wat, "-o", cls.wasm], check=True)
        with open(cls.wasm, "rb") as f:
            cls.bytes = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def inspect(self, *args):
        result = mar("inspect", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        return result.stdout

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assert_fails(self, path, message):
        result = mar("inspect", path)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertEqual(result.stdout, "")
        self.assertTrue(result.stderr.startswith(f"mar: {path}: {message}"), result.stderr)

    def test_text(self):
        text = self.inspect(self.wasm)
        self.assertEqual(text, self.inspect(self.wasm, "--format", "text"))  # the default
        for line in ("memory: 2 pages (128 KiB), maximum 16 pages (1 MiB)",
                     "functions: 1 imported, 2 defined",
                     "data: 1 segment, 5 bytes",
                     "start function: none",
                     "imports (2):",
                     "  function mar.log  (i32, i32, i32) -> ()",
                     "  global   env.counter  mut i64",
                     "exports (4):",
                     "  memory   memory  2 pages (128 KiB), maximum 16 pages (1 MiB)",
                     "  global   limit  i32",
                     "  function add  (i32, i32) -> i32",
                     '  function "odd \\"name\\": yes"  (f64) -> (i32, i64)'):
            self.assertIn(line + "\n", text)

    def test_json(self):
        info = json.loads(self.inspect(self.wasm, "--format", "json"))
        self.assertEqual(info["memory"], {"initial_pages": 2, "initial_bytes": 131072, "maximum_pages": 16,
                                          "maximum_bytes": 1048576, "shared": False, "memory64": False})
        self.assertEqual(info["functions"], {"imported": 1, "defined": 2})
        self.assertEqual(info["data"], {"segments": 1, "bytes": 5})
        self.assertIsNone(info["start_function"])
        self.assertEqual(info["imports"][0], {"module": "mar", "name": "log", "kind": "function",
                                              "type": "(i32, i32, i32) -> ()", "params": ["i32", "i32", "i32"],
                                              "results": []})
        self.assertEqual(info["imports"][1]["value_type"], "i64")
        self.assertTrue(info["imports"][1]["mutable"])
        exports = {entry["name"]: entry for entry in info["exports"]}
        self.assertEqual(set(exports), {"memory", "limit", "add", ODD_NAME})
        self.assertEqual(exports["add"]["index"], 1)  # the imported function is function 0
        self.assertEqual(exports[ODD_NAME]["results"], ["i32", "i64"])
        self.assertEqual(exports["memory"]["maximum_pages"], 16)

    def test_yaml(self):
        text = self.inspect(self.wasm, "--format", "yaml")
        for line in ("memory:", "  initial_pages: 2", "  maximum_bytes: 1048576", "memory_imported: false",
                     "start_function: null", "custom_sections: []", "imports:", '  - module: "mar"',
                     '    name: "log"', '    type: "(i32, i32, i32) -> ()"', "    params:", '      - "i32"',
                     '  - name: "odd \\"name\\": yes"'):
            self.assertIn(line + "\n", text)
        try:
            import yaml
        except ImportError:
            print("\nnote: PyYAML is not installed; the YAML output was checked line by line only")
            return
        self.assertEqual(yaml.safe_load(text), json.loads(self.inspect(self.wasm, "--format", "json")))

    def test_not_a_module(self):
        self.assert_fails(self.write("text.wasm", b"hello, world\n"),
                          "not a WebAssembly module (the file does not start with \\0asm)")
        self.assert_fails(self.write("empty.wasm", b""), "not a WebAssembly module (the file is empty)")
        self.assert_fails(self.write("v2.wasm", b"\0asm\x02\0\0\0"),
                          "unsupported WebAssembly version 2 (mar reads version 1)")

    def test_truncated(self):
        cut = len(self.bytes) - 3
        path = self.write("cut.wasm", self.bytes[:cut])
        self.assert_fails(path, "truncated: the data section ends at byte")
        self.assertIn(f"but the file ends at byte {cut}", mar("inspect", path).stderr)

    def test_missing_directory_and_too_large(self):
        self.assert_fails("/nonexistent/module.wasm", "no such file or directory")
        self.assert_fails(self.dir, "is a directory, not a WebAssembly module")
        path = os.path.join(self.dir, "huge.wasm")
        with open(path, "wb") as f:
            f.write(b"\0asm\x01\0\0\0")
            f.truncate((256 << 20) + 1)  # sparse: costs no disk
        self.assert_fails(path, f"{(256 << 20) + 1} bytes; mar reads WebAssembly modules of at most 256 MiB")
        os.unlink(path)

    def test_bad_format_option(self):
        result = mar("inspect", self.wasm, "--format", "xml")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--format", result.stderr)


if __name__ == "__main__":
    main()
