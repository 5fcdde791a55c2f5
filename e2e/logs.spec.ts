import { expect, test, type Page } from "@playwright/test";
import { ROUTER_PORT } from "../playwright.config";
import { unique } from "./support/accounts";
import { createOrg, createService, createShopStaging } from "./support/org";

test.setTimeout(240_000);

async function createServiceAt(page: Page, envUrl: string, name: string, folder: string) {
  await page.goto(envUrl);
  await createService(page, name, folder);
}

const logLines = (page: Page) => page.getByRole("list", { name: "Log lines" }).getByTestId("log-text");

test("logs: live request lines, filters, resume after reload without duplicates, and a failed step's log lines", async ({ page, context }) => {
  const org = unique("logs");
  await createOrg(page, org);
  await createShopStaging(page);
  const envUrl = page.url();

  // Deploy hello-node.
  await createServiceAt(page, envUrl, "web", "./examples/hello-node");
  const serviceUrl = page.url();
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page).toHaveURL(/\/deployments\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("deployment-status")).toHaveText("DEPLOYED", { timeout: 90_000 });

  // The service page's viewer is live; a request through the router shows up as a line.
  await page.goto(serviceUrl);
  const viewer = page.getByTestId("log-viewer");
  await expect(viewer.getByTestId("log-mode")).toHaveText(/^Live/);
  await expect(logLines(page).filter({ hasText: /listening on port/ }).first()).toBeVisible();
  const app = await context.newPage();
  const base = `http://web.staging.shop.${org}.localhost:${ROUTER_PORT}`;
  const started = Date.now();
  await app.goto(`${base}/?req=e2e-1`);
  await expect(logLines(page).filter({ hasText: "GET /?req=e2e-1 200" })).toHaveCount(1);
  const elapsed = Date.now() - started;
  test.info().annotations.push({ type: "request-to-viewer", description: `${elapsed} ms (page load included)` });
  console.log(`request line in the viewer ${elapsed} ms after the request started (page load included)`);
  await app.goto(`${base}/?req=e2e-2`);
  await expect(logLines(page).filter({ hasText: "GET /?req=e2e-2 200" })).toHaveCount(1);

  // The full page, filtered by text: only the matching lines.
  await page.getByRole("link", { name: "Open full view" }).click();
  await expect(page).toHaveURL(/\/s\/web\/logs$/);
  await page.getByLabel("Search").fill("req=e2e-2");
  await expect(page).toHaveURL(/q=req%3De2e-2/);
  await expect(logLines(page)).toHaveText(["GET /?req=e2e-2 200"]);

  // A bad regular expression is answered under the field with its parse error.
  await page.getByRole("checkbox", { name: "Regex" }).check();
  await page.getByLabel("Regular expression").fill("req=(e2e");
  await expect(page.locator("#log-search-error")).toContainText("Invalid regular expression");
  await page.getByLabel("Regular expression").fill("req=e2e-\\d");
  await expect(page).toHaveURL(/regex=1/);
  await expect(logLines(page)).toHaveText(["GET /?req=e2e-1 200", "GET /?req=e2e-2 200"]);

  // Reload: the viewer resumes where it was — the same lines, once each — and keeps streaming.
  await page.reload();
  await expect(page.getByLabel("Regular expression")).toHaveValue("req=e2e-\\d");
  await expect(logLines(page)).toHaveText(["GET /?req=e2e-1 200", "GET /?req=e2e-2 200"]);
  await app.goto(`${base}/?req=e2e-3`);
  await expect(logLines(page)).toHaveText(["GET /?req=e2e-1 200", "GET /?req=e2e-2 200", "GET /?req=e2e-3 200"]);

  // A deployment that fails: its failing step links to the lines that led up to the failure.
  await createServiceAt(page, envUrl, "broken", "./examples/exits-at-start");
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page).toHaveURL(/\/deployments\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("deployment-status")).toHaveText(/ERROR/, { timeout: 90_000 });
  const failing = page.getByRole("list", { name: "Deployment steps" }).locator('li[data-status="error"]').first();
  await failing.getByRole("link", { name: /^Logs of step/ }).click();
  await expect(page).toHaveURL(/\/s\/broken\/logs\?deployment=[0-9a-f-]{36}&until=/);
  await expect(page.getByTestId("log-mode")).toHaveText(/^Stored lines up to .* of deployment [0-9a-f]{8}$/);
  await expect(logLines(page).filter({ hasText: "fatal: DATABASE_URL is not set" }).first()).toBeVisible();
});
