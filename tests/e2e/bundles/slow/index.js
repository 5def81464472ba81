export default {
  async fetch() {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return new Response("done after 500 ms");
  },
};
