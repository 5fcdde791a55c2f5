import "server-only";
import { STATUS_CODES } from "node:http";
import type { RouteInfo } from "./types";

/** The pages the router answers with itself: no route (404), starting or no instance (503), upstream error (502). */

export type ErrorPage = { status: number; headers: [string, string][]; body: Buffer };

/** Seconds a client should wait before retrying a 503 (an instance is usually starting or restarting). */
export const RETRY_AFTER_SECONDS = 5;

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? "Unknown";
}

/** "web (shop/staging)", with environment and project from RouteInfo or else from `<svc>.<env>.<project>.<tld>`. */
export function describeService(info: RouteInfo, hostname: string): string {
  let env = info.environmentName;
  let project = info.projectName;
  if (!env || !project) {
    const labels = hostname.split(".");
    if (labels.length >= 4) {
      env ??= labels[1];
      project ??= labels[2];
    }
  }
  if (env && project) return `${info.serviceName} (${project}/${env})`;
  return info.serviceName;
}

export function noRoutePage(hostname: string, wantsHtml: boolean): ErrorPage {
  const shown = hostname || "(no Host header)";
  return page(
    404,
    "No service here",
    `No service is routed to ${shown}.`,
    "Check the address, or deploy a service with this hostname in Slipway.",
    wantsHtml,
  );
}

/** Seconds a client should wait before retrying while the router restores its routes after a restart. */
export const STARTING_RETRY_AFTER_SECONDS = 2;

/** Unknown hostname before the routes of a restart are restored: it may be one of them, so not a 404. */
export function startingPage(wantsHtml: boolean): ErrorPage {
  const p = page(
    503,
    "Starting",
    "Slipway is starting: the services of this machine are being brought back.",
    "Try again in a few seconds.",
    wantsHtml,
  );
  p.headers.push(["retry-after", String(STARTING_RETRY_AFTER_SECONDS)]);
  return p;
}

export function noInstancePage(info: RouteInfo, hostname: string, wantsHtml: boolean): ErrorPage {
  const p = page(
    503,
    "No healthy instance",
    `The service ${describeService(info, hostname)} has no healthy instance right now.`,
    "It may be starting, restarting or stopped. Try again in a few seconds.",
    wantsHtml,
  );
  p.headers.push(["retry-after", String(RETRY_AFTER_SECONDS)]);
  return p;
}

export function upstreamErrorPage(info: RouteInfo, hostname: string, wantsHtml: boolean): ErrorPage {
  return page(
    502,
    "Upstream error",
    `The service ${describeService(info, hostname)} did not answer: its instances refused or dropped the connection.`,
    "Its logs in Slipway usually say why.",
    wantsHtml,
  );
}

/** A plain-text page (router errors that are not about a service). */
export function textPage(status: number, text: string): ErrorPage {
  return { status, headers: [["content-type", "text/plain; charset=utf-8"]], body: Buffer.from(text) };
}

/** Raw HTTP/1.1 bytes of a page, for sockets that left the HTTP server (upgrade requests). */
export function rawResponse(p: ErrorPage): Buffer {
  let head = `HTTP/1.1 ${p.status} ${reasonPhrase(p.status)}\r\n`;
  for (const [name, value] of p.headers) head += `${name}: ${value}\r\n`;
  head += `content-length: ${p.body.length}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), p.body]);
}

function page(status: number, title: string, message: string, hint: string, wantsHtml: boolean): ErrorPage {
  const headers: [string, string][] = [["cache-control", "no-store"]];
  if (!wantsHtml) {
    headers.push(["content-type", "text/plain; charset=utf-8"]);
    return { status, headers, body: Buffer.from(`${status} ${title}\n\n${message}\n${hint}\n\n— Slipway router\n`) };
  }
  headers.push(["content-type", "text/html; charset=utf-8"]);
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(title)}</title>` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:15vh auto;padding:0 1rem;color:#222}` +
    `h1{font-size:1.4rem}small{color:#777}</style></head><body>` +
    `<h1>${status} · ${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p>${escapeHtml(hint)}</p>` +
    `<small>Slipway router</small></body></html>\n`;
  return { status, headers, body: Buffer.from(html) };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
