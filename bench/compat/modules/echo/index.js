// The JSON echo of the benches (bench/peers/*/echo.js): POST /echo with a JSON body, answered with
// Response.json of the parsed object.
export default {
  async fetch(request) {
    const o = await request.json();
    return Response.json(o);
  },
};
