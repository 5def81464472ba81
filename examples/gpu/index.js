// WebGPU compute from an HTTP handler and from an actor (docs/gpu.md).
//   curl 'http://127.0.0.1:8080/add?n=1000000'   vector add on the GPU, checked on the CPU
//   curl -X POST --data '[1,2,3,4.5]' http://127.0.0.1:8080/actors/Summer/a   sum in an actor

const ADD = `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&out)) { out[id.x] = a[id.x] + b[id.x]; }
}`;

// One workgroup of 256 threads folds the array into one partial sum per thread, then a tree.
const SUM = `
@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> total: array<f32>;
var<workgroup> partial: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) i: u32) {
  var acc = 0.0;
  for (var k = i; k < arrayLength(&values); k += 256u) { acc += values[k]; }
  partial[i] = acc;
  workgroupBarrier();
  for (var step = 128u; step > 0u; step >>= 1u) {
    if (i < step) { partial[i] += partial[i + step]; }
    workgroupBarrier();
  }
  if (i == 0u) { total[0] = partial[0]; }
}`;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/add") {
      return new Response("try /add?n=1000000 or POST a JSON array to /actors/Summer/<name>\n", { status: 404 });
    }
    const n = Math.min(Number(url.searchParams.get("n") ?? 1000000), 16 << 20) >>> 0;
    const gpu = env.GPU;
    const a = new Float32Array(n), b = new Float32Array(n);
    for (let i = 0; i < n; i++) { a[i] = i; b[i] = 2 * i; }
    const bufA = gpu.createBuffer(n * 4), bufB = gpu.createBuffer(n * 4), out = gpu.createBuffer(n * 4);
    try {
      gpu.writeBuffer(bufA, a);
      gpu.writeBuffer(bufB, b);
      const t0 = performance.now();
      await gpu.dispatch({ code: ADD, bindings: [bufA, bufB, out], workgroups: Math.ceil(n / 256) });
      const result = new Float32Array(await gpu.readBuffer(out));
      const ms = performance.now() - t0;
      let wrong = 0;
      for (let i = 0; i < n; i++) if (result[i] !== Math.fround(a[i] + b[i])) wrong++;
      return Response.json({ n, wrong, ms: Math.round(ms * 100) / 100, sample: Array.from(result.subarray(0, 4)) });
    } finally {
      gpu.destroy(bufA);
      gpu.destroy(bufB);
      gpu.destroy(out);
    }
  },
};

export class Summer {
  constructor(state, env) { this.gpu = env.GPU; }
  async fetch(request) {
    const values = Float32Array.from(await request.json());
    const input = this.gpu.createBuffer(Math.max(4, values.byteLength));
    const total = this.gpu.createBuffer(4);
    this.gpu.writeBuffer(input, values);
    await this.gpu.dispatch({ code: SUM, bindings: [input, total], workgroups: 1 });
    const [sum] = new Float32Array(await this.gpu.readBuffer(total));
    this.gpu.destroy(input);
    this.gpu.destroy(total);
    return Response.json({ count: values.length, sum });
  }
}
