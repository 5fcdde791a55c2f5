import { expect, test as setup } from "@playwright/test";
import { OWNER_STATE } from "../playwright.config";
import { OWNER } from "./support/accounts";

setup("a new user creates the owner account on first run", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Create the owner account" })).toBeVisible();
  await page.getByLabel("Your name").fill(OWNER.name);
  await page.getByLabel("Email").fill(OWNER.email);
  // Too short first: the field says why, nothing is created.
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create the owner account" }).click();
  await expect(page.getByText("password must be at least 10 characters")).toBeVisible();
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create the owner account" }).click();
  await expect(page).toHaveURL(/\/orgs\/new$/);
  await expect(page.getByTestId("current-user")).toHaveText(OWNER.email);
  // Setup is a one-time door.
  await page.goto("/setup");
  await expect(page).not.toHaveURL(/\/setup$/);
  await page.context().storageState({ path: OWNER_STATE });
});
