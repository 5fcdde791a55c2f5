import { expect, test } from "@playwright/test";
import { unique } from "./support/accounts";
import { createOrg } from "./support/org";

test("invite a member and accept the invite in a second browser", async ({ page, browser }) => {
  const org = unique("team");
  const email = `${unique("dev")}@example.test`;
  await createOrg(page, org);
  await page.getByRole("link", { name: "Members" }).click();
  await page.getByLabel("Email to invite").fill(email);
  await page.getByLabel("Role").selectOption("developer");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = await page.getByLabel("Invite link").inputValue();
  expect(link).toContain("/invite/");
  await expect(page.getByText(`${email} · developer`)).toBeVisible();

  // The invited person, in a browser of their own with no session.
  const other = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const guest = await other.newPage();
  await guest.goto(link);
  await expect(guest.getByRole("heading", { name: `Join ${org}` })).toBeVisible();
  await expect(guest.getByText("as developer")).toBeVisible();
  await guest.getByLabel("Your name").fill("Dana Developer");
  await guest.getByLabel("Choose a password").fill("a long enough password");
  await guest.getByRole("button", { name: "Create account and join" }).click();
  await expect(guest).toHaveURL(new RegExp(`/o/${org}$`));
  await expect(guest.getByTestId("current-user")).toHaveText(email);
  await expect(guest.getByRole("navigation", { name: "Organization" })).toContainText("developer");

  // The link was one-time.
  await guest.goto(link);
  await expect(guest.getByRole("alert").filter({ hasText: "this invitation has already been used" })).toBeVisible();
  await other.close();

  // The owner now sees the new member, and no pending invitation.
  await page.reload();
  await expect(page.getByRole("cell", { name: email })).toBeVisible();
  await expect(page.getByText("None.")).toBeVisible();
});
