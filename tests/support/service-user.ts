/**
 * Service users for runtime tests that run without a database: uids from the upper half of the
 * configured range (the engine allocates from its start), distinct within a test file. As root only:
 * elsewhere the console cannot switch users and runs code as itself (runAs null).
 */
import crypto from "node:crypto";
import { serviceUidRange } from "@/server/config/service-uids";
import type { RunAs } from "@/server/runtime/process/sandbox";

const IS_ROOT = process.getuid?.() === 0;
const range = serviceUidRange();
const half = Math.floor((range.last - range.first + 1) / 2);
let next = range.first + half + crypto.randomInt(Math.max(1, half - 1000));

export function testRunAs(): RunAs | null {
  if (!IS_ROOT) return null;
  const uid = next++;
  return { uid, gid: uid };
}
