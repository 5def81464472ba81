// mar's side of bench/wasm/wasm_bench.py: Wasm actor spawn, live Wasm actors, and a call round
// trip JS -> Wasm beside JS -> JS. Each route times itself with performance.now(). Run with
// `mar run bench/wasm/mar --shards 1` (spawn() places actors on the spawner's shard).

// The JS counterpart of tiny.wat: answers a call with its message.
export class Echo {
  message(msg) { return msg; }
}

const json = (value, status = 200) => Response.json(value, { status });
const int = (url, name, fallback) => {
  const v = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer`);
  return v;
};

// Spawns n actors of `cls` in batches; the per-spawn cost of each batch, and their median.
async function spawn(env, cls, n, chunk) {
  const perSpawnUs = [];
  const t0 = performance.now();
  for (let done = 0; done < n; done += chunk) {
    const m = Math.min(chunk, n - done);
    const start = performance.now();
    const batch = [];
    for (let i = 0; i < m; i++) batch.push(env.ACTORS.spawn(cls));
    await Promise.all(batch);  // the actors live on; their stubs are dropped
    perSpawnUs.push((performance.now() - start) * 1000 / m);
  }
  perSpawnUs.sort((a, b) => a - b);
  return { n, seconds: (performance.now() - t0) / 1000, median_us: perSpawnUs[perSpawnUs.length >> 1] };
}

// Sequential calls with a 16-byte payload from this handler to one actor of `cls`.
async function roundTrip(env, cls, n) {
  const target = await env.ACTORS.spawn(cls);
  const payload = new Uint8Array(16).fill(7);
  for (let i = 0, w = Math.max(1, n / 10 | 0); i < w; i++) await target.call(payload);  // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const reply = await target.call(payload);
    if (reply.length !== 16) throw new Error(`${cls} answered ${reply.length} bytes`);
  }
  return { n, ns_per_op: (performance.now() - t0) * 1e6 / n };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
        case "/hello": return new Response("hello");
        case "/spawn":
          return json(await spawn(env, url.searchParams.get("class") || "Tiny", int(url, "n", 10000), int(url, "chunk", 1000)));
        case "/call":
          return json(await roundTrip(env, url.searchParams.get("class") || "Tiny", int(url, "n", 100000)));
        default:
          return json({ error: `no route ${url.pathname}` }, 404);
      }
    } catch (e) {
      return json({ error: `${e?.name ?? "Error"}${e?.code ? ` (${e.code})` : ""}: ${e?.message ?? e}` }, 500);
    }
  },
};
