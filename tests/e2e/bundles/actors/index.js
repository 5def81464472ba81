// Routes for tests/e2e/test_actors.py (the "actors" bundle: default limits, two shards).
// Each route orchestrates actors through env.ACTORS and answers JSON the test asserts on.
//
// A bundle runs in one isolate per shard, so this token says which shard's isolate runs some code:
// two actors with the same token share a shard, different tokens mean a cross-shard hop.
const ISOLATE = crypto.randomUUID();

const json = (value, status = 200) => Response.json(value, { status });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// What an operation gave: its value, or what it threw/rejected with.
async function outcome(operation) {
  try {
    return { ok: true, value: await operation() };
  } catch (error) {
    return {
      ok: false, name: error?.name, code: error?.code, message: error?.message,
      originalName: error?.originalName, isActorError: error instanceof ActorError,
    };
  }
}

// A named actor of `cls` that lives on another shard than this code (found by asking "whoami").
async function farActor(env, cls, prefix) {
  for (let i = 0; i < 64; i++) {
    const stub = env.ACTORS.get(`${cls}/${prefix}-${i}`);
    if ((await stub.call("whoami")) !== ISOLATE) return stub;
  }
  throw new Error(`no ${cls} on another shard among 64 names`);
}

// The same class spawned on this shard, and (unless ?far=0) a named one on another.
async function nearAndFar(env, url, cls, prefix) {
  const pairs = [["near", await env.ACTORS.spawn(cls)]];
  if (url.searchParams.get("far") !== "0") pairs.push(["far", await farActor(env, cls, prefix)]);
  return pairs;
}

// One of many: answers its id, stops on "stop".
export class Tag {
  constructor(state) {
    this.state = state;
  }
  message(msg) {
    if (msg === "stop") this.state.stop();
    return this.state.id;
  }
}

export class Counter {
  constructor(state) {
    this.id = state.id;
    this.count = 0;
  }
  message(msg, ctx) {
    if (msg === "increment") this.count++;
    return { id: this.id, count: this.count, kind: ctx.kind, sender: ctx.sender };
  }
  fetch(request) {
    if (request.method === "POST") this.count++;
    return json({ id: this.id, count: this.count, method: request.method, path: new URL(request.url).pathname });
  }
}

// Fan-out target: W/<n> answers n * factor, and how many calls it has seen.
export class W {
  constructor(state) {
    this.n = Number(state.id.split("/").pop());
    this.calls = 0;
  }
  message(factor) {
    this.calls++;
    return { value: this.n * factor, calls: this.calls, isolate: ISOLATE };
  }
}

// Records the order of the numbers it is sent.
export class Sink {
  constructor() {
    this.count = 0;
    this.last = -1;
    this.outOfOrder = 0;
    this.senders = new Set();
    this.kinds = new Set();
  }
  message(msg, ctx) {
    if (msg === "whoami") return ISOLATE;
    if (msg === "report") {
      return { count: this.count, last: this.last, outOfOrder: this.outOfOrder, senders: [...this.senders], kinds: [...this.kinds] };
    }
    if (msg !== this.last + 1) this.outOfOrder++;
    this.last = msg;
    this.count++;
    this.senders.add(ctx.sender);
    this.kinds.add(ctx.kind);
  }
}

// Sends {n} numbered messages to a Sink without awaiting each, then asks it for its report.
export class Source {
  constructor(state, env) {
    this.env = env;
  }
  async message(msg) {
    if (msg === "whoami") return ISOLATE;
    const sink = msg.target === null ? await this.env.ACTORS.spawn("Sink") : this.env.ACTORS.get(msg.target);
    const sinkIsolate = await sink.call("whoami");
    const accepted = [];
    for (let i = 0; i < msg.n; i++) accepted.push(sink.send(i));
    await Promise.all(accepted);
    const report = await sink.call("report");
    return { ...report, sameShard: sinkIsolate === ISOLATE, sink: sink.id };
  }
}

// Answers "whoami"; never answers anything else.
export class Hang {
  message(msg) {
    if (msg === "whoami") return ISOLATE;
    return new Promise(() => {});
  }
}

// Counts; "throw"/"reject" fail in its handler, which is not a crash.
export class Thrower {
  constructor() {
    this.count = 0;
  }
  message(msg) {
    if (msg === "whoami") return ISOLATE;
    if (msg === "throw") throw new RangeError("bad input 42");  // synchronously
    if (msg === "reject") {
      return (async () => {
        await null;
        const error = new Error("quota gone");
        error.name = "QuotaError";
        throw error;
      })();
    }
    return ++this.count;
  }
}

// Capability revocation: Holder puts a stub it obtained into `held`, then stops itself.
const held = { stub: null, stopped: 0 };
export class Holder {
  constructor(state, env) {
    this.state = state;
    this.env = env;
  }
  async message(msg) {
    if (msg === "grab") {
      held.stub = this.env.ACTORS.get("Counter/revocation-target");
      return (await held.stub.call("increment")).count;
    }
    if (msg === "stop") this.state.stop();
  }
  onStop() {
    held.stopped++;
  }
}

// Timers die with their actor: Ticker's interval bumps `ticks` until it stops.
const ticks = { value: 0, stopped: 0 };
export class Ticker {
  constructor(state) {
    this.state = state;
  }
  message(msg) {
    if (msg === "start") setInterval(() => ticks.value++, 5);
    if (msg === "stop") this.state.stop();
  }
  onStop() {
    ticks.stopped++;
  }
}

// Spawned with narrowed capabilities: reports what its env and timers allow.
export class Narrow {
  constructor(state, env) {
    this.env = env;
  }
  async message(msg) {
    if (msg === "probe") {
      // What a narrowed set refuses that the bundle grants: another bundle's actors, a fetch host.
      const elsewhere = await outcome(async () => this.env.ACTORS.get("elsewhere/X/y"));
      const fetched = await outcome(() => fetch("http://127.0.0.1:1/"));
      return { elsewhere, fetched };
    }
    let timer;
    try {
      clearTimeout(setTimeout(() => {}, 1));
      timer = { ok: true };
    } catch (error) {
      timer = { ok: false, name: error.name, isTypeError: error instanceof TypeError, message: error.message };
    }
    // A refused binding's methods reject; the real one's get() returns a stub.
    const actors = await outcome(async () => {
      await this.env.ACTORS.get("Counter/narrow-probe");
    });
    return { timer, actors: { ok: actors.ok, message: actors.message }, isolate: ISOLATE };
  }
}

async function waitFor(predicate, what) {
  for (let i = 0; i < 1000; i++) {
    if (predicate()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const routes = {
  // n spawned actors, each reached again by its address; every third stopped, the rest still
  // reached. At 100,000 the isolate's actor table has keys that collide (it keys minted
  // addresses by 28 bits of their nonce: ~19 colliding pairs expected), so its chains are used.
  "/many": async (request, env, url) => {
    const n = Number(url.searchParams.get("n"));
    const ids = [];
    for (let done = 0; done < n; done += 10000) {
      const batch = [];
      for (let i = done; i < Math.min(n, done + 10000); i++) batch.push(env.ACTORS.spawn("Tag"));
      for (const stub of await Promise.all(batch)) ids.push(stub.id);
    }
    const answers = async () => {
      const result = { same: 0, gone: 0, other: [] };
      for (let done = 0; done < n; done += 10000) {
        const slice = ids.slice(done, done + 10000);
        const replies = await Promise.all(slice.map((id) => outcome(() => env.ACTORS.get(id).call("id"))));
        replies.forEach((reply, i) => {
          if (reply.ok && reply.value === slice[i]) result.same++;
          else if (!reply.ok && reply.code === "not_found") result.gone++;
          else if (result.other.length < 5) result.other.push(reply);
        });
      }
      return result;
    };
    const before = await answers();
    await Promise.all(ids.filter((_, i) => i % 3 === 0).map((id) => env.ACTORS.get(id).call("stop")));
    await sleep(50);  // a stop completes after the event that asked for it
    const after = await answers();
    // As many new actors as stopped: none may take an old name, and every old name still finds
    // its own actor or nothing.
    const fresh = await Promise.all(ids.filter((_, i) => i % 3 === 0).map(() => env.ACTORS.spawn("Tag")));
    const all = new Set(ids);
    for (const stub of fresh) all.add(stub.id);
    return { distinct: new Set(ids).size, before, after, again: await answers(), allDistinct: all.size };
  },

  // Counter through call(): POST increments, GET reads.
  "/count": async (request, env, url) => {
    const counter = env.ACTORS.get(`Counter/${url.searchParams.get("name")}`);
    return counter.call(request.method === "POST" ? "increment" : "read");
  },

  // 1,000 named actors: call all, sum the replies.
  "/fanout": async (request, env, url) => {
    const n = Number(url.searchParams.get("n"));
    const factor = Number(url.searchParams.get("factor"));
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => env.ACTORS.get(`W/${i}`).call(factor)));
    let sum = 0;
    const calls = {};
    const isolates = new Set();
    for (const reply of replies) {
      sum += reply.value;
      calls[reply.calls] = (calls[reply.calls] || 0) + 1;
      isolates.add(reply.isolate);
    }
    return { sum, replies: replies.length, calls, isolates: isolates.size };
  },

  // FIFO per (sender, receiver): Source/<tag> sends to a Sink on another shard and to one it
  // spawns on its own shard.
  "/fifo": async (request, env, url) => {
    const n = Number(url.searchParams.get("n"));
    const tag = url.searchParams.get("tag");
    const source = env.ACTORS.get(`Source/${tag}`);
    const sourceIsolate = await source.call("whoami");
    const result = { source: source.id };
    if (url.searchParams.get("cross") !== "0") {
      let far = null;
      for (let i = 0; i < 64 && far === null; i++) {
        const sink = env.ACTORS.get(`Sink/${tag}-${i}`);
        if ((await sink.call("whoami")) !== sourceIsolate) far = sink;
      }
      if (far === null) throw new Error(`no Sink on another shard than ${source.id}`);
      result.far = await source.call({ target: far.id, n });
    }
    result.near = await source.call({ target: null, n });
    return result;
  },

  // A handler that never answers: call() with timeoutMs 200 rejects with `timeout`.
  "/timeout": async (request, env, url) => {
    const result = {};
    for (const [where, hang] of await nearAndFar(env, url, "Hang", "timeout")) {
      result[where] = await outcome(() => hang.call("answer me", { timeoutMs: 200 }));
    }
    result.badTimeout = await outcome(() => env.ACTORS.get("Hang/bad-timeout").call("x", { timeoutMs: -1 }));
    return result;
  },

  // Errors thrown by a handler reach the caller with their name and message; the actor lives on.
  "/handler-error": async (request, env, url) => {
    const result = {};
    for (const [where, stub] of await nearAndFar(env, url, "Thrower", "handler-error")) {
      result[where] = [
        await outcome(() => stub.call("count")),
        await outcome(() => stub.call("throw")),
        await outcome(() => stub.call("count")),
        await outcome(() => stub.call("reject")),
        await outcome(() => stub.call("count")),
      ];
    }
    return result;
  },

  // Addresses that lead nowhere, or where this bundle may not go.
  "/refusals": async (request, env) => {
    const forged = "~" + "0".repeat(40);
    return {
      unknownClass: await outcome(() => env.ACTORS.get("Nope/x").call("hi")),
      forgedSpawnedId: await outcome(() => env.ACTORS.get(`Counter/${forged}`).call("hi")),
      forgedWithBundle: await outcome(() => env.ACTORS.get(`actors/Counter/${forged}`).call("hi")),
      otherBundle: await outcome(() => env.ACTORS.get("other/X/y").call("hi")),
      allowedButAbsent: await outcome(() => env.ACTORS.get("elsewhere/X/y").call("hi")),
      malformed: await outcome(() => env.ACTORS.get("no-slash").call("hi")),
      spawnUnknown: await outcome(() => env.ACTORS.spawn("Nope")),
      spawnTilde: await outcome(() => env.ACTORS.spawn("Counter", "~abc")),
      spawnTwice: await outcome(async () => {
        await env.ACTORS.spawn("Counter", "twice");
        return (await env.ACTORS.spawn("Counter", "twice")).id;
      }),
      unclonable: await outcome(() => env.ACTORS.get("Counter/c").call(() => 1)),
    };
  },

  // A stub obtained by an actor is revoked when that actor stops.
  "/revocation": async (request, env) => {
    const holder = await env.ACTORS.spawn("Holder");
    const before = held.stopped;
    const countWhileLive = await holder.call("grab");
    const stub = held.stub;
    const liveUse = await outcome(async () => (await stub.call("read")).count);
    await holder.send("stop");
    await waitFor(() => held.stopped > before, "Holder's onStop");
    await sleep(20);
    return {
      countWhileLive,
      liveUse,
      afterStop: {
        call: await outcome(() => stub.call("increment")),
        send: await outcome(() => stub.send("increment")),
        fetch: await outcome(() => stub.fetch("http://actor/")),
      },
      // The target itself is fine: a fresh stub reaches it, and the revoked calls did not count.
      freshStub: await outcome(async () => (await env.ACTORS.get("Counter/revocation-target").call("read")).count),
      holderAfterStop: await outcome(() => holder.call("grab")),
    };
  },

  // A stopped actor's timers are cleared.
  "/timers": async (request, env) => {
    const ticker = await env.ACTORS.spawn("Ticker");
    const stopsBefore = ticks.stopped;
    const start = ticks.value;
    await ticker.call("start");
    await waitFor(() => ticks.value >= start + 3, "the interval to tick 3 times");
    await ticker.send("stop");
    await waitFor(() => ticks.stopped > stopsBefore, "Ticker's onStop");
    await sleep(20);
    const atStop = ticks.value;
    await sleep(200);
    return { ticked: ticks.value > start, atStop, later: ticks.value };
  },

  // spawn() with a narrower capability set.
  "/narrow": async (request, env) => {
    const narrowed = await env.ACTORS.spawn("Narrow", undefined, { capabilities: {} });
    const full = await env.ACTORS.spawn("Narrow");
    const named = [];
    for (let i = 0; i < 32; i++) named.push(await env.ACTORS.spawn("Narrow", `n${i}`, { capabilities: {} }));
    const namedReports = await Promise.all(named.map((stub) => stub.call("report")));
    return {
      narrowed: await narrowed.call("report"),
      narrowedId: narrowed.id,
      full: await full.call("report"),
      named: namedReports.map(({ timer, actors, isolate }) => ({ timer: timer.name, actors: actors.ok, far: isolate !== ISOLATE })),
      timersOnly: await (await env.ACTORS.spawn("Narrow", undefined, { capabilities: { timers: true } })).call("report"),
      ownOnlyProbe: await (await env.ACTORS.spawn("Narrow", undefined, {
        capabilities: { actors: { allow: ["actors/Counter"] }, fetch: { allow: ["127.0.0.1:2"] } },
      })).call("probe"),
      fullProbe: await full.call("probe"),
      spawnUnknown: await outcome(() => env.ACTORS.spawn("Nope", undefined, { capabilities: {} })),
      handlerIsolate: ISOLATE,
    };
  },

  "/plain": async () => ({ plain: true }),
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return json({ error: "no route", path: url.pathname }, 404);
    try {
      return json(await route(request, env, url));
    } catch (error) {
      return json({ thrown: true, name: error?.name, code: error?.code, message: error?.message }, 500);
    }
  },
};
