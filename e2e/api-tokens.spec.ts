import { expect, test } from "@playwright/test";
import { unique } from "./support/accounts";
import { createOrg } from "./support/org";

test("create an API token, use it, then revoke it", async ({ page, playwright, baseURL }) => {
  await createOrg(page, unique("tok"));
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByText("No active tokens.")).toBeVisible();
  await page.getByLabel("Token name").fill("ci deploys");
  await page.getByLabel("Token role").selectOption("developer");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Copy this token now. It will not be shown again.")).toBeVisible();
  const token = await page.getByLabel("New token").inputValue();
  expect(token).toMatch(/^slw_/);
  await expect(page.getByRole("cell", { name: /^ci deploys/ })).toBeVisible();

  // The token works against the API, without any cookie.
  const api = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const ok = await api.get("/api/trpc/organization.list", { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);

  // Shown once: a reload does not show it again, and the page never contains it.
  await page.reload();
  await expect(page.getByLabel("New token")).toHaveCount(0);
  expect(await page.content()).not.toContain(token);

  await page.getByRole("button", { name: "Revoke ci deploys" }).click();
  await expect(page.getByText("No active tokens.")).toBeVisible();
  const refused = await api.get("/api/trpc/organization.list", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  await api.dispose();
});
