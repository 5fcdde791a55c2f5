import "server-only";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { AppError } from "@/server/errors/app-error";
import { manifestSchema, type Manifest } from "./manifest-schema";
import { describeAllowedKeys, type PathSegment } from "./schema-walk";

export type { PathSegment };

/** `services[1].port`, `services[0].env["MY-VAR"]`; the empty path is the manifest itself. */
export function formatManifestPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || "manifest";
}

/** One problem in a manifest: where (path) and what is allowed there. */
export type ManifestProblem = { path: PathSegment[]; message: string };

function problemsOf(error: z.ZodError): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  for (const issue of error.issues) {
    const at = issue.path.filter((p): p is PathSegment => typeof p === "string" || typeof p === "number");
    if (issue.code === "unrecognized_keys") {
      const allowed = describeAllowedKeys(manifestSchema, at);
      for (const key of issue.keys) out.push({ path: [...at, key], message: `unknown key "${key}"${allowed ? `; allowed here: ${allowed}` : ""}` });
    } else if (issue.code === "invalid_key") {
      out.push({ path: at, message: issue.issues[0]?.message ?? issue.message });
    } else if (issue.code === "invalid_type" && at.length === 0) {
      out.push({ path: at, message: "a manifest is a mapping with project, environment, mode and services" + (/received (null|undefined)/.test(issue.message) ? " (the file is empty)" : "") });
    } else if (issue.code === "invalid_type" && at.at(-2) === "env" && issue.expected === "string") {
      out.push({ path: at, message: "variable values are text: put the value in quotes" });
    } else if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
      out.push({ path: at, message: `${formatManifestPath(at.slice(-1))} is required (a ${issue.expected})` });
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
    (fieldErrors[key] ??= []).push(p.message);
    const where = opts.locate?.(p);
    return `${file}${where ? `:${where}` : ""}: ${key}: ${p.message}`;
  });
  return new AppError("BAD_REQUEST", lines.join("\n"), fieldErrors);
}

/** Validates a manifest object (already parsed from YAML or JSON) with the same rules as the UI and the API. */
export function validateManifest(value: unknown, opts: ValidateOptions = {}): Manifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw manifestError(problemsOf(parsed.error), opts);
  if (opts.requireAbsolutePaths) {
    const problems: ManifestProblem[] = [];
    parsed.data.services.forEach((s, i) => {
      if ("path" in s.source && !path.isAbsolute(s.source.path)) {
        problems.push({
          path: ["services", i, "source", "path"],
          message: `"${s.source.path}" is a relative path; a manifest sent to the API needs an absolute path or a git URL (the slipway CLI resolves relative paths against the manifest's folder)`
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
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return `${file}:${pos.line}:${pos.col}: YAML syntax error: ${e.message.split("\n")[0]}`;
    });
    throw new AppError("BAD_REQUEST", lines.join("\n"), { manifest: lines });
  }
  const manifest = validateManifest(doc.toJS(), {
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
