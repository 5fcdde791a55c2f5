/**
 * handOver gives a build or instance folder to the app user (as root) with async fs calls instead of
 * `chown -R` in a child process (which forked the console and held its event loop). Symbolic links are
 * changed themselves and never followed: a repository can contain links to anywhere.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handOver, sandboxCapabilities } from "@/server/runtime/process/sandbox";
import { IS_ROOT } from "../support/runtime-apps";

describe.skipIf(!IS_ROOT)("handOver (as root)", () => {
  let root: string;
  let tree: string;
  let outsideFile: string;
  let outsideDir: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-hand-over-"));
    tree = path.join(root, "tree");
    outsideDir = path.join(root, "outside");
    outsideFile = path.join(outsideDir, "secret");
    fs.mkdirSync(outsideDir);
    fs.writeFileSync(outsideFile, "root's");
    // A tree wider than one batch of 64, two levels deep, with links pointing out of it.
    fs.mkdirSync(path.join(tree, "src", "deep"), { recursive: true });
    for (let i = 0; i < 150; i++) fs.writeFileSync(path.join(tree, "src", `f${i}.js`), "x");
    fs.writeFileSync(path.join(tree, "src", "deep", "leaf.txt"), "leaf");
    fs.symlinkSync(outsideFile, path.join(tree, "link-to-file"));
    fs.symlinkSync(outsideDir, path.join(tree, "link-to-dir"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("gives every entry to the app user and leaves what links point to alone", async () => {
    const user = sandboxCapabilities().user;
    expect(user).not.toBeNull();
    if (user === null) return;
    await handOver(tree);

    const owned = (file: string) => {
      const st = fs.lstatSync(file);
      return st.uid === user.uid && st.gid === user.gid;
    };
    expect(owned(tree)).toBe(true);
    expect(owned(path.join(tree, "src"))).toBe(true);
    expect(owned(path.join(tree, "src", "deep", "leaf.txt"))).toBe(true);
    for (let i = 0; i < 150; i++) expect(owned(path.join(tree, "src", `f${i}.js`))).toBe(true);
    expect(owned(path.join(tree, "link-to-file"))).toBe(true);
    expect(owned(path.join(tree, "link-to-dir"))).toBe(true);

    expect(fs.statSync(outsideFile).uid).toBe(0);
    expect(fs.statSync(outsideDir).uid).toBe(0);
  });
});
