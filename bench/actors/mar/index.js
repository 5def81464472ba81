// mar's side of bench/actors/actors_bench.py: the actor workloads of issue 4, each a route of the
// default fetch handler that times itself with performance.now() and answers JSON. Run with
// `mar run bench/actors/mar --shards 1` for /pingpong, /ring and /spawn (the driver does); /hello and
// /call are the HTTP -> actor case, run with the default shards.

// Ping-pong: the callee answers each call with the message.
export class Pong {
  constructor(state, env) { this.state = state; }
  message(msg, ctx) { return msg; }
}

// Ring: {next: id} tells a node its successor (an address string: stubs need not be cloneable);
// {hops: n} is the token, passed on with send until n reaches 0, which resolves the module-level
// promise of the running /ring request (one isolate: every node lives on the spawner's shard).
let ringDone = null;
export class RingNode {
  constructor(state, env) { this.env = env; this.next = null; }
  message(msg, ctx) {
    if (msg.next !== undefined) { this.next = this.env.ACTORS.get(msg.next); return; }
    if (msg.hops === 0) { ringDone(); return; }
    this.next.send({ hops: msg.hops - 1 });
  }
}

// Spawn: the smallest class there is.
export class Idle {
  constructor() {}
  message(msg) { return msg; }
}

// HTTP -> actor: GET /call asks "Echo/one" and answers its reply.
export class Echo {
  message(msg) { return msg; }
}

const json = (value, status = 200) => Response.json(value, { status });
const int = (url, name, fallback) => {
  const v = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer`);
  return v;
};

async function pingpong(env, n) {
  const pong = await env.ACTORS.spawn("Pong");
  for (let i = 0, w = Math.max(1, n / 10 | 0); i < w; i++) await pong.call(i);  // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (await pong.call(i) !== i) throw new Error(`pong answered wrong at ${i}`);
  }
  const ms = performance.now() - t0;
  return { n, ns_per_op: ms * 1e6 / n };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

async function ringRound(first, hops) {
  const done = new Promise((resolve) => { ringDone = resolve; });
  await first.send({ hops });
  await withTimeout(done, 120000, "ring");
}

async function ring(env, actors, hops) {
  const nodes = [];
  for (let i = 0; i < actors; i++) nodes.push(env.ACTORS.spawn("RingNode"));
  const stubs = await Promise.all(nodes);
  await Promise.all(stubs.map((s, i) => s.send({ next: stubs[(i + 1) % actors].id })));
  await ringRound(stubs[0], Math.max(1, hops / 10 | 0));  // warm-up
  const t0 = performance.now();
  await ringRound(stubs[0], hops);
  const ms = performance.now() - t0;
  return { actors, hops, ns_per_hop: ms * 1e6 / hops };
}

async function spawnIdle(env, n, chunk) {
  const t0 = performance.now();
  for (let done = 0; done < n; done += chunk) {
    const batch = [];
    for (let i = 0, m = Math.min(chunk, n - done); i < m; i++) batch.push(env.ACTORS.spawn("Idle"));
    await Promise.all(batch);  // the stubs are dropped: the actors live on in the runtime
  }
  return { n, seconds: (performance.now() - t0) / 1000 };
}

// The path by string search: /hello and /call are measured under wrk, where parsing the URL with
// `new URL` (plain JS here) would cost more than the actor call being measured.
function pathOf(url) {
  const start = url.indexOf("/", url.indexOf("://") + 3), query = url.indexOf("?", start);
  return start < 0 ? "/" : query < 0 ? url.slice(start) : url.slice(start, query);
}

export default {
  async fetch(request, env) {
    const path = pathOf(request.url);
    if (path === "/hello" || path === "/") return new Response("hello");
    try {
      if (path === "/call") return new Response(await env.ACTORS.get("Echo/one").call("x"));
      const url = new URL(request.url);
      switch (path) {
        case "/pingpong":
          return json(await pingpong(env, int(url, "n", 100000)));
        case "/ring":
          return json(await ring(env, int(url, "actors", 1000), int(url, "hops", 1000000)));
        case "/spawn":
          return json(await spawnIdle(env, int(url, "n", 1000000), int(url, "chunk", 10000)));
        default:
          return json({ error: `no route ${path}` }, 404);
      }
    } catch (e) {
      return json({ error: `${e?.name ?? "Error"}${e?.code ? ` (${e.code})` : ""}: ${e?.message ?? e}` }, 500);
    }
  },
};
