// How a manifest's YAML is read, by the console and the CLI alike (plain JS, so bin/ can import it):
// the YAML 1.2 core schema only, even under a `%YAML 1.1` directive — no `!!binary`, `!!set`, `!!omap`,
// `!!timestamp` (resolveKnownTags: false) and no custom tags, so an unknown tag is a problem (the
// parser's "Unresolved tag" warning) rather than silently read as text; duplicate keys and `<<` merges
// are refused; aliases are bounded (a "billion laughs" document expands to more than
// MANIFEST_MAX_ALIAS_COUNT nodes and is refused before anything walks it).

/** @type {import("yaml").ParseOptions & import("yaml").DocumentOptions & import("yaml").SchemaOptions} */
export const MANIFEST_YAML_OPTIONS = Object.freeze({
  schema: "core",
  version: "1.2",
  resolveKnownTags: false,
  customTags: [],
  merge: false,
  uniqueKeys: true,
  strict: true,
  stringKeys: true,
  prettyErrors: false,
});

export const MANIFEST_MAX_ALIAS_COUNT = 50;
