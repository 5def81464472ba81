// Dev-only: rough speed of the JS-heavy built-ins (printed, not asserted beyond sanity).
export const tests = {
  "atob/btoa on 8 MiB": () => {
    const size = 8 * 1024 * 1024;
    const codes = new Uint8Array(size);
    for (let i = 0; i < size; i++) codes[i] = (i * 31) & 0xff;
    let binary = "";
    for (let i = 0; i < size; i += 8192) binary += String.fromCharCode.apply(null, codes.subarray(i, i + 8192));
    const ascii = btoa(binary);
    for (let round = 0; round < 3; round++) {
      let t = performance.now();
      const encoded = btoa(binary);
      const encodeMs = performance.now() - t;
      t = performance.now();
      const decoded = atob(encoded);
      const decodeMs = performance.now() - t;
      t = performance.now();
      atob(btoa(ascii));
      const asciiMs = performance.now() - t;
      if (decoded !== binary) throw new Error("round trip failed");
      console.log(`btoa ${encodeMs.toFixed(1)} ms, atob ${decodeMs.toFixed(1)} ms for 8 MiB; ascii round trip of 11 MiB ${asciiMs.toFixed(1)} ms`);
      if (encodeMs > 2000 || decodeMs > 2000) throw new Error("too slow");
    }
  },
  "console.log of a large object": () => {
    const data = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ["a", "b"], nested: { x: i } }));
    const t = performance.now();
    for (let i = 0; i < 100; i++) console.log(data);
    console.log(`100 x console.log(2000-item array): ${(performance.now() - t).toFixed(1)} ms`);
  },
};
