// Reading a manifest file the way the API wants it: parsed here, relative source paths made absolute
// against the manifest's own folder, and the server's path-named errors mapped back to line:column.
import fs from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { MANIFEST_MAX_ALIAS_COUNT, MANIFEST_YAML_OPTIONS } from "../../server/manifest/manifest-yaml-rules.mjs";
import { CliError } from "./api.mjs";

/** Keys the server refuses in any input; superjson would not even send them. */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const shown = (text, max = 80) => (text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max) + "…")} (${text.length} characters)`);

function yamlMessage(message) {
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  const unresolved = /^Unresolved tag: (.*)$/.exec(first);
  if (unresolved) return `the tag ${shown(unresolved[1].replace(/^tag:yaml\.org,2002:/, "!!"))} is not allowed: a manifest uses plain YAML (text, numbers, true/false, null, lists and mappings) without tags`;
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}

/** `file:line:col: services[0].env["__proto__"]: the key "__proto__" is not allowed …` for each prototype key in the document. */
function prototypeKeyProblems(doc, lineCounter, label) {
  const lines = [];
  const visit = (node, at) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : null;
        if (key !== null && PROTOTYPE_KEYS.has(key)) {
          const { line, col } = lineCounter.linePos(pair.key.range?.[0] ?? 0);
          lines.push(`${label}:${line}:${col}: ${at}[${shown(key)}]: the key ${shown(key)} is not allowed (it names JavaScript's object machinery, not data)`);
        } else if (key !== null) visit(pair.value, /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (at ? `${at}.${key}` : key) : `${at}[${shown(key)}]`);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => visit(item, `${at}[${i}]`));
  };
  visit(doc.contents, "");
  return lines;
}

/** Reads and parses a manifest (`-` is standard input). Syntax errors say file:line:column. */
export function readManifest(file) {
  const label = file === "-" ? "<stdin>" : file;
  let text;
  try {
    text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${label}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...MANIFEST_YAML_OPTIONS, lineCounter });
  // Warnings too: an unresolved tag (`!!js/function`, `!foo`, `!!binary`) is only a warning to the parser.
  const found = [...doc.errors, ...doc.warnings];
  if (found.length) {
    const lines = found.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return `${label}:${pos.line}:${pos.col}: YAML ${e.name === "YAMLWarning" ? "error" : "syntax error"}: ${yamlMessage(e.message)}`;
    });
    throw new CliError(lines.join("\n"));
  }
  const protoKeys = prototypeKeyProblems(doc, lineCounter, label);
  if (protoKeys.length) throw new CliError(protoKeys.join("\n"));
  let value;
  try {
    value = doc.toJS({ maxAliasCount: MANIFEST_MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new CliError(`${label}: YAML error: aliases expand to too many nodes (more than ${MANIFEST_MAX_ALIAS_COUNT} per alias); write the values out or use fewer aliases`);
  }
  const baseDir = file === "-" ? process.cwd() : path.dirname(path.resolve(file));
  return { label, doc, lineCounter, manifest: resolvePaths(value, baseDir) };
}

/** `source.path` is relative to the manifest's folder; the API only accepts absolute paths. Everything else is sent as written. */
function resolvePaths(value, baseDir) {
  if (!value || typeof value !== "object" || !Array.isArray(value.services)) return value;
  return {
    ...value,
    services: value.services.map((s) => {
      const source = s && typeof s === "object" ? s.source : null;
      if (!source || typeof source !== "object" || typeof source.path !== "string" || source.path === "" || path.isAbsolute(source.path)) return s;
      return { ...s, source: { ...source, path: path.resolve(baseDir, source.path) } };
    }),
  };
}

/** `services[1].env["MY-VAR"]` → ["services", 1, "env", "MY-VAR"]; "manifest" is the root. */
export function parsePath(key) {
  if (key === "manifest") return [];
  const out = [];
  const re = /(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let m;
  while (re.lastIndex < key.length && (m = re.exec(key))) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(m[3])));
  return re.lastIndex === key.length ? out : null;
}

/** line:column of the path's key in the file, or of the deepest node on the path that exists. */
export function positionOf({ doc, lineCounter }, segments) {
  let node = doc.contents;
  let keyStart = null;
  let found = 0;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value === seg : p.key === seg));
      if (!pair) break;
      keyStart = isScalar(pair.key) && pair.key.range ? pair.key.range[0] : null;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
      keyStart = null;
      node = node.items[seg];
    } else break;
    found++;
  }
  // A problem with a key's value, or with the key itself (unknown key): point at the key's line.
  const offset = found === segments.length && keyStart !== null ? keyStart : node && node.range ? node.range[0] : keyStart;
  if (offset === null) return null;
  const { line, col } = lineCounter.linePos(offset);
  return `${line}:${col}`;
}

/** The server's problems, one per line: `slipway.yaml:7:11: services[1].port: port must be from 1 to 65535`. */
export function describeManifestErrors(file, fieldErrors) {
  const lines = [];
  for (const [key, messages] of Object.entries(fieldErrors)) {
    const segments = parsePath(key);
    const where = segments ? positionOf(file, segments) : null;
    for (const message of messages) lines.push(`${file.label}${where ? `:${where}` : ""}: ${key}: ${message}`);
  }
  return lines.join("\n");
}
