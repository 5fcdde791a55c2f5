/**
 * The source policy's host rule on address literals and names that resolve without a network
 * (localhost, numeric forms): every form of this machine or a private range is refused unless the
 * operator allows it; a public address passes. The folder rule is exercised end to end in
 * tests/engine/source-security.test.ts and tests/runtime/builder-fetch-security.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { checkGitSource, sourceRoots } from "@/server/runtime/process/builder/source-policy";

const saved = process.env.SLIPWAY_GIT_PRIVATE_HOSTS;
afterEach(() => {
  if (saved === undefined) delete process.env.SLIPWAY_GIT_PRIVATE_HOSTS;
  else process.env.SLIPWAY_GIT_PRIVATE_HOSTS = saved;
});

const REFUSED = [
  "http://127.0.0.1:8080/r.git",
  "https://127.9.9.9/r.git",
  "http://localhost/r.git",
  "http://app.localhost/r.git",
  "http://0.0.0.0/r.git",
  "http://[::1]/r.git",
  "http://[::]/r.git",
  "http://[::ffff:127.0.0.1]/r.git",
  "http://[::ffff:10.0.0.1]/r.git",
  "http://2130706433/r.git",
  "http://0x7f.1/r.git",
  "git://2130706433/r.git",
  "ssh://git@[::1]:22/r.git",
  "git@127.0.0.1:r.git",
  "http://10.1.2.3/r.git",
  "http://172.16.0.1/r.git",
  "http://192.168.1.1/r.git",
  "http://100.64.0.1/r.git",
  "http://169.254.169.254/latest/",
  "http://[fd00::1]/r.git",
  "http://[fe80::1]/r.git",
];

describe("git hosts", () => {
  for (const url of REFUSED) {
    it(`refuses ${url}`, async () => {
      const problem = await checkGitSource(url, "/");
      expect(problem?.field).toBe("git");
      expect(problem?.message).toMatch(/points at .*(this machine|loopback, private or link-local).*SLIPWAY_GIT_PRIVATE_HOSTS/);
    });
  }

  it("allows a public address, and private ones the operator names (host, address, range or *)", async () => {
    expect(await checkGitSource("https://93.184.215.14/r.git", "/")).toBeNull();
    process.env.SLIPWAY_GIT_PRIVATE_HOSTS = "10.0.0.0/8, 127.0.0.2";
    expect(await checkGitSource("http://10.9.9.9/r.git", "/")).toBeNull();
    expect(await checkGitSource("http://127.0.0.2/r.git", "/")).toBeNull();
    expect(await checkGitSource("http://127.0.0.1/r.git", "/")).not.toBeNull();
    process.env.SLIPWAY_GIT_PRIVATE_HOSTS = "localhost";
    expect(await checkGitSource("http://localhost:3000/r.git", "/")).toBeNull();
    process.env.SLIPWAY_GIT_PRIVATE_HOSTS = "*";
    expect(await checkGitSource("http://[::1]/r.git", "/")).toBeNull();
  });

  it("never shows a URL's credentials", async () => {
    const problem = await checkGitSource("http://user:s3cret@127.0.0.1/r.git", "/");
    expect(problem?.message).not.toContain("s3cret");
    expect(problem?.message).toContain("http://***@127.0.0.1/r.git");
  });
});

describe("SLIPWAY_SOURCE_ROOTS", () => {
  it("is a path list (':' on Linux), with the checkout's examples folder by default and none as off", () => {
    expect(sourceRoots("/a:/b/c")).toEqual(["/a", "/b/c"]);
    expect(sourceRoots("")).toEqual([`${process.cwd()}/examples`]);
    expect(sourceRoots("  ")).toEqual([`${process.cwd()}/examples`]);
    expect(sourceRoots("none")).toEqual([]);
  });
});
