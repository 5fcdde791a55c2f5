import "server-only";
import path from "node:path";

const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * What a build command sees: a minimal PATH (the console's node first) and locale, the service's
 * build-time variables, then a HOME and npm cache inside the build folder (the only place it may
 * write) and CI=1 so tools do not wait for a terminal. Nothing else of the console's environment.
 */
export function buildEnvironment(dir: string, buildEnv: Record<string, string>): Record<string, string> {
  const home = path.join(dir, ".home");
  const searchPath = [...new Set([path.dirname(process.execPath), ...SYSTEM_PATH])].join(":");
  return {
    PATH: searchPath,
    LANG: "C.UTF-8",
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    ...buildEnv,
    HOME: home,
    npm_config_cache: path.join(home, ".npm"),
    CI: "1",
  };
}

/** "15 min", "1.5 s", "300 ms": a timeout as people say it. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${ms} ms`;
}
