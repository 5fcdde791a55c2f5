import "server-only";
import type { ServiceSpec } from "@/server/services/service-spec";
import type { BuildLogSink } from "./build-log";
import type { RunAs } from "./fetch-identity";

export type ServiceSource = ServiceSpec["source"];

/** A source ready to build: a read-only folder in the cache, its revision, and a line for people. */
export type FetchedSource = { dir: string; revision: string; description: string };

export type FetchRequest = {
  source: ServiceSource;
  /** Relative source paths are resolved against this folder (the manifest's, or the console's cwd). */
  baseDir?: string;
  /** Fetched sources are kept under `<cacheRoot>/path/…` and `<cacheRoot>/git/…`. */
  cacheRoot: string;
  onLog?: BuildLogSink;
  signal?: AbortSignal;
  /** Per git command (ls-remote, fetch); default 5 min. */
  gitTimeoutMs?: number;
  /**
   * The service's own user: sources are read (copy, git) with its rights. Null or absent: the
   * console's own user, where it cannot switch (not root). Never root.
   */
  runAs?: RunAs | null;
};
