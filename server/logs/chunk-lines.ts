import "server-only";
import { sql, type SQL } from "drizzle-orm";

/**
 * How a stored chunk (a `log_chunks` row, see db/schema/runtime.ts) becomes lines in SQL, defined once
 * for every reader, pruner and rewriter: `linesOf("c")` expands chunk `c` into lines `u` with the
 * columns `line`, `instance_id`, `stream`, `at` and `ord` (from 1); `lineId("c")` is a line's id.
 */
export type ChunkAlias = "c" | "g";

export const linesOf = (chunk: ChunkAlias): SQL =>
  sql`cross join lateral unnest(${sql.raw(chunk)}.lines, ${sql.raw(chunk)}.instance_ids, ${sql.raw(chunk)}.streams, ${sql.raw(chunk)}.ats) with ordinality as u(line, instance_id, stream, at, ord)`;

/** A line's id: its chunk's first id plus its place in the chunk. */
export const lineId = (chunk: ChunkAlias): SQL => sql`(${sql.raw(chunk)}.first_id + u.ord - 1)`;
