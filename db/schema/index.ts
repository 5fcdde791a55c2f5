export * from "./enums";
export * from "./users";
export * from "./organizations";
export * from "./projects";
export * from "./deployments";
export * from "./audit-events";
export * from "./api-tokens";
export * from "./runtime";
