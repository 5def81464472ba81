// Errors escaping the handler: a synchronous throw, an async throw, a rejected promise, a thrown
// non-Error, a handler answering something that is not a Response. Both runtimes answer 500; the
// bodies are each runtime's own (mar's names an incident id), so the driver compares the status only.
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/ok") return new Response("fine\n");
    if (path === "/throw") throw new Error("thrown on purpose");
    if (path === "/throw-after-await") {
      await request.text();
      throw new TypeError("thrown after await");
    }
    if (path === "/reject") return Promise.reject(new RangeError("rejected on purpose"));
    if (path === "/throw-string") throw "a string, not an Error";
    if (path === "/not-a-response") return "just a string";
    if (path === "/undefined") return undefined;
    if (path === "/bad-json-body") return Response.json(await request.json());
    return new Response("not found\n", { status: 404 });
  },
};
