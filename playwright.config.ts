import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3100);
/** Slipway's router in the e2e server: service URLs are http://<service>.<env>.<project>.<org>.localhost:<this>. */
export const ROUTER_PORT = Number(process.env.E2E_ROUTER_PORT ?? 8100);
// E2E_NAME lets several checkouts of the suite run side by side (own ports, data and session).
const NAME = process.env.E2E_NAME ?? "";
export const OWNER_STATE = `e2e/.auth/owner${NAME ? `-${NAME}` : ""}.json`;

export default defineConfig({
  testDir: "e2e",
  outputDir: NAME ? `test-results/${NAME}` : "test-results",
  // One server, one embedded database: run specs one after another.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [
    { name: "setup", testMatch: /.*\.setup\.ts/ },
    { name: "console", testMatch: /.*\.spec\.ts/, dependencies: ["setup"], use: { storageState: OWNER_STATE } },
  ],
  webServer: {
    command: `node e2e/support/start-e2e-server.mjs`,
    url: `http://localhost:${PORT}/api/health`,
    env: { PORT: String(PORT), E2E_ROUTER_PORT: String(ROUTER_PORT) },
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
