import os from "node:os";
import { expect, test } from "@playwright/test";
import { unique } from "./support/accounts";
import { createOrg, createService, createShopStaging } from "./support/org";
import { ROUTER_PORT } from "../playwright.config";

test.setTimeout(240_000);

test("deploy hello-node, send requests, watch the requests and latency charts move, with a deployment marker", async ({ page, context }) => {
  const org = unique("metrics");
  await createOrg(page, org);
  await createShopStaging(page);
  await createService(page);
  const servicePage = page.url();
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page.getByTestId("deployment-status")).toHaveText("DEPLOYED", { timeout: 90_000 });

  // The metrics page, reached from the service page as a person would.
  await page.goto(servicePage);
  await page.getByRole("link", { name: "Metrics" }).click();
  await expect(page).toHaveURL(/\/s\/web\/metrics$/);
  await expect(page.getByRole("heading", { name: "Metrics of web" })).toBeVisible();
  for (const title of ["Requests", "Latency", "Errors", "CPU", "Memory (RSS)", "Instances"]) await expect(page.getByRole("heading", { name: title, exact: true })).toBeVisible();
  await expect(page.getByTestId("metrics-range")).toContainText("Live");
  // The deployment shows as a marker, in the list and on the charts.
  await expect(page.getByRole("list", { name: "Deployment markers" }).getByTestId("marker-status")).toHaveText(["DEPLOYED"]);
  await expect(page.locator(".recharts-reference-line").first()).toBeAttached();
  // The instance is sampled: one instance, some memory.
  await expect(page.getByTestId("summary-instances")).toContainText("instances: 1", { timeout: 30_000 });
  await expect(page.getByTestId("summary-memory")).not.toHaveText("memory: 0 MB");
  // Per instance, from the newest sample: a header row and the one instance.
  await expect(page.getByRole("table", { name: "Instances now" }).getByRole("row")).toHaveCount(2, { timeout: 30_000 });

  const requests = page.getByTestId("summary-requests");
  const latency = page.getByTestId("summary-latency");
  await expect(requests).toHaveText("requests/s: 0.0", { timeout: 30_000 });
  const latencyBefore = await latency.textContent();

  // Traffic through Slipway's router, from a page of the app itself.
  const app = await context.newPage();
  await app.goto(`http://web.staging.shop.${org}.localhost:${ROUTER_PORT}/`);
  await expect(app.locator("body")).toHaveText("hello");
  await app.evaluate(async () => {
    for (let i = 0; i < 300; i++) await fetch(`/?i=${i}`, { cache: "no-store" });
    for (let i = 0; i < 20; i++) await fetch(`/missing-${i}`, { cache: "no-store" });
  });

  // No reload: the next samples arrive over SSE and the summaries change.
  await expect(requests).not.toHaveText("requests/s: 0.0", { timeout: 30_000 });
  await expect(latency).not.toHaveText(latencyBefore ?? "", { timeout: 30_000 });
  await expect(page.getByTestId("summary-errors")).not.toHaveText("4xx/s: 0.00 · 5xx/s: 0.00", { timeout: 30_000 });

  // Longer ranges read rollups and stay within 500 points.
  for (const range of ["24 h", "7 d", "30 d"]) {
    await page.getByRole("button", { name: range, exact: true }).click();
    await expect(page.getByRole("button", { name: range, exact: true })).toHaveAttribute("aria-pressed", "true");
    await expect(page.getByTestId("metrics-range")).toContainText("points");
  }

  // A custom range that ends before it starts is refused, naming "To".
  const custom = page.getByRole("form", { name: "Custom range" });
  await custom.getByLabel("From").fill("2026-01-02T10:00");
  await custom.getByLabel("To").fill("2026-01-01T10:00");
  await custom.getByRole("button", { name: "Apply range" }).click();
  await expect(custom.getByRole("alert")).toHaveText(/must be after from/);

  // The environment overview shows the service with a sparkline.
  await page.goto(servicePage.replace(/\/s\/web$/, ""));
  await expect(page.getByTestId("service-sparkline")).toBeVisible();
  // Live: newer samples re-read the overview without a reload (pushed over SSE; nothing polls).
  const spark = page.getByTestId("service-sparkline").getByRole("img");
  const sparkBefore = await spark.getAttribute("aria-label");
  await app.evaluate(async () => {
    for (let i = 0; i < 200; i++) await fetch(`/?again=${i}`, { cache: "no-store" });
  });
  await expect(spark).not.toHaveAttribute("aria-label", sparkBefore ?? "", { timeout: 30_000 });
});

test("/metrics answers loopback in Prometheus format and refuses other addresses, forged headers or not", async ({ request, baseURL }) => {
  const res = await request.get("/metrics");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toContain("text/plain; version=0.0.4");
  const body = await res.text();
  expect(body).toContain("# TYPE slipway_deploy_duration_seconds histogram");
  expect(body).toMatch(/^slipway_deployments\{status="DEPLOYED"\} \d+$/m);
  expect(body).toMatch(/^slipway_deploy_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);

  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
  test.skip(!external, "no non-loopback address on this machine");
  const port = new URL(baseURL ?? "").port;
  const outside = `http://${external}:${port}/metrics`;
  expect((await request.get(outside)).status()).toBe(403);
  expect((await request.get(outside, { headers: { "x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1", "x-slipway-peer-address": "127.0.0.1", "x-slipway-client-address": "forged 127.0.0.1 direct 127.0.0.1 1 - 1", forwarded: "for=127.0.0.1" } })).status()).toBe(403);
});
