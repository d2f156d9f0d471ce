// Reads [{"pattern": p, "inputs": [s, ...]}, ...] from standard input and
// writes, for each, the list of new RegExp(p, "u").test(s).
let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => (text += c));
process.stdin.on("end", () => {
  const out = JSON.parse(text).map(({ pattern, inputs }) => {
    const re = new RegExp(pattern, "u");
    return inputs.map((s) => re.test(s));
  });
  process.stdout.write(JSON.stringify(out));
});
