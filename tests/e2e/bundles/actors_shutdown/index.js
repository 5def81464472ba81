// Routes for tests/e2e/test_actors.py: live actors whose onStop hooks log when the node stops.
const ISOLATE = crypto.randomUUID();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Life {
  constructor(state) {
    this.id = state.id;
  }
  message() {
    return ISOLATE;
  }
  // Asynchronous on purpose: shutdown has to wait for it.
  async onStop() {
    console.log(`onStop begins ${this.id}`);
    await sleep(50);
    console.log(`onStop done ${this.id}`);
  }
}

export default {
  async fetch(request, env) {
    const n = Number(new URL(request.url).searchParams.get("n"));
    const stubs = Array.from({ length: n }, (_, i) => env.ACTORS.get(`Life/l${i}`));
    stubs.push(await env.ACTORS.spawn("Life"));
    const isolates = await Promise.all(stubs.map((stub) => stub.call("hello")));
    return Response.json({ ids: stubs.map((stub) => stub.id), isolates: new Set(isolates).size });
  },
};
