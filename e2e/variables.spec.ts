import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test, type BrowserContext, type Locator, type Page } from "@playwright/test";
import { ROUTER_PORT } from "../playwright.config";
import { unique } from "./support/accounts";
import { createOrg, createService, createShopStaging } from "./support/org";

test.setTimeout(300_000);

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** The row of a table whose first cell is exactly `name` (an alias's value may mention other names). */
const rowOf = (table: Locator, name: string) => table.getByRole("row").filter({ has: table.page().getByRole("cell", { name, exact: true }) });

/** Waits for a page to be there (by its title) before acting on it: links of the page being left look alike. */
const onPage = (page: Page, title: string) => expect(page.getByRole("heading", { level: 1, name: title, exact: true })).toBeVisible();

/** The value cell of that row. */
const valueOf = (table: Locator, name: string) => rowOf(table, name).getByRole("cell").nth(1);

/** The web service's card on the environment page. */
const card = (page: Page) => page.getByRole("list", { name: "Services" }).getByRole("listitem").filter({ hasText: "web" });

async function expectDeployed(page: Page) {
  await expect(page).toHaveURL(/\/deployments\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("deployment-status")).toHaveText("DEPLOYED", { timeout: 90_000 });
}

/** What hello-node's /env page lists, one `NAME=value` per line, read through Slipway's router as a visitor would. */
async function envOfApp(context: BrowserContext, org: string) {
  const app = await context.newPage();
  const res = await app.goto(`http://web.staging.shop.${org}.localhost:${ROUTER_PORT}/env`);
  expect(res?.status()).toBe(200);
  const lines = (await app.locator("body").innerText()).split("\n");
  await app.close();
  return lines;
}

/** Secret values are write-only: they must not be anywhere in the page, not even in a form field. */
async function expectNoSecretsIn(page: Page, secrets: string[]) {
  const html = await page.content();
  for (const s of secrets) expect(html).not.toContain(s);
}

async function addVariable(page: Page, v: { name: string; value: string; kind?: "value" | "secret" | "alias" }) {
  const form = page.getByRole("form", { name: "Add variable" });
  await form.getByLabel("Name").fill(v.name);
  await form.getByLabel("Kind").selectOption(v.kind ?? "value");
  await form.getByLabel("Value").fill(v.value);
  await form.getByRole("button", { name: "Add variable" }).click();
  await expect(form.getByText(`Saved ${v.name}.`)).toBeVisible();
  await expect(rowOf(page.getByRole("table", { name: "Variables", exact: true }), v.name)).toBeVisible();
}

test("variables and secrets: project value, service override, secret and alias reach the app; needs redeploy until redeployed", async ({ page, context }) => {
  const secret = `s3cr3t-${randomBytes(12).toString("hex")}`;
  const rotated = `r0tated-${randomBytes(12).toString("hex")}`;
  const org = unique("vars");

  await test.step("a project, an environment and a hello-node service", async () => {
    await createOrg(page, org);
    await createShopStaging(page);
    await createService(page);
  });

  await test.step("project variables: a bad name is explained under the field; two good ones", async () => {
    await page.getByRole("link", { name: "shop / staging" }).click();
    await onPage(page, "staging");
    await page.getByRole("link", { name: "shop", exact: true }).click();
    await onPage(page, "shop");
    await page.getByRole("link", { name: "Variables", exact: true }).click();
    await onPage(page, "Project variables");
    const form = page.getByRole("form", { name: "Add variable" });
    await form.getByLabel("Name").fill("1 bad name");
    await form.getByLabel("Value").fill("x");
    await form.getByRole("button", { name: "Add variable" }).click();
    await expect(form.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
    await expect(form.getByLabel("Name")).toHaveAccessibleDescription(/name/i);
    await expect(page.getByRole("table", { name: "Variables", exact: true })).toContainText("No variables here yet.");
    await addVariable(page, { name: "APP_COLOR", value: "blue" });
    await addVariable(page, { name: "SHARED_NOTE", value: "from-project" });
  });

  await test.step("service variables: override, secret, alias; a mistake deleted", async () => {
    await page.getByRole("link", { name: "shop", exact: true }).click();
    await onPage(page, "shop");
    await page.getByRole("link", { name: /staging/ }).click();
    await onPage(page, "staging");
    await card(page).getByRole("link", { name: "web", exact: true }).click();
    await onPage(page, "web");
    await page.getByRole("link", { name: "Variables", exact: true }).click();
    await onPage(page, "Variables of web");
    await addVariable(page, { name: "APP_COLOR", value: "green" });
    await addVariable(page, { name: "API_KEY", value: secret, kind: "secret" });
    // An alias that refers to nothing is refused, under the Value field.
    const form = page.getByRole("form", { name: "Add variable" });
    await form.getByLabel("Name").fill("COLOR_ALIAS");
    await form.getByLabel("Kind").selectOption("alias");
    await form.getByLabel("Value").fill("APP_COLOR");
    await form.getByRole("button", { name: "Add variable" }).click();
    await expect(form.getByLabel("Value")).toHaveAttribute("aria-invalid", "true");
    await expect(form.getByLabel("Value")).toHaveAccessibleDescription(/\{\{/);
    await addVariable(page, { name: "COLOR_ALIAS", value: "{{APP_COLOR}}", kind: "alias" });
    await addVariable(page, { name: "TYPO_VAR", value: "oops" });

    const table = page.getByRole("table", { name: "Variables", exact: true });
    await table.getByRole("button", { name: "Delete TYPO_VAR" }).click();
    await table.getByRole("button", { name: "Confirm delete TYPO_VAR" }).click();
    await expect(rowOf(table, "TYPO_VAR")).toHaveCount(0);

    // The secret shows as a mask, with who changed it; its value is nowhere in the page.
    const key = rowOf(table, "API_KEY");
    await expect(key).toContainText("secret");
    await expect(valueOf(table, "API_KEY")).toHaveText(/^[•*]+$/);
    await expect(key).toContainText(/Olivia Owner|owner@example\.test/);
    await expect(page.getByRole("form", { name: "Add variable" }).getByLabel("Value")).toHaveValue("");
    await expectNoSecretsIn(page, [secret]);

    // Effective view: each name from the narrowest scope that sets it.
    const effective = page.getByRole("table", { name: "Effective variables" });
    await expect(valueOf(effective, "APP_COLOR")).toHaveText("green");
    await expect(valueOf(effective, "COLOR_ALIAS")).toHaveText("green");
    await expect(rowOf(effective, "APP_COLOR").getByTestId("winning-scope")).toHaveText("service");
    await expect(rowOf(effective, "APP_COLOR")).toContainText("overrides project");
    await expect(rowOf(effective, "SHARED_NOTE").getByTestId("winning-scope")).toHaveText("project");
    await expect(rowOf(effective, "API_KEY").getByTestId("winning-scope")).toHaveText("service");

    await page.reload();
    await expect(rowOf(page.getByRole("table", { name: "Variables", exact: true }), "API_KEY")).toBeVisible();
    await expectNoSecretsIn(page, [secret]);
  });

  await test.step("deploy: the app sees the override, the alias and the secret (as its hash)", async () => {
    await page.getByRole("link", { name: "web", exact: true }).click();
    await onPage(page, "web");
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expectDeployed(page);
    const env = await envOfApp(context, org);
    expect(env).toContain("APP_COLOR=green");
    expect(env).toContain("COLOR_ALIAS=green");
    expect(env).toContain("SHARED_NOTE=from-project");
    expect(env).toContain(`API_KEY=sha256:${sha256(secret)}`);
    await page.goBack();
    await onPage(page, "web");
    await expect(page.getByTestId("service-status")).toHaveText("Running");
    await expect(page.getByTestId("needs-redeploy")).toHaveCount(0);
  });

  await test.step("environment variables, edited as .env text: the service now needs a redeploy", async () => {
    await page.getByRole("link", { name: "shop / staging" }).click();
    await onPage(page, "staging");
    await expect(card(page).getByTestId("service-status")).toHaveText("Running");
    await expect(card(page).getByTestId("needs-redeploy")).toHaveCount(0);
    await page.getByRole("link", { name: "Variables", exact: true }).click();
    await onPage(page, "Environment variables");
    await page.getByRole("button", { name: "Edit as .env" }).click();
    const text = page.getByLabel("Variables as .env");
    await expect(text).toBeVisible();
    await text.fill("SHARED_NOTE=from-staging\n");
    await page.getByRole("button", { name: "Preview changes" }).click();
    await expect(page.getByRole("region", { name: "Import preview" }).getByRole("region", { name: "Create" })).toContainText("SHARED_NOTE");
    await page.getByRole("button", { name: /^Apply changes/ }).click();
    await expect(valueOf(page.getByRole("table", { name: "Variables", exact: true }), "SHARED_NOTE")).toHaveText("from-staging");

    // Live, no reload: the card says so.
    await page.getByRole("link", { name: "shop / staging" }).click();
    await onPage(page, "staging");
    await expect(card(page).getByTestId("needs-redeploy")).toBeVisible();
  });

  await test.step("import a .env: malformed lines named by number, nothing imported; then a secret overwritten only when ticked", async () => {
    await card(page).getByRole("link", { name: "web", exact: true }).click();
    await onPage(page, "web");
    await expect(page.getByTestId("needs-redeploy")).toBeVisible();
    await page.getByRole("link", { name: "Variables", exact: true }).click();
    await onPage(page, "Variables of web");
    await page.getByRole("button", { name: "Import .env" }).click();
    const dialog = page.getByRole("dialog", { name: "Import .env" });
    await dialog.getByLabel(".env text").fill(`GOOD_ONE=1\nthis line is not a variable\nAPI_KEY=${rotated}\n2BAD=x\n`);
    await dialog.getByRole("button", { name: "Preview import" }).click();
    const errors = dialog.getByRole("alert", { name: "Import errors" });
    await expect(errors).toContainText("line 2");
    await expect(errors).toContainText("line 4");
    await expect(errors).not.toContainText("line 1:");
    await expect(dialog.getByRole("button", { name: /^Apply import/ })).toBeDisabled();

    // Fixed, as a file this time: its text lands in the box, and the preview is made again.
    const file = `IMPORTED_FLAG=on\nAPP_COLOR=purple\nAPI_KEY=${rotated}\n`;
    await dialog.getByLabel(".env file").setInputFiles({ name: "web.env", mimeType: "text/plain", buffer: Buffer.from(file) });
    await expect(dialog.getByLabel(".env text")).toHaveValue(file);
    await expect(errors).toHaveCount(0);
    await dialog.getByRole("button", { name: "Preview import" }).click();
    const preview = dialog.getByRole("region", { name: "Import preview" });
    await expect(preview.getByRole("region", { name: "Create" })).toContainText("IMPORTED_FLAG");
    await expect(preview.getByRole("region", { name: "Update" })).toContainText("APP_COLOR");
    // The existing secret is skipped unless the person explicitly chooses to overwrite it.
    await expect(preview.getByRole("region", { name: "Skip" })).toContainText("API_KEY");
    const overwrite = preview.getByLabel("Overwrite secret API_KEY");
    await expect(overwrite).not.toBeChecked();
    await overwrite.check();
    await expect(preview.getByRole("region", { name: "Update" })).toContainText("API_KEY");
    await expect(preview.getByRole("region", { name: "Skip" })).toHaveCount(0);
    await dialog.getByRole("button", { name: /^Apply import/ }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByText(/Imported: 1 created, 2 updated/)).toBeVisible();

    const table = page.getByRole("table", { name: "Variables", exact: true });
    await expect(valueOf(table, "APP_COLOR")).toHaveText("purple");
    await expect(valueOf(table, "IMPORTED_FLAG")).toHaveText("on");
    await expect(rowOf(table, "GOOD_ONE")).toHaveCount(0);
    await expectNoSecretsIn(page, [secret, rotated]);
  });

  await test.step("edit in place, and export: secrets leave masked", async () => {
    const table = page.getByRole("table", { name: "Variables", exact: true });
    await table.getByRole("button", { name: "Edit IMPORTED_FLAG" }).click();
    const edit = page.getByRole("form", { name: "Edit IMPORTED_FLAG" });
    await expect(edit.getByLabel("Value")).toHaveValue("on");
    await edit.getByLabel("Value").fill("yes");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(valueOf(table, "IMPORTED_FLAG")).toHaveText("yes");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export .env" }).click()]);
    expect(download.suggestedFilename()).toBe("shop-staging-web.env");
    const exported = await readFile(await download.path(), "utf8");
    expect(exported).toContain("APP_COLOR=purple");
    expect(exported).toContain("API_KEY");
    expect(exported).not.toContain(rotated);
    expect(exported).not.toContain(secret);
    await page.reload();
    await expectNoSecretsIn(page, [secret, rotated]);
  });

  await test.step("one-click redeploy from the service card; the badge clears and the app sees the changes", async () => {
    await page.getByRole("link", { name: "shop / staging" }).click();
    await onPage(page, "staging");
    await expect(card(page).getByTestId("needs-redeploy")).toBeVisible();
    await card(page).getByRole("button", { name: "Redeploy web" }).click();
    await expectDeployed(page);
    const env = await envOfApp(context, org);
    expect(env).toContain("APP_COLOR=purple");
    expect(env).toContain("COLOR_ALIAS=purple");
    expect(env).toContain("SHARED_NOTE=from-staging");
    expect(env).toContain("IMPORTED_FLAG=yes");
    expect(env).toContain(`API_KEY=sha256:${sha256(rotated)}`);
    await page.goBack();
    await onPage(page, "staging");
    await expect(card(page).getByTestId("service-status")).toHaveText("Running");
    await expect(card(page).getByTestId("needs-redeploy")).toHaveCount(0);
  });

  await test.step("no variables page ever carries a secret value", async () => {
    await page.getByRole("link", { name: "Variables", exact: true }).click();
    await onPage(page, "Environment variables");
    await expectNoSecretsIn(page, [secret, rotated]);
    await page.getByRole("link", { name: "Project variables" }).click();
    await onPage(page, "Project variables");
    await expect(valueOf(page.getByRole("table", { name: "Variables", exact: true }), "APP_COLOR")).toHaveText("blue");
    await expectNoSecretsIn(page, [secret, rotated]);
  });
});
