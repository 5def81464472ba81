// Answers what the handler saw of the request: its URL, whether it has a body, and the body's text.
export default {
  async fetch(request) {
    const body = request.body === null ? null : typeof request.body.getReader === "function" ? "stream" : "other";
    return Response.json({ url: request.url, body, text: body === null ? null : await request.text() });
  },
};
