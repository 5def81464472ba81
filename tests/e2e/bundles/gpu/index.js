// GPU end-to-end bundle (tests/e2e/test_gpu.py): every route answers JSON.

const ADD = `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * 256u;
  if (i < arrayLength(&out)) { out[i] = a[i] + b[i]; }
}`;

// Pass 1: each workgroup folds its stride of the input into partials[group]; pass 2 runs the same
// shader on the partials with one workgroup.
const REDUCE = `
@group(0) @binding(0) var<storage, read> values: array<u32>;
@group(0) @binding(1) var<storage, read_write> partials: array<u32>;
var<workgroup> scratch: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) i: u32, @builtin(workgroup_id) group: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  var acc = 0u;
  let stride = 256u * groups.x;
  for (var k = group.x * 256u + i; k < arrayLength(&values); k += stride) { acc += values[k]; }
  scratch[i] = acc;
  workgroupBarrier();
  for (var step = 128u; step > 0u; step >>= 1u) {
    if (i < step) { scratch[i] += scratch[i + step]; }
    workgroupBarrier();
  }
  if (i == 0u) { partials[group.x] = scratch[0]; }
}`;

const MATMUL = `
struct Dims { n: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let n = dims.n;
  if (id.x >= n || id.y >= n) { return; }
  var acc = 0.0;
  for (var k = 0u; k < n; k++) { acc += a[id.y * n + k] * b[k * n + id.x]; }
  c[id.y * n + id.x] = acc;
}`;

const SLOW = `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var x = id.x;
  for (var i = 0u; i < 3000000u; i++) { x = x * 1664525u + 1013904223u; }
  out[id.x] = x;
}`;

const EMPTY = `@compute @workgroup_size(1) fn main() {}`;

function describe(error) {
  return { name: error.name, code: error.code, message: error.message, messages: error.messages };
}
async function settle(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}
function attempt(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}

// Vector add of n floats (seeded), verified element by element on the CPU.
async function vectorAdd(gpu, n, seed) {
  const a = new Float32Array(n), b = new Float32Array(n);
  for (let i = 0; i < n; i++) { a[i] = (i * 7 + seed) % 1000; b[i] = (i * 13 + seed) % 777 + 0.5; }
  const bufA = gpu.createBuffer(n * 4), bufB = gpu.createBuffer(n * 4), out = gpu.createBuffer(n * 4);
  gpu.writeBuffer(bufA, a);
  gpu.writeBuffer(bufB, b);
  a.fill(-1);  // writeBuffer copied the bytes: changing them now must not matter
  const groups = Math.ceil(n / 256);
  const workgroups = groups <= 65535 ? [groups] : [65535, Math.ceil(groups / 65535)];
  await gpu.dispatch({ code: ADD, bindings: [bufA, bufB, out], workgroups });
  const result = new Float32Array(await gpu.readBuffer(out));
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    if (result[i] !== Math.fround((i * 7 + seed) % 1000 + ((i * 13 + seed) % 777 + 0.5))) wrong++;
  }
  for (const buffer of [bufA, bufB, out]) gpu.destroy(buffer);
  return { n, wrong, length: result.length };
}

async function reduce(gpu, n) {
  const values = new Uint32Array(n);
  let expected = 0;
  for (let i = 0; i < n; i++) { values[i] = (i * 2654435761) % 100; expected += values[i]; }
  const input = gpu.createBuffer(n * 4), partials = gpu.createBuffer(256 * 4), total = gpu.createBuffer(4);
  gpu.writeBuffer(input, values);
  await gpu.dispatch({ code: REDUCE, bindings: [input, partials], workgroups: 256 });
  await gpu.dispatch({ code: REDUCE, bindings: [partials, total], workgroups: 1 });
  const [sum] = new Uint32Array(await gpu.readBuffer(total));
  for (const buffer of [input, partials, total]) gpu.destroy(buffer);
  return { n, sum, expected };
}

async function matmul(gpu, n) {
  const a = new Float32Array(n * n), b = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) { a[i] = (i * 3) % 4; b[i] = (i * 5 + 1) % 3; }
  const bufA = gpu.createBuffer(a.byteLength), bufB = gpu.createBuffer(b.byteLength);
  const bufC = gpu.createBuffer(a.byteLength), dims = gpu.createBuffer(16, "uniform");
  gpu.writeBuffer(bufA, a);
  gpu.writeBuffer(bufB, b);
  gpu.writeBuffer(dims, new Uint32Array([n, 0, 0, 0]));
  await gpu.dispatch({ code: MATMUL, bindings: [bufA, bufB, bufC, dims], workgroups: [Math.ceil(n / 16), Math.ceil(n / 16)] });
  const c = new Float32Array(await gpu.readBuffer(bufC));
  // CPU reference (exact: small integers).
  let wrong = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) row[j] += aik * b[k * n + j];
    }
    for (let j = 0; j < n; j++) if (c[i * n + j] !== row[j]) wrong++;
  }
  for (const buffer of [bufA, bufB, bufC, dims]) gpu.destroy(buffer);
  return { n, wrong, corner: c[n * n - 1] };
}

export class Worker {
  constructor(state, env) { this.env = env; this.id = state.id; }
  async fetch(request) {
    const url = new URL(request.url);
    const seed = Number(url.searchParams.get("seed") ?? 1);
    return Response.json(await vectorAdd(this.env.GPU, Number(url.searchParams.get("n") ?? 65536), seed));
  }
  async message(msg) {
    if (msg.op === "hold") {  // create buffers, keep them, report
      this.held = [];
      for (let i = 0; i < msg.count; i++) this.held.push(this.env.GPU.createBuffer(msg.bytes));
      return this.held.length;
    }
    if (msg.op === "crash") {  // crash outside a handler, buffers still alive
      setTimeout(() => { throw new Error("boom with live buffers"); }, 0);
      return "crashing";
    }
    if (msg.op === "quota") {
      const made = [];
      const over = attempt(() => { for (;;) made.push(this.env.GPU.createBuffer(msg.bytes)); });
      const count = made.length;
      this.env.GPU.destroy(made.pop());
      const again = attempt(() => this.env.GPU.createBuffer(msg.bytes).size);
      return { count, over, again, limits: this.env.GPU.limits };
    }
    if (msg.op === "timeout") {
      const out = this.env.GPU.createBuffer(64 * 64 * 4);
      const slow = await settle(this.env.GPU.dispatch({ code: SLOW, bindings: [out], workgroups: 64 }));
      const stale = await settle(this.env.GPU.readBuffer(out));
      const fresh = await vectorAdd(this.env.GPU, 1024, 3);
      return { slow, stale, fresh };
    }
    if (msg.op === "foreign") {
      return { write: attempt(() => this.env.GPU.writeBuffer(shared, new Uint8Array(4))),
               read: await settle(this.env.GPU.readBuffer(shared)) };
    }
    return null;
  }
}

let shared = null;  // a buffer of the default handler, smuggled to an actor through module state

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const gpu = env.GPU;
    const n = Number(url.searchParams.get("n") ?? 0);
    switch (url.pathname) {
      case "/health":
        return Response.json({ ok: true });
      case "/vecadd":
        return Response.json(await vectorAdd(gpu, n, 1));
      case "/reduce":
        return Response.json(await reduce(gpu, n));
      case "/matmul":
        return Response.json(await matmul(gpu, n));
      case "/empty": {
        const t0 = performance.now();
        const count = Number(url.searchParams.get("count") ?? 1);
        for (let i = 0; i < count; i++) await gpu.dispatch({ code: EMPTY });
        return Response.json({ count, ms: performance.now() - t0 });
      }
      case "/create":
        return Response.json(attempt(() => gpu.createBuffer(16).size));
      case "/read-empty":
        return Response.json(await settle(gpu.readBuffer(gpu.createBuffer(4))));
      case "/errors": {
        const buffer = gpu.createBuffer(64);
        const out = {
          syntax: await settle(gpu.dispatch({ code: "@compute @workgroup_size(1)\nfn main() {\n  let x = 1 +;\n}" })),
          unknown: await settle(gpu.dispatch({ code: "@compute @workgroup_size(1)\nfn main() {\n  let x = nope;\n}" })),
          entry: await settle(gpu.dispatch({ code: EMPTY, entryPoint: "missing" })),
          binding: await settle(gpu.dispatch({ code: ADD, bindings: [buffer] })),
          overrun: attempt(() => gpu.writeBuffer(buffer, new Uint8Array(128))),
          unaligned: attempt(() => gpu.writeBuffer(buffer, new Uint8Array(3), 1)),
          badSize: attempt(() => gpu.createBuffer(-1)),
          notBuffer: attempt(() => gpu.writeBuffer({}, new Uint8Array(4))),
          readPast: await settle(gpu.readBuffer(buffer, 60, 8)),
          workgroups: await settle(gpu.dispatch({ code: EMPTY, workgroups: [1e9] })),
        };
        gpu.destroy(buffer);
        out.destroyed = attempt(() => gpu.writeBuffer(buffer, new Uint8Array(4)));
        return Response.json(out);
      }
      case "/read-zero": {
        const buffer = gpu.createBuffer(8);
        const whole = await gpu.readBuffer(buffer, 8);
        gpu.destroy(buffer);
        return Response.json({ isArrayBuffer: whole instanceof ArrayBuffer, byteLength: whole.byteLength });
      }
      case "/unaligned": {
        const buffer = gpu.createBuffer(10);
        gpu.writeBuffer(buffer, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        const part = new Uint8Array(await gpu.readBuffer(buffer, 3, 5));
        gpu.destroy(buffer);
        return Response.json(Array.from(part));
      }
      case "/concurrent": {
        const count = Number(url.searchParams.get("count") ?? 4);
        const names = Array.from({ length: count }, (_, i) => `w${i}`);
        const results = await Promise.all(names.map((name, i) =>
          env.ACTORS.get(`Worker/${name}`).fetch(`http://actor/?n=${n}&seed=${i + 1}`).then((r) => r.json())));
        return Response.json(results);
      }
      case "/hold": {
        const stub = env.ACTORS.get(`Holder/${url.searchParams.get("name")}`);
        return Response.json(await stub.call({ op: "hold", count: 3, bytes: 1 << 20 }));
      }
      case "/crash": {
        const stub = env.ACTORS.get(`Holder/${url.searchParams.get("name")}`);
        return Response.json(await stub.call({ op: "crash" }));
      }
      case "/quota": {
        const stub = await env.ACTORS.spawn("Worker", undefined, { capabilities: { gpu: { maxBufferBytes: 4096, maxDispatchMs: 1000 } } });
        return Response.json(await stub.call({ op: "quota", bytes: 1024 }));
      }
      case "/timeout": {
        const stub = await env.ACTORS.spawn("Worker", undefined, { capabilities: { gpu: { maxBufferBytes: 1 << 20, maxDispatchMs: 100 } } });
        return Response.json(await stub.call({ op: "timeout" }, { timeoutMs: 60000 }));
      }
      case "/foreign": {
        // A spawned actor runs in this isolate and sees this module's state, so it can reach the
        // default handler's buffer; the GPU binding is what refuses it.
        shared = gpu.createBuffer(16);
        const stub = await env.ACTORS.spawn("Worker");
        return Response.json(await stub.call({ op: "foreign" }));
      }
    }
    return new Response("not found", { status: 404 });
  },
};

// Same handlers, never restarted: its crash must leave nothing behind.
export class Holder extends Worker {}
