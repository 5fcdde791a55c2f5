import { expect, type Page } from "@playwright/test";

/** Creates an organization through the UI and lands on its projects page. */
export async function createOrg(page: Page, name: string) {
  await page.goto("/orgs/new");
  await page.getByLabel("Organization name").fill(name);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${name}$`));
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
}

/**
 * From an organization's projects page: creates the project `shop` and its `staging` environment, and
 * lands on the environment page.
 */
export async function createShopStaging(page: Page) {
  await page.getByLabel("Project name").fill("shop");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("link", { name: /shop/ }).click();
  await page.getByLabel("Environment name").fill("staging");
  await page.getByRole("button", { name: "Create environment" }).click();
  await page.getByRole("link", { name: /staging/ }).click();
  await expect(page).toHaveURL(/\/e\/staging$/);
}

/** From an environment page: creates an application service from `folder` on port 8080 and lands on its page. */
export async function createService(page: Page, name = "web", folder = "./examples/hello-node") {
  await page.getByRole("link", { name: "New service" }).click();
  await page.getByLabel("Service name").fill(name);
  await page.getByLabel("Folder path").fill(folder);
  await page.getByLabel("Port").fill("8080");
  await page.getByLabel("Health-check path").fill("/healthz");
  await page.getByRole("button", { name: "Create service" }).click();
  await expect(page).toHaveURL(new RegExp(`/s/${name}$`));
}
