// A stateful counter per name. Each Counter is an actor: requests for the same name reach the same
// instance, one event at a time, wherever they arrive.
//   curl -X POST localhost:8080/count/alice      -> {"name":"alice","count":1}   (through call())
//   curl localhost:8080/actors/Counter/alice     -> {"name":"alice","count":1}   (routed to its fetch)
export class Counter {
  constructor(state, env) {
    this.name = state.id.split("/").pop();
    this.count = 0;
  }
  message(msg) {
    if (msg === "increment") this.count++;
    return { name: this.name, count: this.count };
  }
  fetch(request) {
    if (request.method === "POST") this.count++;
    return Response.json({ name: this.name, count: this.count });
  }
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    const match = /^\/count\/([^/]+)$/.exec(path);
    if (!match) return new Response("try POST /count/NAME or GET /actors/Counter/NAME\n", { status: 404 });
    const counter = env.ACTORS.get(`Counter/${match[1]}`);
    const reply = await counter.call(request.method === "POST" ? "increment" : "read");
    return Response.json(reply);
  },
};
