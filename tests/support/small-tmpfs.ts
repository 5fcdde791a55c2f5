/**
 * A small tmpfs mounted for a test (root only), and a way to fill it to the last byte and free it again:
 * a real full disk, not a simulated error.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export type SmallTmpfs = { dir: string; fill: () => void; free: () => void; unmount: () => void };

export function mountSmallTmpfs(dir: string, sizeMb: number): SmallTmpfs {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0755`, "tmpfs", dir]);
  const filler = path.join(dir, "filler");
  return {
    dir,
    /** Writes a filler file until the filesystem refuses another byte (1 MiB, then 4 KiB, then 1-byte writes). */
    fill() {
      const fd = fs.openSync(filler, "a");
      try {
        for (const size of [1 << 20, 4096, 1]) {
          const chunk = Buffer.alloc(size, 0x61);
          for (;;) {
            try {
              fs.writeSync(fd, chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
              break;
            }
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      try {
        execFileSync("umount", ["-l", dir]);
      } catch {
        // not mounted
      }
    },
  };
}
