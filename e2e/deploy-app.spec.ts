import { expect, test, type Page } from "@playwright/test";
import { ROUTER_PORT } from "../playwright.config";
import { unique } from "./support/accounts";
import { createOrg, createService, createShopStaging } from "./support/org";

test.setTimeout(240_000);

async function expectDeployed(page: Page) {
  // Steps arrive live over SSE while the page stays open: no reload.
  await expect(page.getByTestId("deployment-status")).toHaveText("DEPLOYED", { timeout: 90_000 });
  const steps = page.getByRole("list", { name: "Deployment steps" });
  await expect(steps).toContainText("pre-check");
  await expect(steps).toContainText("health web");
  await expect(steps).toContainText("deployed");
}

test("deploy hello-node, open it through the router, redeploy, stop, start and roll back", async ({ page, context }) => {
  const org = unique("ship");
  await createOrg(page, org);
  await createShopStaging(page);
  await createService(page);
  await expect(page.getByTestId("service-status")).toHaveText("Not deployed");

  // Deploy: the live page walks through the steps to DEPLOYED.
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page).toHaveURL(/\/deployments\/[0-9a-f-]{36}$/);
  const firstDeployment = page.url();
  await expectDeployed(page);

  // The service answers through Slipway's router.
  const url = `http://web.staging.shop.${org}.localhost:${ROUTER_PORT}/`;
  const app = await context.newPage();
  await app.goto(url);
  await expect(app.locator("body")).toHaveText("hello");

  // Redeploy.
  await page.goBack();
  await expect(page.getByTestId("service-status")).toHaveText("Running");
  await expect(page.getByTestId("service-url")).toHaveText(url.replace(/\/$/, ""));
  await page.getByRole("button", { name: "Redeploy" }).click();
  await expect(page).toHaveURL(/\/deployments\//);
  await expectDeployed(page);

  // Stop: the router answers 503 naming the service.
  await page.goBack();
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByTestId("service-status")).toHaveText("Stopped");
  const stopped = await app.goto(url);
  expect(stopped?.status()).toBe(503);
  await expect(app.locator("body")).toContainText("web");

  // Start runs the last version again.
  await page.getByRole("button", { name: "Start" }).click();
  await expect(page).toHaveURL(/\/deployments\//);
  await expectDeployed(page);
  await app.goto(url);
  await expect(app.locator("body")).toHaveText("hello");

  // Roll back to the first deployment.
  await page.goto(firstDeployment);
  await page.getByRole("button", { name: "Roll back to this" }).click();
  await expect(page).not.toHaveURL(firstDeployment);
  await expectDeployed(page);
  await expect(page.getByRole("list", { name: "Deployment steps" })).toContainText("reusing build");
  await app.goto(url);
  await expect(app.locator("body")).toHaveText("hello");
});
