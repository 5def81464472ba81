"""env.GPU end to end, through the real binary, the real WebGPU library (Dawn) and the real Vulkan
CPU driver (Mesa lavapipe) that scripts/setup.sh installs: vector add (1M and 32M floats), a
reduction, a 512x512 matmul checked against a CPU reference, actors sharing the device, WGSL
errors with positions, quotas, ownership, a runaway dispatch, a crash with live buffers, and the
ways a GPU can be missing (library, driver, only the Null adapter) with the node still serving.
"""
import json
import os
import tempfile
import threading
import unittest

from marlib import BUNDLES, SRC, Node, NodeTest, main, mar

BUNDLE = os.path.join(BUNDLES, "gpu")
LIBRARY = os.path.realpath(os.path.join(SRC, ".deps", "webgpu", "libwebgpu_wrapper.so"))
LAVAPIPE = os.path.join(SRC, ".deps", "lavapipe", "lvp_icd.json")
MISSING = None if os.path.exists(LIBRARY) and os.path.exists(LAVAPIPE) else \
    "the WebGPU library or lavapipe is not installed (scripts/setup.sh installs them)"


def get_json(node, path, timeout=120):
    status, _, body = node.request("GET", path, timeout=timeout)
    if status != 200:
        raise AssertionError(f"{path}: {status} {body[:2000]!r}\nlogs:\n{node.logs()[-3000:]}")
    return json.loads(body)


def broken_icd(directory):
    """An ICD manifest whose driver library does not exist: the Vulkan loader finds no driver."""
    icd = os.path.join(directory, "broken_icd.json")
    with open(icd, "w") as f:
        json.dump({"file_format_version": "1.0.0",
                   "ICD": {"library_path": os.path.join(directory, "libvulkan_missing.so"), "api_version": "1.3.0"}}, f)
    return icd


@unittest.skipIf(MISSING, MISSING)
class GpuTest(NodeTest):
    bundle = BUNDLE
    args = ("--shards", "2", "--gpu-driver", "lavapipe", "--log-level", "debug")

    def get(self, path, timeout=120):
        return get_json(self.node, path, timeout)

    def test_startup_log_names_library_backend_and_adapter(self):
        self.get("/create")  # the device is open by the time a buffer can be used
        logs = self.node.logs()
        self.assertIn("CPU driver Mesa lavapipe, as asked", logs)
        self.assertIn("GPU ready: library " + LIBRARY, logs)
        self.assertIn("backend Vulkan", logs)
        self.assertIn('adapter \\"llvmpipe', logs)

    def test_vector_add_1m(self):
        self.assertEqual(self.get("/vecadd?n=1048576"), {"n": 1048576, "wrong": 0, "length": 1048576})

    def test_vector_add_32m(self):
        n = 32 * 1024 * 1024
        self.assertEqual(self.get(f"/vecadd?n={n}", timeout=300), {"n": n, "wrong": 0, "length": n})

    def test_reduction(self):
        result = self.get("/reduce?n=1000003")
        self.assertEqual(result["sum"], result["expected"])

    def test_matmul_512_matches_cpu(self):
        result = self.get("/matmul?n=512")
        self.assertEqual(result["wrong"], 0)
        self.assertGreater(result["corner"], 0)

    def test_actors_share_the_device(self):
        # Four actors at once, and default handlers on both shards at the same time.
        results, errors = [], []

        def run(path):
            try:
                results.append(self.get(path))
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=run, args=("/concurrent?n=200000&count=4",))]
        threads += [threading.Thread(target=run, args=(f"/vecadd?n={100000 + i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        for result in results:
            for item in (result if isinstance(result, list) else [result]):
                self.assertEqual(item["wrong"], 0, item)

    def test_errors_are_precise(self):
        out = self.get("/errors")
        syntax = out["syntax"]["error"]
        self.assertEqual((syntax["name"], syntax["code"]), ("GPUError", "wgsl_error"))
        self.assertIn("line 3, column 14", syntax["message"])
        self.assertEqual(syntax["messages"][0]["line"], 3)
        self.assertEqual(syntax["messages"][0]["type"], "error")
        unknown = out["unknown"]["error"]
        self.assertEqual(unknown["code"], "wgsl_error")
        self.assertIn("nope", unknown["message"])
        self.assertEqual((unknown["messages"][0]["line"], unknown["messages"][0]["column"]), (3, 11))
        self.assertEqual(out["entry"]["error"]["code"], "validation")
        self.assertIn("missing", out["entry"]["error"]["message"])
        self.assertEqual(out["binding"]["error"]["code"], "validation")
        self.assertIn("entries", out["binding"]["error"]["message"])
        self.assertEqual(out["overrun"]["error"]["code"], "invalid_argument")
        self.assertIn("overruns", out["overrun"]["error"]["message"])
        self.assertIn("multiples of 4", out["unaligned"]["error"]["message"])
        self.assertEqual(out["badSize"]["error"]["name"], "TypeError")
        self.assertEqual(out["notBuffer"]["error"]["name"], "TypeError")
        self.assertEqual(out["readPast"]["error"]["code"], "invalid_argument")
        self.assertIn("maxComputeWorkgroupsPerDimension", out["workgroups"]["error"]["message"])
        self.assertIn("destroyed", out["destroyed"]["error"]["message"])

    def test_unaligned_reads_and_writes_at_the_end(self):
        self.assertEqual(self.get("/unaligned"), [4, 5, 6, 7, 8])
        self.assertEqual(self.get("/read-zero"), {"isArrayBuffer": True, "byteLength": 0})

    def test_quota_is_enforced_per_actor(self):
        out = self.get("/quota")
        self.assertEqual(out["count"], 4)
        self.assertEqual(out["over"]["error"]["code"], "quota_exceeded")
        self.assertIn("capabilities.gpu.maxBufferBytes (4096)", out["over"]["error"]["message"])
        self.assertEqual(out["again"], {"ok": True, "value": 1024})  # destroy gives the bytes back
        self.assertEqual(out["limits"], {"maxBufferBytes": 4096, "maxDispatchMs": 1000})

    def test_buffers_of_another_owner_are_refused(self):
        out = self.get("/foreign")
        for key in ("write", "read"):
            self.assertEqual(out[key]["error"]["code"], "invalid_argument")
            self.assertIn("belongs to another actor", out[key]["error"]["message"])

    def test_crash_with_live_buffers_frees_them(self):
        self.assertEqual(self.get("/hold?name=crashy"), 3)
        self.assertEqual(self.get("/crash?name=crashy"), "crashing")
        for _ in range(100):
            if "released 3 buffer(s), 3.0 MiB, of actor gpu/Holder/crashy" in self.node.logs():
                break
            threading.Event().wait(0.05)
        self.assertIn("released 3 buffer(s), 3.0 MiB, of actor gpu/Holder/crashy", self.node.logs())

    def test_runaway_dispatch_times_out_and_the_device_recovers(self):
        out = self.get("/timeout", timeout=180)
        self.assertEqual(out["slow"]["error"]["code"], "timeout")
        self.assertIn("maxDispatchMs (100 ms)", out["slow"]["error"]["message"])
        self.assertEqual(out["stale"]["error"]["code"], "device_lost")
        self.assertEqual(out["fresh"]["wrong"], 0)
        # Everybody else goes on on the new device.
        self.assertEqual(self.get("/vecadd?n=4096")["wrong"], 0)


@unittest.skipIf(MISSING, MISSING)
class NoGpuTest(unittest.TestCase):
    """Each way of having no GPU: a clear log line, the node serves on, env.GPU says why."""

    def check_unavailable(self, args, log_text, error_text):
        with Node(BUNDLE, "--shards", "1", *args) as node:
            self.assertEqual(get_json(node, "/health"), {"ok": True})
            for _ in range(100):
                if "no GPU:" in node.logs():
                    break
                threading.Event().wait(0.05)
            self.assertIn(log_text, node.logs())
            created = get_json(node, "/create")
            self.assertFalse(created["ok"])
            self.assertEqual(created["error"]["code"], "unavailable")
            self.assertIn(error_text, created["error"]["message"])
            read = get_json(node, "/health")
            self.assertEqual(read, {"ok": True})

    def test_library_missing(self):
        self.check_unavailable(["--gpu-library", "/nonexistent/libwebgpu_dawn.so"],
                               "no WebGPU library could be loaded", "/nonexistent/libwebgpu_dawn.so")

    def test_driver_missing(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.check_unavailable(["--gpu-driver", broken_icd(tmp)], "no Vulkan adapter", "no Vulkan adapter")

    def test_null_adapter_is_refused(self):
        # With no backend named and no working driver, Dawn hands out its Null adapter, which
        # computes nothing; mar refuses it instead of returning zeros.
        with tempfile.TemporaryDirectory() as tmp:
            self.check_unavailable(["--gpu-backend", "auto", "--gpu-driver", broken_icd(tmp)], "Null adapter", "Null adapter")

    def test_bad_flags_are_refused_at_start(self):
        result = mar("run", BUNDLE, "--gpu-backend", "glide")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown backend", result.stderr)
        result = mar("run", BUNDLE, "--gpu-driver", "/nonexistent/icd.json")
        self.assertEqual(result.returncode, 2)
        self.assertIn("no such ICD manifest", result.stderr)

    def test_not_granted(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "mar.json"), "w") as f:
                json.dump({"name": "nogpu", "main": "index.js"}, f)
            with open(os.path.join(tmp, "index.js"), "w") as f:
                f.write("export default { async fetch(r, env) {\n"
                        "  try { await env.GPU.createBuffer(16); return new Response('granted?'); }\n"
                        "  catch (e) { return new Response(e.message); } } };\n")
            with Node(tmp, "--shards", "1") as node:
                status, _, body = node.get("/")
                self.assertEqual(status, 200)
                self.assertIn('add "capabilities.gpu" to mar.json', body.decode())
                self.assertNotIn("gpu", node.logs().lower().replace("nogpu", ""))  # no GPU started


@unittest.skipIf(MISSING, MISSING)
class GpuExampleTest(unittest.TestCase):
    def test_example(self):
        with Node(os.path.join(SRC, "examples", "gpu"), "--shards", "1", "--gpu-driver", "lavapipe") as node:
            out = get_json(node, "/add?n=100000")
            self.assertEqual((out["n"], out["wrong"]), (100000, 0))
            status, _, body = node.request("POST", "/actors/Summer/a", body=b"[1, 2, 3, 4.5]")
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body), {"count": 4, "sum": 10.5})


if __name__ == "__main__":
    main()
