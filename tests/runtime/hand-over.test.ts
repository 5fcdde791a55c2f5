/**
 * handOver gives a build or instance folder to its service's user (as root), mode 0700, with async fs calls instead of
 * `chown -R` in a child process (which forked the console and held its event loop). Symbolic links are
 * changed themselves and never followed: a repository can contain links to anywhere.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handOver } from "@/server/runtime/process/sandbox";
import { IS_ROOT } from "../support/runtime-apps";
import { testRunAs } from "../support/service-user";

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

  it("gives every entry to the service's user, closes the folder to others, and leaves what links point to alone", async () => {
    const user = testRunAs();
    expect(user).not.toBeNull();
    if (user === null) return;
    await handOver(tree, user);
    expect(fs.statSync(tree).mode & 0o777).toBe(0o700);

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

describe.skipIf(!IS_ROOT)("handOver without a service user (as root)", () => {
  it("refuses rather than leave the folder to root's code", async () => {
    await expect(handOver(os.tmpdir(), null)).rejects.toThrow(/refusing to run a service's code as root/);
  });
});
