/** A raw `db.execute` result's rows: both drivers (PGlite, node-postgres) answer `{ rows }`; Db's driver-neutral type does not say so. */
export type Row = Record<string, unknown>;
export const rowsOf = (r: unknown): Row[] => (Array.isArray(r) ? (r as Row[]) : ((r as { rows?: Row[] }).rows ?? []));
