/**
 * The work tree's modes: shared parents traversable, not listable (0711); each service's folders its
 * own (0700, its user as root); what an older layout left world-readable is closed or removed.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { prepareWorkTree, serviceFolder, workTree } from "@/server/runtime/process/work-tree";
import { SCRATCH_BASE } from "../support/runtime-apps";
import { testRunAs } from "../support/service-user";

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(SCRATCH_BASE, "slipway-work-tree-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => fs.statSync(p).mode & 0o777;

it("makes the shared parents 0711 and a service's folder its own, 0700", () => {
  const tree = workTree(path.join(root, "fresh"));
  prepareWorkTree(tree);
  for (const dir of [tree.root, path.join(tree.root, "sources"), tree.builds, tree.instances]) expect({ dir, mode: mode(dir) }).toEqual({ dir, mode: 0o711 });
  const runAs = testRunAs();
  const mine = tree.instanceDir("web-1");
  serviceFolder(mine, runAs);
  expect(mode(mine)).toBe(0o700);
  if (runAs) expect(fs.statSync(mine).uid).toBe(runAs.uid);
});

it("removes the shared source cache of an older layout and closes its 0755 build folders", () => {
  const tree = workTree(path.join(root, "legacy"));
  const legacyCache = path.join(tree.root, "sources", "path", "abc123");
  const oldBuild = path.join(tree.builds, "0b7c2f7e-service", "build1");
  for (const dir of [legacyCache, oldBuild]) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(legacyCache, "app.js"), "someone's source");
  fs.chmodSync(path.dirname(oldBuild), 0o755);
  prepareWorkTree(tree);
  expect(fs.existsSync(path.join(tree.root, "sources", "path"))).toBe(false);
  expect(mode(path.dirname(oldBuild))).toBe(0o700);
  expect(fs.existsSync(oldBuild)).toBe(true);
});
