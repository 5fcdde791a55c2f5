/** detectCommands: explicit commands win; then Procfile, package.json and index.html, in that order. */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildFailure } from "@/server/runtime/process/builder/build-failure";
import { detectCommands } from "@/server/runtime/process/builder/detect-commands";
import { makeScratchDir, removeScratchDir, writeFiles } from "../support/git-fixtures";

let root: string;
let count = 0;

beforeAll(() => {
  root = makeScratchDir("detect");
});

afterAll(() => removeScratchDir(root));

/** A fresh folder holding `files`. */
function app(files: Record<string, string>): string {
  const dir = path.join(root, `app-${++count}`);
  writeFiles(dir, files);
  return dir;
}

const pkg = (fields: Record<string, unknown>) => JSON.stringify({ name: "x", version: "1.0.0", ...fields });
const noSpec = {};

/** A start script run directly, as npm would run it (without npm's own start-up cost). */
const viaScript = (script: string) => `export PATH="$PWD/node_modules/.bin:$PATH"; ${script}`;

describe("detectCommands", () => {
  it("lets explicit commands win, each on its own", () => {
    const dir = app({
      "package.json": pkg({ scripts: { start: "node a.js", build: "tsc" }, dependencies: { left: "1.0.0" } }),
      "package-lock.json": "{}",
      Procfile: "web: node web.js\n",
    });
    expect(detectCommands({ dir, spec: { run: { command: "node custom.js" }, build: { command: "make all" } } })).toEqual({
      kind: "explicit",
      build: "make all",
      start: "node custom.js",
    });
    // Only the start is explicit: install and build are still detected.
    expect(detectCommands({ dir, spec: { run: { command: "node custom.js" } } })).toEqual({
      kind: "explicit",
      install: "npm ci",
      build: "npm run build",
      start: "node custom.js",
    });
    // Only the build is explicit: the start is still detected (Procfile first).
    expect(detectCommands({ dir, spec: { build: { command: "make all" } } })).toEqual({ kind: "procfile", build: "make all", start: "node web.js" });
    // Blank explicit commands count as absent.
    expect(detectCommands({ dir, spec: { run: { command: "  " } } }).kind).toBe("procfile");
  });

  it("reads the Procfile's web: line, or the first process of a worker", () => {
    expect(detectCommands({ dir: app({ Procfile: "# processes\nrelease: ./migrate\nweb: node server.js --port $PORT\n" }), spec: noSpec })).toEqual({
      kind: "procfile",
      start: "node server.js --port $PORT",
    });
    expect(detectCommands({ dir: app({ Procfile: "clock: node clock.js\nqueue: node queue.js\n" }), spec: noSpec })).toEqual({ kind: "procfile", start: "node clock.js" });
  });

  it("uses npm ci with a lockfile, npm install without, and no install without dependencies", () => {
    const deps = { dependencies: { a: "^1.0.0" } };
    expect(detectCommands({ dir: app({ "package.json": pkg({ ...deps, scripts: { start: "node s.js" } }), "package-lock.json": "{}" }), spec: noSpec })).toEqual({
      kind: "node",
      install: "npm ci",
      start: viaScript("node s.js"),
    });
    expect(detectCommands({ dir: app({ "package.json": pkg({ devDependencies: { b: "2" }, scripts: { start: "node s.js" } }) }), spec: noSpec })).toEqual({
      kind: "node",
      install: "npm install",
      start: viaScript("node s.js"),
    });
    expect(detectCommands({ dir: app({ "package.json": pkg({ dependencies: {}, scripts: { start: "node s.js" } }), "package-lock.json": "{}" }), spec: noSpec })).toEqual({
      kind: "node",
      start: viaScript("node s.js"),
    });
    // With pre/post hooks only npm runs them right.
    expect(detectCommands({ dir: app({ "package.json": pkg({ scripts: { prestart: "node gen.js", start: "node s.js" } }) }), spec: noSpec }).start).toBe("npm start");
  });

  it("runs a build script, and starts main when there is no start script", () => {
    expect(detectCommands({ dir: app({ "package.json": pkg({ scripts: { build: "node build.js", start: "node dist/s.js" } }) }), spec: noSpec })).toEqual({
      kind: "node",
      build: "npm run build",
      start: viaScript("node dist/s.js"),
    });
    expect(detectCommands({ dir: app({ "package.json": pkg({ main: "dist/index.js" }) }), spec: noSpec })).toEqual({ kind: "node", start: "node dist/index.js" });
    expect(detectCommands({ dir: app({ "package.json": pkg({ main: "my app.js" }) }), spec: noSpec }).start).toBe("node 'my app.js'");
  });

  it("serves a folder with an index.html with the built-in static server", () => {
    expect(detectCommands({ dir: app({ "index.html": "<h1>hi</h1>", "style.css": "" }), spec: noSpec })).toEqual({
      kind: "static",
      start: "node .slipway-static-server.mjs",
    });
  });

  it("says what it looked for when nothing tells how to start", () => {
    let failure: unknown;
    try {
      detectCommands({ dir: app({ "README.md": "# nothing to run" }), spec: noSpec });
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(BuildFailure);
    const err = failure as BuildFailure;
    expect(err.stage).toBe("detect");
    expect(err.message).toBe("cannot tell how to start this service");
    for (const option of ["Procfile", "web:", "package.json", "start script", "index.html", "run.command"]) expect(err.hint).toContain(option);
  });

  it("rejects a package.json that is not valid JSON", () => {
    expect(() => detectCommands({ dir: app({ "package.json": "{ nope" }), spec: noSpec })).toThrow(/package.json is not valid/);
  });
});
