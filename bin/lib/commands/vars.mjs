import fs from "node:fs";
import { CliError, fieldErrorsOf } from "../api.mjs";
import { table } from "../format.mjs";
import { connect } from "../session.mjs";
import { resolveScope } from "../scope.mjs";

export const usage = `Usage: slipway vars <list|set|unset|import|export> <scope> …

<scope> is <project>, <project>/<environment> or <project>/<environment>/<service>
(the narrowest scope wins when a service is deployed).

  slipway vars list   <scope> [--json]
  slipway vars set    <scope> NAME=VALUE [--secret | --alias] [--build-time | --build-only] [--file]
  slipway vars set    <scope> NAME --stdin [--secret] …      (the value from standard input, as is)
  slipway vars unset  <scope> NAME
  slipway vars import <scope> <file> [--replace] [--overwrite-secret NAME]… [--dry-run]
  slipway vars export <scope>

Options:
  --secret            store encrypted; nobody can read it back (shown as ••••••)
  --alias             the value refers to others as {{NAME}} (write \\{{ for a literal {{)
  --build-time        available while building too (default: only at run time)
  --build-only        available only while building
  --file              write the value to a file in the instance's folder; the variable holds its path
  --stdin             read the value from standard input (keeps secrets out of shell history)
  --replace           import: also remove variables of the scope the file does not have (never secrets)
  --overwrite-secret  import: overwrite this existing secret (repeatable); others are skipped
  --dry-run           import: show the plan, change nothing
  --json              list: print JSON
  -h, --help          show this help

.env files: NAME=value, optional "export ", 'single quotes' literal, "double quotes" with \\n \\" \\\\
(may span lines), # comments. An imported value containing {{NAME}} becomes an alias.`;

export const options = {
  secret: { type: "boolean" },
  alias: { type: "boolean" },
  "build-time": { type: "boolean" },
  "build-only": { type: "boolean" },
  file: { type: "boolean" },
  stdin: { type: "boolean" },
  replace: { type: "boolean" },
  "overwrite-secret": { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
};

const usageError = (message) => new CliError(`${message}\n\n${usage}`, 2);

function readStdin() {
  return fs.readFileSync(0, "utf8");
}

/** Field errors ("name: …", "value: …") read better than the bare message. */
async function withFieldErrors(call) {
  try {
    return await call;
  } catch (err) {
    const fields = fieldErrorsOf(err);
    if (fields) throw new CliError(Object.entries(fields).flatMap(([k, v]) => v.map((m) => `${k}: ${m}`)).join("\n"));
    throw err;
  }
}

async function list(api, target, values) {
  const items = await api.variable.list.query({ scope: target.scope });
  if (values.json) {
    console.log(JSON.stringify(items, null, 2));
    return 0;
  }
  if (items.length === 0) {
    console.log(`${target.label} has no variables`);
    return 0;
  }
  const show = (v) => (v.kind === "secret" ? v.mask : JSON.stringify(v.value).slice(1, -1));
  const flags = (v) => [v.availability === "runtime" ? null : v.availability === "both" ? "build+run" : "build only", v.asFile ? "file" : null, v.fromSpec ? "spec" : null].filter(Boolean).join(",") || "-";
  console.log(table(["NAME", "KIND", "VALUE", "FLAGS", "UPDATED BY"], items.map((v) => [v.name, v.kind, show(v), flags(v), v.updatedBy ?? "-"])));
  return 0;
}

async function set(api, target, values, rest) {
  if (rest.length !== 1) throw usageError("expected NAME=VALUE (or NAME with --stdin)");
  const arg = rest[0];
  const eq = arg.indexOf("=");
  let name;
  let value;
  if (values.stdin) {
    if (eq >= 0) throw usageError("with --stdin give only NAME");
    name = arg;
    value = readStdin();
  } else {
    if (eq < 0) throw usageError(`expected NAME=VALUE, got "${arg.length > 40 ? `${arg.slice(0, 40)}…` : arg}"`);
    name = arg.slice(0, eq);
    value = arg.slice(eq + 1);
  }
  if (values.secret && values.alias) throw usageError("--secret and --alias do not go together");
  if (values["build-time"] && values["build-only"]) throw usageError("--build-time and --build-only do not go together");
  const kind = values.secret ? "secret" : values.alias ? "alias" : "value";
  const availability = values["build-only"] ? "build" : values["build-time"] ? "both" : "runtime";
  const item = await withFieldErrors(api.variable.set.mutate({ scope: target.scope, name, kind, value, availability, asFile: Boolean(values.file) }));
  console.log(`set ${item.name} (${item.kind}${availability === "runtime" ? "" : `, ${availability === "both" ? "build and run time" : "build time only"}`}${item.asFile ? ", as a file" : ""}) at ${target.label}`);
  return 0;
}

async function unset(api, target, rest) {
  if (rest.length !== 1) throw usageError("expected NAME");
  await withFieldErrors(api.variable.unset.mutate({ scope: target.scope, name: rest[0] }));
  console.log(`unset ${rest[0]} at ${target.label}`);
  return 0;
}

function printPlan(plan) {
  const line = (label, names) => names.length && console.log(`${label} (${names.length}): ${names.join(", ")}`);
  line("create", plan.create);
  line("update", plan.update);
  line("unchanged", plan.unchanged);
  line("remove", plan.remove);
  for (const s of plan.skip) console.log(`skip ${s.name}: ${s.reason}`);
}

async function importFile(api, target, values, rest) {
  if (rest.length !== 1) throw usageError("expected the .env file to import");
  let text;
  try {
    text = rest[0] === "-" ? readStdin() : fs.readFileSync(rest[0], "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${rest[0]}: ${err.code ?? err.message}`);
  }
  const input = { scope: target.scope, text, mode: values.replace ? "replace" : "merge", overwriteSecrets: values["overwrite-secret"] ?? [] };
  const plan = await api.variable.importPlan.query(input);
  if (plan.errors.length) {
    throw new CliError(`${rest[0]}: nothing imported; fix ${plan.errors.length === 1 ? "this line" : "these lines"} first:\n${plan.errors.map((e) => (e.line ? `  line ${e.line}: ${e.message}` : `  ${e.message}`)).join("\n")}`);
  }
  printPlan(plan);
  if (values["dry-run"]) {
    console.log("dry run: nothing changed");
    return 0;
  }
  const done = await api.variable.import.mutate(input);
  console.log(`imported into ${target.label}: ${done.create.length} created, ${done.update.length} updated, ${done.remove.length} removed, ${done.skip.length} skipped`);
  return 0;
}

export async function run({ values, positionals }) {
  const [sub, scopeText, ...rest] = positionals;
  const subs = ["list", "set", "unset", "import", "export"];
  if (!subs.includes(sub)) throw usageError(sub ? `unknown vars command "${sub}"` : "expected a vars command");
  if (!scopeText) throw usageError("expected a <scope>");
  const { config, api } = connect();
  const target = await resolveScope(api, config, scopeText, usage);
  switch (sub) {
    case "list":
      return list(api, target, values);
    case "set":
      return set(api, target, values, rest);
    case "unset":
      return unset(api, target, rest);
    case "import":
      return importFile(api, target, values, rest);
    case "export": {
      if (rest.length) throw usageError("export takes only a <scope>");
      process.stdout.write((await api.variable.export.query({ scope: target.scope })).text);
      return 0;
    }
  }
  return 2;
}
