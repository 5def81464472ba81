// Routes for tests/e2e/test_actors.py (the "actors_limits" bundle): small mailboxes, a 250 ms CPU
// budget per event, a 64 MB heap, and one class per restart policy.
//
// A bundle runs in one isolate per shard, so this token says which shard's isolate runs some code.
const ISOLATE = crypto.randomUUID();

const json = (value, status = 200) => Response.json(value, { status });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function outcome(operation) {
  try {
    return { ok: true, value: await operation() };
  } catch (error) {
    return { ok: false, name: error?.name, code: error?.code, message: error?.message, isActorError: error instanceof ActorError };
  }
}

async function waitFor(predicate, what, lastSeen = () => undefined) {
  const deadline = Date.now() + 6000;  // only so that a failure ends; restarts take milliseconds
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(lastSeen())}`);
}

// Retries `operation` until it succeeds (an actor coming back after its restart backoff).
async function eventually(operation, what) {
  let last = null;
  await waitFor(async () => {
    last = await outcome(operation);
    return last.ok;
  }, what, () => last);
  return last;
}

// A named actor of `cls` on another shard than this code (found by asking "whoami").
async function farActor(env, cls, prefix) {
  for (let i = 0; i < 64; i++) {
    const stub = env.ACTORS.get(`${cls}/${prefix}-${i}`);
    if ((await stub.call("whoami")) !== ISOLATE) return stub;
  }
  throw new Error(`no ${cls} on another shard among 64 names`);
}
// The same actor spawned on this shard, and a named one on the other.
async function nearAndFar(env, cls, prefix) {
  return [["near", await env.ACTORS.spawn(cls)], ["far", await farActor(env, cls, prefix)]];
}

// Counts; "spin" never returns (the CPU limit ends it), "bomb" fills the heap (the memory limit).
class Counting {
  constructor(state) {
    this.state = state;
    this.count = 0;
  }
  message(msg) {
    if (msg === "whoami") return ISOLATE;
    if (msg === "spin") for (;;) {}
    if (msg === "bomb") {
      const hoard = [];
      for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));
    }
    if (msg === "stop") return this.state.stop();
    return ++this.count;
  }
}
// "probe": whether its timers capability lets it set a timer.
export class Guarded extends Counting {
  message(msg) {
    if (msg !== "probe") return super.message(msg);
    try {
      clearTimeout(setTimeout(() => {}, 1));
      return "timers allowed";
    } catch (error) {
      return `refused: ${error.name}`;
    }
  }
}
export class Hog extends Counting {}
export class Bomb extends Counting {}
export class Keeper extends Counting {}
export class Fragile extends Counting {}
export class Flaky extends Counting {}
export class Mortal extends Counting {}

// Restarted after it stops itself: `lives` counts its constructions, `stops` its onStop runs.
const phoenix = { lives: 0, stops: 0 };
export class Phoenix extends Counting {
  constructor(state) {
    super(state);
    phoenix.lives++;
  }
  onStop() {
    phoenix.stops++;
  }
}
export class PatientPhoenix extends Phoenix {}
export class Patient extends Counting {}
const mortal = { stops: 0 };
Mortal.prototype.onStop = () => { mortal.stops++; };

// An uncaught error in its timer, or a rejection nobody handles, crashes it.
export class TimerBomb extends Counting {
  message(msg) {
    if (msg === "timer") setTimeout(() => { throw new Error("tick boom"); }, 0);
    if (msg === "unhandled") Promise.reject(new Error("nobody listens"));
    return super.message(msg);
  }
}
export class BadCtor {
  constructor() {
    throw new Error("constructor boom");
  }
  message() {
    return "unreachable";
  }
}
export class BadStart {
  onStart() {
    throw new Error("onStart boom");
  }
  message() {
    return "unreachable";
  }
}

// Takes `ms` to answer; records the backpressure event it is given.
export class Slow {
  constructor() {
    this.pressure = null;
  }
  async message(msg) {
    if (msg === "whoami") return ISOLATE;
    if (msg === "pressure") return this.pressure;
    await sleep(msg);
    return "done";
  }
  onMailboxBackpressure(event) {
    this.pressure = event;
  }
}

// /actors/HttpProbe/<name>/<what>: how routed requests fail.
export class HttpProbe {
  constructor() {
    this.count = 0;
  }
  fetch(request) {
    const what = new URL(request.url).pathname.split("/")[4];
    if (what === "spin") for (;;) {}
    if (what === "hang") return new Promise(() => {});
    if (what === "throw") throw new TypeError("probe threw");
    return json({ count: ++this.count });
  }
}

const routes = {
  // Callers of a full mailbox wait mailboxWaitMs, then get mailbox_full.
  "/mailbox": async (request, env) => {
    const result = {};
    for (const [where, slow] of await nearAndFar(env, "Slow", "mailbox")) {
      const sends = await Promise.all([1000, 1000, 1000, 1000, 1000].map((ms) => outcome(() => slow.send(ms))));
      result[where] = sends.map((r) => (r.ok ? "accepted" : r.code));
      // Once the two accepted messages are done, the mailbox has room again.
      let pressure = null;
      await waitFor(async () => {
        const answer = await outcome(() => slow.call("pressure"));
        if (answer.ok) pressure = answer.value;
        return answer.ok;
      }, "room in the mailbox");
      result[`${where}Pressure`] = pressure;
    }
    const caller = await env.ACTORS.spawn("Slow");
    const calls = await Promise.all([300, 300, 300].map((ms) => outcome(() => caller.call(ms))));
    result.calls = calls.map((r) => (r.ok ? r.value : r.code));
    return result;
  },

  "/keeper": async (request, env, url) => env.ACTORS.get(`Keeper/${url.searchParams.get("name")}`).call("inc"),

  // Crashes by a limit: the caller gets `crashed`, the actor comes back (on-failure) fresh.
  "/crash": async (request, env, url) => {
    const how = url.searchParams.get("how");
    const cls = how === "bomb" ? "Bomb" : "Hog";
    const result = {};
    for (const [where, actor] of await nearAndFar(env, cls, `${how}-${url.searchParams.get("tag")}`)) {
      result[where] = [
        await outcome(() => actor.call("inc")),
        await outcome(() => actor.call(how)),
        // Restarted fresh (on-failure): the count starts over.
        await eventually(() => actor.call("inc"), `${actor.id} to come back`),
      ];
    }
    return result;
  },

  "/restart/on-failure": async (request, env, url) => {
    const hog = env.ACTORS.get(`Hog/${url.searchParams.get("tag")}`);
    const steps = [];
    for (const msg of ["inc", "inc", "spin"]) steps.push(await outcome(() => hog.call(msg)));
    steps.push(await eventually(() => hog.call("inc"), "Hog to come back"));
    steps.push(await outcome(() => hog.call("inc")));
    return steps;
  },

  // Messages that arrive while a crashed (or stopped, under "always") actor waits out its restart
  // backoff (300 ms here) wait for the new incarnation.
  "/restart/backoff": async (request, env, url) => {
    const patient = env.ACTORS.get(`Patient/${url.searchParams.get("tag")}`);
    const crash = [];
    for (const msg of ["inc", "inc", "spin", "inc", "inc"]) crash.push(await outcome(() => patient.call(msg)));
    const phoenixActor = await env.ACTORS.spawn("PatientPhoenix");
    const stopsBefore = phoenix.stops;
    const stop = [await outcome(() => phoenixActor.call("inc")), await outcome(() => phoenixActor.call("inc"))];
    await phoenixActor.send("stop");
    await waitFor(() => phoenix.stops > stopsBefore, "PatientPhoenix's onStop");
    stop.push(await outcome(() => phoenixActor.call("inc")), await outcome(() => phoenixActor.call("inc")));
    return { crash, stop };
  },

  // A named actor spawned with fewer capabilities than the bundle's crashes, its policy gives up,
  // and once the window has passed a message activates it again: with the set it was spawned with.
  "/restart/keeps-capabilities": async (request, env, url) => {
    const guarded = await env.ACTORS.spawn("Guarded", `g-${url.searchParams.get("tag")}`, { capabilities: {} });
    const steps = [await outcome(() => guarded.call("probe")), await outcome(() => guarded.call("spin"))];
    await sleep(400);  // its restartWindowMs is 200
    steps.push(await outcome(() => guarded.call("probe")));
    return steps;
  },

  "/restart/never": async (request, env, url) => {
    const fragile = env.ACTORS.get(`Fragile/${url.searchParams.get("tag")}`);
    const steps = [];
    for (const msg of ["inc", "spin", "inc"]) steps.push(await outcome(() => fragile.call(msg)));
    await sleep(200);  // well past any backoff: a restart, if there (wrongly) were one, is done
    steps.push(await outcome(() => fragile.call("inc")));
    return steps;
  },

  // maxRestarts 2 in a 3 s window: two crashes are restarted, the third gives up until the window
  // has passed.
  "/restart/window": async (request, env, url) => {
    const flaky = env.ACTORS.get(`Flaky/${url.searchParams.get("tag")}`);
    const steps = [await outcome(() => flaky.call("inc"))];
    for (let crash = 1; crash <= 2; crash++) {
      steps.push(await outcome(() => flaky.call("spin")));
      steps.push(await eventually(() => flaky.call("inc"), `Flaky to come back after crash ${crash}`));
    }
    steps.push(await outcome(() => flaky.call("spin")));
    steps.push(await outcome(() => flaky.call("inc")));
    await sleep(200);  // well past its backoff
    steps.push(await outcome(() => flaky.call("inc")));
    const later = await eventually(() => flaky.call("inc"), "the restart window to pass");
    return { steps, later };
  },

  // "always" brings back an actor that stopped itself; "on-failure" does not.
  "/restart/always": async (request, env) => {
    const phoenixActor = await env.ACTORS.spawn("Phoenix");
    const livesBefore = phoenix.lives;
    const stopsBefore = phoenix.stops;
    const before = [await phoenixActor.call("inc"), await phoenixActor.call("inc")];
    await phoenixActor.send("stop");
    await waitFor(() => phoenix.stops > stopsBefore, "Phoenix's onStop");
    const after = [await eventually(() => phoenixActor.call("inc"), "Phoenix to come back"),
      await outcome(() => phoenixActor.call("inc"))];
    const lives = phoenix.lives - livesBefore;

    const mortalActor = await env.ACTORS.spawn("Mortal");
    const mortalStops = mortal.stops;
    const mortalBefore = await mortalActor.call("inc");
    await mortalActor.send("stop");
    await waitFor(() => mortal.stops > mortalStops, "Mortal's onStop");
    await sleep(200);  // a restart, if there (wrongly) were one, would be back by now
    const mortalAfter = await outcome(() => mortalActor.call("inc"));
    return { before, after, lives, mortalBefore, mortalAfter };
  },

  // Failures outside a handler's answer.
  "/crash-causes": async (request, env) => {
    const timerBomb = await env.ACTORS.spawn("TimerBomb");
    const result = {};
    for (const cause of ["timer", "unhandled"]) {
      const steps = [await outcome(() => timerBomb.call("inc")), await outcome(() => timerBomb.call(cause))];
      // Restarted fresh: the count starts over.
      let fresh = null;
      await waitFor(async () => {
        fresh = await outcome(() => timerBomb.call("inc"));
        return fresh.ok && fresh.value === 1;
      }, `TimerBomb to restart after "${cause}"`);
      steps.push(fresh);
      result[cause] = steps;
    }
    result.constructor = await outcome(() => env.ACTORS.get("BadCtor/a").call("hi"));
    result.onStart = await outcome(() => env.ACTORS.get("BadStart/a").call("hi"));
    result.spawnBadCtor = await outcome(() => env.ACTORS.spawn("BadCtor"));
    return result;
  },

  "/plain": async () => ({ plain: true, isolate: ISOLATE }),
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
