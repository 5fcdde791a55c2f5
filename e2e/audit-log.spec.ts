import { expect, test } from "@playwright/test";
import { unique } from "./support/accounts";
import { createOrg } from "./support/org";

test("every action shows up in the audit log, and the log filters", async ({ page, browser }) => {
  const org = unique("audit");
  await createOrg(page, org);
  await page.getByLabel("Project name").fill("api");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("link", { name: /api/ }).click();
  await page.getByLabel("Environment name").fill("dev");
  await page.getByLabel("Mode").selectOption("development");
  await page.getByRole("button", { name: "Create environment" }).click();
  await page.getByRole("link", { name: /dev/ }).click();
  await page.getByRole("link", { name: "New service" }).click();
  await page.getByLabel("Service name").fill("worker");
  await page.getByLabel("Type").selectOption("worker");
  await page.getByLabel("Folder path").fill("./examples/worker");
  await page.getByRole("button", { name: "Create service" }).click();
  await expect(page).toHaveURL(/\/s\/worker$/);
  await page.getByLabel("Start command").fill("node worker.js");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  await page.goto(`/o/${org}/members`);
  const invitee = `${unique("v")}@example.test`;
  await page.getByLabel("Email to invite").fill(invitee);
  await page.getByLabel("Role").selectOption("viewer");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = await page.getByLabel("Invite link").inputValue();
  const other = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const guest = await other.newPage();
  await guest.goto(link);
  await guest.getByLabel("Your name").fill("Vic Viewer");
  await guest.getByLabel("Choose a password").fill("another long password");
  await guest.getByRole("button", { name: "Create account and join" }).click();
  await expect(guest.getByTestId("current-user")).toHaveText(invitee);
  await other.close();

  await page.goto(`/o/${org}/tokens`);
  await page.getByLabel("Token name").fill("deploy bot");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByLabel("New token")).toBeVisible();
  await page.getByRole("button", { name: "Revoke deploy bot" }).click();
  await expect(page.getByText("No active tokens.")).toBeVisible();

  await page.getByRole("link", { name: "Audit log" }).click();
  const table = page.getByRole("table", { name: "Audit events" });
  for (const action of [
    "organization.create",
    "project.create",
    "environment.create",
    "service.create",
    "service.update",
    "invitation.create",
    "user.sign_up",
    "invitation.accept",
    "token.create",
    "token.revoke",
  ]) {
    await expect(table.getByRole("cell", { name: action, exact: true })).toBeVisible();
  }
  await expect(table.getByRole("row").filter({ hasText: "service.update" })).toContainText(/ui/);

  // Filter by action prefix: only token events remain.
  await page.getByLabel("Action").fill("token.");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(table.getByRole("cell", { name: "project.create", exact: true })).toHaveCount(0);
  await expect(table.getByRole("cell", { name: "token.create", exact: true })).toBeVisible();
  // Filter by actor: the invitee did only their own sign-up and acceptance.
  await page.getByLabel("Action").fill("");
  await page.getByLabel("Actor").fill(invitee);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(table.getByRole("cell", { name: "user.sign_up", exact: true })).toBeVisible();
  await expect(table.getByRole("cell", { name: "token.create", exact: true })).toHaveCount(0);
});
