import { vi } from "vitest";
import type { Db } from "@/db/client";

/**
 * Records the SQL text of every statement the database client is sent from now on (PGlite takes SQL
 * text; node-postgres a query config). `vi.restoreAllMocks()` stops recording.
 */
export function countQueries(db: Db): string[] {
  const client = (db as unknown as { $client: { query: (q: unknown, ...rest: unknown[]) => unknown } }).$client;
  const texts: string[] = [];
  const original = client.query.bind(client);
  vi.spyOn(client, "query").mockImplementation((q: unknown, ...rest: unknown[]) => {
    texts.push(typeof q === "string" ? q : String((q as { text?: string }).text ?? ""));
    return original(q, ...rest);
  });
  return texts;
}
