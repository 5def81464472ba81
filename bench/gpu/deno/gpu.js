// bench/gpu, the Deno side: the same empty compute dispatch as bench/gpu/mar, through Deno's
// WebGPU (wgpu) on the same Vulkan driver. One round trip = encode + submit + await
// onSubmittedWorkDone(). Prints one JSON line: {"median": us, "p10", "p90", "p99", "adapter"}.
//   deno run --unstable-webgpu gpu.js COUNT
const count = Number(Deno.args[0] ?? 1000);
const adapter = await navigator.gpu.requestAdapter();
if (!adapter) throw new Error("no WebGPU adapter");
const device = await adapter.requestDevice();
const module = device.createShaderModule({ code: "@compute @workgroup_size(1) fn main() {}" });
const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
async function once() {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.dispatchWorkgroups(1);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}
await once();
const samples = new Float64Array(count);
for (let i = 0; i < count; i++) {
  const t0 = performance.now();
  await once();
  samples[i] = (performance.now() - t0) * 1000;
}
samples.sort();
const at = (q) => samples[Math.min(count - 1, Math.floor(q * count))];
console.log(JSON.stringify({ count, median: at(0.5), p10: at(0.1), p90: at(0.9), p99: at(0.99), adapter: adapter.info?.description ?? "" }));
