// Reading a manifest file the way the API wants it: parsed here, relative source paths made absolute
// against the manifest's own folder, and the server's path-named errors mapped back to line:column.
import fs from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { CliError } from "./api.mjs";

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
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return `${label}:${pos.line}:${pos.col}: YAML syntax error: ${e.message.split("\n")[0]}`;
    });
    throw new CliError(lines.join("\n"));
  }
  const baseDir = file === "-" ? process.cwd() : path.dirname(path.resolve(file));
  return { label, doc, lineCounter, manifest: resolvePaths(doc.toJS(), baseDir) };
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
