import { expect, type Page } from "@playwright/test";

/** Creates an organization through the UI and lands on its projects page. */
export async function createOrg(page: Page, name: string) {
  await page.goto("/orgs/new");
  await page.getByLabel("Organization name").fill(name);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${name}$`));
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
}
