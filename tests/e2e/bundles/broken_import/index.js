import { helper } from "./missing.js";
export default { fetch() { return new Response(helper()) } };
