import { expect, test } from "@playwright/test";
import { unique } from "./support/accounts";
import { createOrg } from "./support/org";

test("create an organization, a project, an environment and a service, then edit the service", async ({ page }) => {
  const org = unique("acme");
  await createOrg(page, org);

  // Project: a bad name is explained inline, a good one appears.
  await page.getByLabel("Project name").fill("Shop_1");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText("project name may use only lowercase letters, digits and dashes")).toBeVisible();
  await page.getByLabel("Project name").fill("shop");
  await page.getByLabel("Description").fill("The web shop");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("link", { name: /shop/ }).click();
  await expect(page.getByRole("heading", { name: "shop" })).toBeVisible();

  // Environment.
  await page.getByLabel("Environment name").fill("staging");
  await page.getByLabel("Mode").selectOption("staging");
  await page.getByRole("button", { name: "Create environment" }).click();
  await page.getByRole("link", { name: /staging/ }).click();
  await expect(page.getByRole("heading", { name: "staging" })).toBeVisible();
  await expect(page.getByText("No services yet.")).toBeVisible();

  // Service: inline field errors first, then a valid one.
  await page.getByRole("link", { name: "New service" }).click();
  await page.getByLabel("Service name").fill("web");
  await page.getByLabel("Folder path").fill("./examples/hello-node");
  await page.getByLabel("Port").fill("70000");
  await page.getByLabel("Min instances").fill("3");
  await page.getByLabel("Max instances").fill("2");
  await page.getByRole("button", { name: "Create service" }).click();
  await expect(page.getByText("port must be from 1 to 65535")).toBeVisible();
  await expect(page.getByText("instances.min must not exceed instances.max")).toBeVisible();
  await page.getByLabel("Port").fill("8080");
  await page.getByLabel("Max instances").fill("4");
  await page.getByLabel("Health-check path").fill("/healthz");
  await page.getByRole("button", { name: "Create service" }).click();
  await expect(page).toHaveURL(/\/s\/web$/);
  await expect(page.getByRole("heading", { name: "web", exact: true })).toBeVisible();

  // Edit it: the change is saved and survives a reload.
  await page.getByLabel("Port").fill("9090");
  await page.getByLabel("Start command").fill("node server.js");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Port")).toHaveValue("9090");
  await expect(page.getByLabel("Start command")).toHaveValue("node server.js");

  // The environment shows it as a card with its type and a status placeholder.
  await page.getByRole("link", { name: "shop / staging" }).click();
  const card = page.getByRole("list", { name: "Services" }).getByRole("listitem").filter({ hasText: "web" });
  await expect(card).toContainText("application");
  await expect(card).toContainText("port 9090");
  await expect(card.getByTestId("service-status")).toHaveText("Not deployed");
});
