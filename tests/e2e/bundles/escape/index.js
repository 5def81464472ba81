import "../hostile/index.js";
export default { fetch() { return new Response("x") } };
