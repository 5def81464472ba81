// Entry point esbuild bundles into the built-in URL implementation (WHATWG URL Standard).
export { URL, URLSearchParams } from "whatwg-url";
