import "server-only";
import path from "node:path";

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCP_LIKE = /^[\w.-]+@[\w.-]+:/;

/** A URL as given; anything else is a local path to a repository, resolved against `baseDir`. */
export function resolveGitUrl(git: string, baseDir: string): string {
  const url = git.trim();
  if (URL_LIKE.test(url) || SCP_LIKE.test(url)) return url;
  return path.resolve(baseDir, url);
}

/** The URL without credentials (`https://***@host/…`), for logs and messages. */
export function displayGitUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1***@");
}

/** Replaces the credential-bearing URL wherever git repeated it in a message. */
export function redactGitText(text: string, url: string): string {
  const shown = displayGitUrl(url);
  return shown === url ? text : text.split(url).join(shown);
}
