// bench/gpu: what env.GPU costs from JS. Each route times itself with performance.now() and
// answers JSON; gpu_bench.py drives it.

const EMPTY = `@compute @workgroup_size(1) fn main() {}`;
const ADD = `
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * 256u;
  if (i < arrayLength(&out)) { out[i] = a[i] + b[i]; }
}`;

function summary(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: sorted.length, median: at(0.5), p10: at(0.1), p90: at(0.9), p99: at(0.99) };
}

let buffers = null;  // the vector-add working set, kept between requests

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const gpu = env.GPU;
    if (url.pathname === "/hello") return new Response("ok");
    if (url.pathname === "/empty") {
      // Round trip of an empty dispatch: dispatch() called -> promise settled, in microseconds.
      const count = Number(url.searchParams.get("count") ?? 1000);
      await gpu.dispatch({ code: EMPTY });  // compiles once (pipeline cache)
      const samples = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await gpu.dispatch({ code: EMPTY });
        samples[i] = (performance.now() - t0) * 1000;
      }
      return Response.json(summary(samples));
    }
    if (url.pathname === "/vecadd") {
      // out = a + b over `bytes` per buffer (3 buffers: the working set is 3 x bytes); GB/s counts
      // the bytes the kernel reads and writes.
      const bytes = Number(url.searchParams.get("bytes") ?? (64 << 20));
      const rounds = Number(url.searchParams.get("rounds") ?? 5);
      if (buffers === null || buffers.bytes !== bytes) {
        if (buffers !== null) for (const b of buffers.list) gpu.destroy(b);
        const list = [gpu.createBuffer(bytes), gpu.createBuffer(bytes), gpu.createBuffer(bytes)];
        const fill = new Float32Array(Math.min(bytes, 64 << 20) / 4).fill(1.5);
        for (let offset = 0; offset < bytes; offset += fill.byteLength) {
          gpu.writeBuffer(list[0], fill.subarray(0, Math.min(fill.length, (bytes - offset) / 4)), offset);
          gpu.writeBuffer(list[1], fill.subarray(0, Math.min(fill.length, (bytes - offset) / 4)), offset);
        }
        buffers = { bytes, list };
      }
      const groups = Math.ceil(bytes / 16 / 256);
      const workgroups = groups <= 65535 ? [groups] : [65535, Math.ceil(groups / 65535)];
      const bindings = buffers.list.map((buffer) => ({ buffer }));
      await gpu.dispatch({ code: ADD, bindings, workgroups });  // warm-up
      const samples = [];
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        await gpu.dispatch({ code: ADD, bindings, workgroups });
        samples.push(performance.now() - t0);
      }
      const check = new Float32Array(await gpu.readBuffer(buffers.list[2], bytes - 16, 16));
      const s = summary(samples);
      return Response.json({ bytes, ms: s, gbps: (3 * bytes) / (s.median / 1000) / 1e9, check: Array.from(check) });
    }
    return new Response("routes: /empty?count=N, /vecadd?bytes=N&rounds=N\n", { status: 404 });
  },
};
