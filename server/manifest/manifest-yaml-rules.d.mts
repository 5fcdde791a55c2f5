import type { DocumentOptions, ParseOptions, SchemaOptions } from "yaml";

export declare const MANIFEST_YAML_OPTIONS: Readonly<ParseOptions & DocumentOptions & SchemaOptions>;
export declare const MANIFEST_MAX_ALIAS_COUNT: number;
