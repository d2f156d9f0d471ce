// Validates OpenAPI documents with @seriousme/openapi-schema-validator, which
// checks them against the official OpenAPI 3.1 JSON Schema (and the JSON
// Schema 2020-12 meta-schema for the schemas inside).
//
// Usage: node openapi_validate.mjs NODE_MODULES < documents.json
// input: [<document>, ...]; output: [{"valid": bool, "version": "3.1", "errors": ...}, ...]
import path from "node:path";
import { pathToFileURL } from "node:url";

const entry = path.join(process.argv[2], "@seriousme", "openapi-schema-validator", "index.js");
const { Validator } = await import(pathToFileURL(entry).href);

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;
const out = [];
for (const doc of JSON.parse(text)) {
  const validator = new Validator();
  const res = await validator.validate(doc);
  out.push({ valid: res.valid, version: validator.version ?? "", errors: res.errors ?? null });
}
process.stdout.write(JSON.stringify(out));
