import "server-only";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import { MANIFEST_MAX_ALIAS_COUNT, MANIFEST_YAML_OPTIONS } from "./manifest-yaml-rules.mjs";
import type { z } from "zod";
import { addFieldError, AppError } from "@/server/errors/app-error";
import { manifestSchema, type Manifest } from "./manifest-schema";
import { describeAllowedKeys, type PathSegment } from "./schema-walk";
import { ECHO_MAX, echoInput } from "@/server/validation/echo-input";
import { describeValue } from "@/server/validation/type-names";
import { findInputProblems, PROTOTYPE_KEYS } from "@/server/validation/text-input";

export type { PathSegment };

/** `services[1].port`, `services[0].env["MY-VAR"]`; the empty path is the manifest itself. */
export function formatManifestPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    // A prototype key is always quoted: it must never be a field name on its own (addFieldError).
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg) && !PROTOTYPE_KEYS.has(seg) && seg.length <= ECHO_MAX) out += out ? `.${seg}` : seg;
    else out += `[${echoInput(seg)}]`;
  }
  return out || "manifest";
}

/** One problem in a manifest: where (path) and what is allowed there. */
export type ManifestProblem = { path: PathSegment[]; message: string };

function problemsOf(error: z.ZodError, value: unknown): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  for (const issue of error.issues) {
    const at = issue.path.filter((p): p is PathSegment => typeof p === "string" || typeof p === "number");
    if (issue.code === "unrecognized_keys") {
      const allowed = describeAllowedKeys(manifestSchema, at);
      for (const key of issue.keys) out.push({ path: [...at, key], message: `unknown key ${echoInput(key)}${allowed ? `; allowed here: ${allowed}` : ""}` });
    } else if (issue.code === "invalid_key") {
      out.push({ path: at, message: issue.issues[0]?.message ?? issue.message });
    } else if (issue.code === "invalid_type" && at.length === 0) {
      out.push({ path: at, message: "a manifest is a mapping with project, environment, mode and services" + (value == null ? " (the file is empty)" : `, not ${describeValue(value)}`) });
    } else if (issue.code === "invalid_type" && at.at(-2) === "env" && issue.expected === "string") {
      out.push({ path: at, message: `${issue.message}: variable values are text, put the value in quotes` });
    } else out.push({ path: at, message: issue.message });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

export type ValidateOptions = {
  /** Names the manifest in every message, e.g. "slipway.yaml". */
  file?: string;
  /**
   * The API cannot know which folder a relative `source.path` was written against: there, a path
   * must be absolute (the CLI resolves relative paths against the manifest's folder before sending).
   */
  requireAbsolutePaths?: boolean;
  /** Maps a problem to "line:column" in the source text (parseManifest). */
  locate?: (p: ManifestProblem) => string | null;
};

function manifestError(problems: ManifestProblem[], opts: ValidateOptions): AppError {
  const file = opts.file ?? "manifest";
  const fieldErrors: Record<string, string[]> = {};
  const lines = problems.map((p) => {
    const key = formatManifestPath(p.path);
    addFieldError(fieldErrors, key, p.message);
    const where = opts.locate?.(p);
    return `${file}${where ? `:${where}` : ""}: ${key}: ${p.message}`;
  });
  return new AppError("BAD_REQUEST", lines.join("\n"), fieldErrors);
}

/** Validates a manifest object (already parsed from YAML or JSON) with the same rules as the UI and the API. */
export function validateManifest(value: unknown, opts: ValidateOptions = {}): Manifest {
  // The rules every input obeys (no NUL, lone surrogate or prototype key), with the manifest's own paths.
  const unstorable = findInputProblems(value);
  if (unstorable.length) throw manifestError(unstorable, opts);
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw manifestError(problemsOf(parsed.error, value), opts);
  if (opts.requireAbsolutePaths) {
    const problems: ManifestProblem[] = [];
    parsed.data.services.forEach((s, i) => {
      if ("path" in s.source && !path.isAbsolute(s.source.path)) {
        problems.push({
          path: ["services", i, "source", "path"],
          message: `${echoInput(s.source.path)} is a relative path; a manifest sent to the API needs an absolute path or a git URL (the slipway CLI resolves relative paths against the manifest's folder)`
        });
      }
    });
    if (problems.length) throw manifestError(problems, opts);
  }
  return parsed.data;
}

export type ParseOptions = {
  file?: string;
  /** Resolve relative `source.path` values against this folder (the manifest's own), as the CLI does. */
  baseDir?: string;
};


/** YAML text → validated manifest. Syntax errors and validation errors both say file:line:column. */
export function parseManifest(text: string, opts: ParseOptions = {}): Manifest {
  const file = opts.file ?? "manifest";
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...MANIFEST_YAML_OPTIONS, lineCounter });
  // Warnings too: an unresolved tag (`!!js/function`, `!foo`, `!!binary`) is only a warning to the parser.
  const found = [...doc.errors, ...doc.warnings];
  if (found.length) {
    const lines = found.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return `${file}:${pos.line}:${pos.col}: YAML ${e.name === "YAMLWarning" ? "error" : "syntax error"}: ${yamlMessage(e.message)}`;
    });
    throw new AppError("BAD_REQUEST", lines.join("\n"), { manifest: lines });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MANIFEST_MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const line = `${file}: YAML error: aliases expand to too many nodes (more than ${MANIFEST_MAX_ALIAS_COUNT} per alias); write the values out or use fewer aliases`;
    throw new AppError("BAD_REQUEST", line, { manifest: [line] });
  }
  const manifest = validateManifest(value, {
    file,
    locate: (p) => {
      const offset = locate(doc, p);
      if (offset === null) return null;
      const { line, col } = lineCounter.linePos(offset);
      return `${line}:${col}`;
    },
  });
  if (!opts.baseDir) return manifest;
  const baseDir = opts.baseDir;
  return {
    ...manifest,
    services: manifest.services.map((s) => ("path" in s.source ? { ...s, source: { path: path.resolve(baseDir, s.source.path) } } : s)),
  };
}

/** The parser's first line, without its position (we add file:line:column) and with what it echoes cut short. */
function yamlMessage(message: string): string {
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  const unresolved = /^Unresolved tag: (.*)$/.exec(first);
  if (unresolved) return `the tag ${echoInput(unresolved[1].replace(/^tag:yaml\.org,2002:/, "!!"))} is not allowed: a manifest uses plain YAML (text, numbers, true/false, null, lists and mappings) without tags`;
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}

/** Offset of the YAML key a problem is about, or of the deepest node on its path that exists. */
function locate(doc: Document, problem: ManifestProblem): number | null {
  let node: unknown = doc.contents;
  let keyStart: number | null = null;
  let found = 0;
  for (const seg of problem.path) {
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
  if (found === problem.path.length && keyStart !== null) return keyStart;
  if ((isMap(node) || isSeq(node) || isScalar(node)) && node.range) return node.range[0];
  return keyStart;
}
