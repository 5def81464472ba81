const config = JSON.parse("{}");
config.missing.value = 1;
export default { fetch() { return new Response("never") } };
