/**
 * `slipway vars …` and `slipway secrets rotate-key` as a person runs them: the CLI as a child
 * process against the real appRouter over HTTP, logged in with an API token (SLIPWAY_URL/TOKEN).
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { variables } from "@/db/schema";
import { createTestDb } from "../support/test-db";
import { addMember, makeOrg, makeUser } from "../support/actors";
import { makeEnvironment, makeProject, makeService, makeToken } from "../support/fixtures";
import { startApiServer } from "../support/api-server";

process.env.SLIPWAY_MASTER_KEY = crypto.randomBytes(32).toString("hex");

const BIN = path.resolve(import.meta.dirname, "..", "..", "bin", "slipway.mjs");
let h: DbHandle;
let server: Awaited<ReturnType<typeof startApiServer>>;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createTestDb();
  server = await startApiServer(h.db);
  const owner = await makeUser(h.db);
  const org = await makeOrg(h.db, "acme");
  await addMember(h.db, org.id, owner.id, "owner");
  const project = await makeProject(h.db, org.id, "shop");
  const staging = await makeEnvironment(h.db, project.id, "staging");
  await makeService(h.db, staging.id, "web");
  const { token } = await makeToken(h.db, { orgId: org.id, userId: owner.id, role: "owner", name: "laptop" });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cli-vars-"));
  env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: token, SLIPWAY_CONFIG: path.join(dir, "config.json") };
});
afterAll(async () => {
  await server?.close();
  await h?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function slipway(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
  for (const key of Object.keys(childEnv)) if (key.startsWith("SLIPWAY_")) delete childEnv[key];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...childEnv, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdin.end(stdin ?? "");
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("slipway vars", () => {
  it("sets values, secrets (from stdin, byte for byte) and aliases at each scope, lists and unsets them", async () => {
    expect((await slipway(["vars", "set", "shop", "REGION=eu-west"])).stdout).toBe("set REGION (value) at shop\n");
    const awkward = "pa$$ 'w\"ord' = ✓\nline 2\n";
    const secret = await slipway(["vars", "set", "shop/staging", "DB_PASSWORD", "--stdin", "--secret", "--build-time"], awkward);
    expect(secret.stderr).toBe("");
    expect(secret.stdout).toBe("set DB_PASSWORD (secret, build and run time) at shop/staging\n");
    const alias = await slipway(["vars", "set", "shop/staging/web", "DSN={{DB_PASSWORD}}@{{REGION}}", "--alias", "--file"]);
    expect(alias.stdout).toBe("set DSN (alias, as a file) at shop/staging/web\n");
    expect((await slipway(["vars", "set", "shop/staging/web", "EQ=a=b=c"])).code).toBe(0);

    const list = await slipway(["vars", "list", "shop/staging/web"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^NAME\s+KIND\s+VALUE\s+FLAGS\s+UPDATED BY$/);
    expect(list.stdout).toMatch(/DSN\s+alias\s+\{\{DB_PASSWORD\}\}@\{\{REGION\}\}\s+file\s+token laptop/);
    expect(list.stdout).toMatch(/EQ\s+value\s+a=b=c/);
    const json = JSON.parse((await slipway(["vars", "list", "shop/staging", "--json"])).stdout) as { name: string; value: string | null; mask: string }[];
    expect(json).toEqual([expect.objectContaining({ name: "DB_PASSWORD", kind: "secret", value: null, mask: "••••••", availability: "both" })]);
    expect(JSON.stringify(json)).not.toContain("pa$$");
    // Stored exactly as sent, and only encrypted.
    const [row] = await h.db.select().from(variables).where(eq(variables.name, "DB_PASSWORD"));
    expect(row.value).toBeNull();
    const { decryptSecret } = await import("@/server/secrets/secret-box");
    expect(decryptSecret(row.ciphertext ?? "", "DB_PASSWORD")).toBe(awkward);

    const unset = await slipway(["vars", "unset", "shop/staging/web", "EQ"]);
    expect(unset.stdout).toBe("unset EQ at shop/staging/web\n");
  });

  it("refuses bad input with the reason, exit 1 (2 for usage)", async () => {
    const bad = await slipway(["vars", "set", "shop/staging", "SLIPWAY_X=1"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("slipway: name: SLIPWAY_X: the SLIPWAY_ prefix is reserved for variables Slipway sets\n");
    const cycle = await slipway(["vars", "set", "shop/staging/web", "A={{A}}", "--alias"]);
    expect(cycle.stderr).toContain("alias cycle: A → A");
    const needed = await slipway(["vars", "unset", "shop", "REGION"]);
    expect(needed.code).toBe(1);
    expect(needed.stderr).toContain("cannot unset REGION: alias DSN refers to {{REGION}}");
    expect((await slipway(["vars", "set", "shop/staging", "NOEQUALS"])).code).toBe(2);
    expect((await slipway(["vars", "list", "shop/nope"])).stderr).toBe('slipway: environment "nope" not found in project shop\n');
    expect((await slipway(["vars", "frob", "shop"])).code).toBe(2);
  });

  it("imports a .env file (plan first, line errors block everything) and exports what re-imports cleanly", async () => {
    const file = path.join(dir, "bad.env");
    fs.writeFileSync(file, ["GOOD=1", "oops", "9BAD=x", 'OPEN="x'].join("\n"));
    const bad = await slipway(["vars", "import", "shop/staging/web", file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`slipway: ${file}: nothing imported; fix these lines first:\n  line 2: expected NAME=value (or a # comment)\n  line 3: "9BAD" is not a valid name: use letters, digits and _, and do not start with a digit\n  line 4: OPEN: the double-quoted value opened here is never closed\n`);
    expect((await slipway(["vars", "list", "shop/staging/web", "--json"])).stdout).not.toContain("GOOD");

    const good = path.join(dir, "good.env");
    fs.writeFileSync(good, ["# app settings", "export GREETING='hello there'", 'MULTI="a\\nb"', "DB_PASSWORD=from-file", "URL={{GREETING}}/x", ""].join("\n"));
    const dry = await slipway(["vars", "import", "shop/staging", good, "--dry-run"]);
    expect(dry.stdout).toBe("create (3): GREETING, MULTI, URL\nskip DB_PASSWORD: a secret: not overwritten unless named in overwriteSecrets\ndry run: nothing changed\n");
    const done = await slipway(["vars", "import", "shop/staging", good, "--overwrite-secret", "DB_PASSWORD"]);
    expect(done.stdout).toContain("imported into shop/staging: 3 created, 1 updated, 0 removed, 0 skipped");

    const exported = await slipway(["vars", "export", "shop/staging"]);
    expect(exported.stdout).toBe(["DB_PASSWORD=******** # secret", "GREETING='hello there'", 'MULTI="a\\nb"', "URL='{{GREETING}}/x'", ""].join("\n"));
    fs.writeFileSync(path.join(dir, "exported.env"), exported.stdout);
    const again = await slipway(["vars", "import", "shop/staging", path.join(dir, "exported.env"), "--dry-run"]);
    expect(again.stdout).toBe("unchanged (3): GREETING, MULTI, URL\nskip DB_PASSWORD: a secret: not overwritten unless named in overwriteSecrets\ndry run: nothing changed\n");
  });
});

describe("slipway secrets rotate-key", () => {
  it("re-encrypts under the configured key and says what to do next", async () => {
    const r = await slipway(["secrets", "rotate-key"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^master key [0-9a-f]{16} now encrypts 1 secret\(s\) and 0 deployment variable set\(s\)\n/);
    expect(r.stdout).toContain("SLIPWAY_MASTER_KEY is set, so no new key was generated");
    expect((await slipway(["secrets", "spin"])).code).toBe(2);
  });
});
