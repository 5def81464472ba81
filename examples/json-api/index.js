// A small JSON API: quotes an order (validation, totals, an id), with JSON errors for every
// failure. Stateless, so every shard answers alike (state shared between requests belongs in an
// actor). Try:
//   curl -s localhost:8080/health
//   curl -s -X POST localhost:8080/quotes -H 'content-type: application/json' \
//        -d '{"currency":"EUR","items":[{"sku":"tea","quantity":2,"unitPrice":3.5}]}'
const kMaxBodyBytes = 16 * 1024;
const kTaxRate = { EUR: 0.2, USD: 0.0725, BRL: 0.17 };

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function readJson(request) {
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
    throw new HttpError(415, "send the body as application/json");
  }
  const bytes = await request.bytes();
  if (bytes.byteLength > kMaxBodyBytes) throw new HttpError(413, `the body is over ${kMaxBodyBytes} bytes`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, "the body is not valid JSON");
  }
}

function quote(order) {
  if (order === null || typeof order !== "object") throw new HttpError(422, "the order must be an object");
  const rate = kTaxRate[order.currency];
  if (rate === undefined) throw new HttpError(422, `"currency" must be one of ${Object.keys(kTaxRate).join(", ")}`);
  if (!Array.isArray(order.items) || order.items.length === 0 || order.items.length > 100) {
    throw new HttpError(422, '"items" must be a list of 1 to 100 items');
  }
  const lines = order.items.map((item, index) => {
    const { sku, quantity, unitPrice } = item ?? {};
    if (typeof sku !== "string" || sku === "") throw new HttpError(422, `items[${index}].sku must be a non-empty string`);
    if (!Number.isInteger(quantity) || quantity < 1) throw new HttpError(422, `items[${index}].quantity must be a positive integer`);
    if (typeof unitPrice !== "number" || !(unitPrice >= 0)) throw new HttpError(422, `items[${index}].unitPrice must be a number ≥ 0`);
    return { sku, quantity, unitPrice, amount: Math.round(quantity * unitPrice * 100) / 100 };
  });
  const subtotal = Math.round(lines.reduce((sum, line) => sum + line.amount * 100, 0)) / 100;
  const tax = Math.round(subtotal * rate * 100) / 100;
  return { id: crypto.randomUUID(), currency: order.currency, lines, subtotal, tax, total: Math.round((subtotal + tax) * 100) / 100 };
}

async function route(request) {
  const { pathname } = new URL(request.url);
  if (pathname === "/health") {
    if (request.method !== "GET") throw new HttpError(405, "use GET");
    return Response.json({ ok: true });
  }
  if (pathname === "/quotes") {
    if (request.method !== "POST") throw new HttpError(405, "use POST");
    return Response.json(quote(await readJson(request)), { status: 201 });
  }
  throw new HttpError(404, `no route for ${pathname}`);
}

export default {
  async fetch(request) {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof HttpError) return Response.json({ error: error.message }, { status: error.status });
      throw error;  // a bug: mar answers 500 with an incident id and logs the stack
    }
  },
};
