export default {
  async fetch(request) {
    const value = request.headers.get("x-value") ?? "";
    return new Response(String(value.charCodeAt(value.length - 1)), { headers: { "x-echo": value } });
  },
};
