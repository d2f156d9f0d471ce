// Decides bodies with ajv (JSON Schema 2020-12, ajv-formats for date-time)
// against the request body schemas of an OpenAPI 3.1 document.
//
// Usage: node ajv_validate.mjs NODE_MODULES < input.json
// input: {"document": <OpenAPI>, "cases": [{"path": "/x", "body": "<JSON text>"}, ...]}
// output: [{"valid": bool, "errors": [...]}, ...], one per case.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.argv[2], "noop.js"));
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats");

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => (text += c));
process.stdin.on("end", () => {
  const { document, cases } = JSON.parse(text);
  // The components become $defs of one schema resource, so that the
  // document's #/components/schemas/X references resolve as #/$defs/X.
  const rewrite = (v) => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === "object") {
      const o = {};
      for (const [k, x] of Object.entries(v)) {
        o[k] = k === "$ref" && typeof x === "string" ? x.replace("#/components/schemas/", "#/$defs/") : rewrite(x);
      }
      return o;
    }
    return v;
  };
  const defs = rewrite(document.components.schemas);
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const validators = {};
  const validator = (p) => {
    if (!validators[p]) {
      const body = document.paths[p].post.requestBody.content["application/json"].schema;
      validators[p] = ajv.compile({ $id: "urn:jwtauth:" + p, $defs: defs, ...rewrite(body) });
    }
    return validators[p];
  };
  const out = cases.map(({ path: p, body }) => {
    const v = validator(p);
    const valid = v(JSON.parse(body));
    return { valid, errors: valid ? [] : v.errors.map((e) => `${e.instancePath} ${e.message}`) };
  });
  process.stdout.write(JSON.stringify(out));
});
