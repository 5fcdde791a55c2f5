import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { DetectedCommands } from "./detect-commands";

/** Written into a build folder only once the build succeeded; its presence means "ready to run". */
export const BUILD_RECORD_FILE = ".slipway-build.json";

export type BuildRecord = {
  buildId: string;
  serviceId: string;
  revision: string;
  description: string;
  commands: DetectedCommands;
  /** Names of the build-time variables (never their values). */
  buildEnvNames: string[];
  createdAt: string;
  durationMs: number;
};

export function buildDirOf(buildsRoot: string, serviceId: string, buildId: string): string {
  return path.join(buildsRoot, serviceId, buildId);
}

/** The record of a finished build, or null when there is none (never built, failed, or pruned). */
export function readBuildRecord(buildsRoot: string, serviceId: string, buildId: string): BuildRecord | null {
  try {
    // O_NOFOLLOW: the folder belongs to the service's user; a symlink planted there is not our record.
    const fd = fs.openSync(path.join(buildDirOf(buildsRoot, serviceId, buildId), BUILD_RECORD_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    let raw: string;
    try {
      raw = fs.readFileSync(fd, "utf8");
    } finally {
      fs.closeSync(fd);
    }
    const record = JSON.parse(raw) as BuildRecord;
    return record.buildId === buildId && typeof record.commands?.start === "string" ? record : null;
  } catch {
    return null;
  }
}

/**
 * Writes the record as the console user into a folder the service's user owns: whatever the build left
 * at that name (a symlink to a system file, say) is removed first, and the file is created
 * exclusively, so the write can never land outside the folder.
 */
export function writeBuildRecord(dir: string, record: BuildRecord): void {
  const file = path.join(dir, BUILD_RECORD_FILE);
  fs.rmSync(file, { recursive: true, force: true });
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { flag: "wx", mode: 0o644 });
}

/** Marks a build as just used (rollback, redeploy), so pruning counts it as recent. */
export function touchBuildRecord(dir: string): void {
  const now = new Date();
  try {
    fs.lutimesSync(path.join(dir, BUILD_RECORD_FILE), now, now);
  } catch {
    // pruned meanwhile: the caller will notice when it starts the build
  }
}
