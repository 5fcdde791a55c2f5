import "server-only";
import { runGit, type GitRunAs } from "./git";

export type RemoteRefs = {
  /** Branch name → commit sha. */
  branches: Map<string, string>;
  /** The branch the remote's HEAD points to, when it says. */
  head: string | null;
};

/** Lists a remote's branches and default branch with one `git ls-remote`. */
export async function listRemote(url: string, opts: { as: GitRunAs; timeoutMs?: number; signal?: AbortSignal }): Promise<RemoteRefs> {
  const out = await runGit(["ls-remote", "--symref", "--", url, "HEAD", "refs/heads/*"], opts);
  const branches = new Map<string, string>();
  let head: string | null = null;
  for (const line of out.split("\n")) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref) {
      head = symref[1];
      continue;
    }
    const ref = /^([0-9a-f]{40,64})\trefs\/heads\/(\S+)$/.exec(line);
    if (ref) branches.set(ref[2], ref[1]);
  }
  // A HEAD pointing at a branch that does not exist (a bare repo created before its first push to
  // another name) tells nothing.
  if (head !== null && !branches.has(head)) head = null;
  return { branches, head };
}

/** The branch to use when none is named: the remote's HEAD, else main, master, or the only branch. */
export function defaultBranch(refs: RemoteRefs): string | null {
  if (refs.head) return refs.head;
  for (const name of ["main", "master"]) if (refs.branches.has(name)) return name;
  return refs.branches.size === 1 ? [...refs.branches.keys()][0] : null;
}

/** "main, feature, fix/x (and 12 more)": a few branch names for a hint. */
export function someBranches(refs: RemoteRefs, max = 5): string {
  const names = [...refs.branches.keys()].sort();
  if (names.length === 0) return "none (nothing has been pushed)";
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} (and ${names.length - max} more)` : shown;
}
