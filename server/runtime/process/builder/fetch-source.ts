import "server-only";
import { throwIfCanceled } from "./build-failure";
import { fetchGitSource } from "./fetch-git";
import { fetchPathSource } from "./fetch-path";
import type { FetchedSource, FetchRequest } from "./fetched-source";

export type { FetchedSource, FetchRequest, ServiceSource } from "./fetched-source";

/**
 * Brings a service's source into the cache and says which revision it is: a path source is copied
 * per content fingerprint, a git source checked out per commit. Throws BuildFailure (stage "fetch").
 */
export async function fetchSource(req: FetchRequest): Promise<FetchedSource> {
  throwIfCanceled(req.signal, "fetch");
  const { source } = req;
  return "path" in source ? fetchPathSource(source.path, req) : fetchGitSource(source, req);
}
