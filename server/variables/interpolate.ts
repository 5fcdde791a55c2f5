import { NAME_PATTERN } from "./variable-rules";

/**
 * Alias templates: `{{NAME}}` (spaces inside the braces allowed) is replaced by NAME's value;
 * `\{{` is a literal `{{`; every other character, backslashes included, is literal.
 */
export type TemplatePart = { text: string } | { ref: string };

export function parseTemplate(template: string): { parts: TemplatePart[] } | { error: string } {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < template.length) {
    if (template.startsWith("\\{{", i)) {
      text += "{{";
      i += 3;
    } else if (template.startsWith("{{", i)) {
      const close = template.indexOf("}}", i + 2);
      const inner = close < 0 ? null : template.slice(i + 2, close).trim();
      if (inner === null || !NAME_PATTERN.test(inner)) {
        return { error: `"{{" at character ${i + 1} does not start a reference like {{NAME}} (write \\{{ for a literal "{{")` };
      }
      if (text) parts.push({ text });
      text = "";
      parts.push({ ref: inner });
      i = close + 2;
    } else {
      text += template[i];
      i++;
    }
  }
  if (text) parts.push({ text });
  return { parts };
}

export function referencesOf(template: string): string[] {
  const parsed = parseTemplate(template);
  return "parts" in parsed ? [...new Set(parsed.parts.flatMap((p) => ("ref" in p ? [p.ref] : [])))] : [];
}

/** Whether an imported value is a template: it references something or escapes a `{{`. */
export function looksLikeTemplate(value: string): boolean {
  const parsed = parseTemplate(value);
  if ("error" in parsed) return false;
  return parsed.parts.some((p) => "ref" in p) || value.includes("\\{{");
}

export type ResolvableEntry = { kind: "value" | "secret" | "alias"; value: string };
export type Resolved = { value: string; secret: boolean };

/**
 * Resolves every alias against the other entries and the built-ins. `secret` is true when the value
 * is, or contains, a secret. Unknown references and cycles are reported by name; `missing` decides
 * whether an unknown reference is an error or resolves to "" (build time, before a built-in exists).
 */
export function resolveAll(
  entries: ReadonlyMap<string, ResolvableEntry>,
  builtins: Readonly<Record<string, string>>,
  opts: { unknownBuiltins?: ReadonlySet<string> } = {},
): { values: Map<string, Resolved>; errors: { name: string; message: string }[] } {
  const values = new Map<string, Resolved>();
  const errors: { name: string; message: string }[] = [];
  const failed = new Set<string>();
  const visiting: string[] = [];

  const visit = (name: string): Resolved | null => {
    const done = values.get(name);
    if (done) return done;
    if (failed.has(name)) return null;
    const e = entries.get(name);
    if (!e) {
      if (Object.hasOwn(builtins, name)) return { value: builtins[name], secret: false };
      if (opts.unknownBuiltins?.has(name)) return { value: "", secret: false };
      return null;
    }
    if (e.kind !== "alias") {
      const r = { value: e.value, secret: e.kind === "secret" };
      values.set(name, r);
      return r;
    }
    const at = visiting.indexOf(name);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), name];
      errors.push({ name, message: `alias cycle: ${cycle.join(" → ")}` });
      for (const n of cycle) failed.add(n);
      return null;
    }
    const parsed = parseTemplate(e.value);
    if ("error" in parsed) {
      errors.push({ name, message: `alias ${name}: ${parsed.error}` });
      failed.add(name);
      return null;
    }
    visiting.push(name);
    let out = "";
    let secret = false;
    let ok = true;
    for (const p of parsed.parts) {
      if ("text" in p) {
        out += p.text;
        continue;
      }
      const known = entries.has(p.ref) || Object.hasOwn(builtins, p.ref) || opts.unknownBuiltins?.has(p.ref);
      if (!known) {
        errors.push({ name, message: `alias ${name} refers to {{${p.ref}}}, which is not defined` });
        ok = false;
        continue;
      }
      const r = visit(p.ref);
      if (!r) {
        ok = false;
        continue;
      }
      out += r.value;
      secret ||= r.secret;
    }
    visiting.pop();
    if (!ok || failed.has(name)) {
      failed.add(name);
      return null;
    }
    const r = { value: out, secret };
    values.set(name, r);
    return r;
  };

  for (const name of entries.keys()) visit(name);
  // One message per cycle, however many of its members were visited first.
  const seen = new Set<string>();
  return { values, errors: errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true))) };
}
