import type { PGlite, QueryOptions, Results } from "@electric-sql/pglite";
import { parse, protocol } from "@electric-sql/pglite";

/**
 * PGlite's `query()` parses, analyzes and plans its SQL on every call (an unnamed statement, five
 * protocol round trips into WASM). For the console's hot statements — the same few texts millions
 * of times — that was most of a query's cost: a three-table access check took ~0.8 ms of CPU, ~0.3
 * ms as a prepared statement. This gives the top-level `query()` server-side prepared statements:
 * a text seen often enough is parsed once under a name, then each call is one Bind/Describe/
 * Execute/Sync exchange. Results are read by PGlite's own parser, with the same type parsers and
 * serializers, under the same mutexes as `query()`.
 *
 * Left to PGlite as they were: transactions (their queries run on the transaction object), calls
 * with blobs or explicit parameter types, texts seen only a few times, and anything past the cap.
 */
const NAME_AFTER_USES = 3;
/** Prepared statements live in the WASM heap (their plans too): few, and only the hot ones. */
const MAX_STATEMENTS = 200;
const MAX_TRACKED_TEXTS = 5_000;

type Statement = { name: string; paramTypes: number[] };
type QueryFn = PGlite["query"];

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function installNamedStatements(client: PGlite): void {
  const original: QueryFn = client.query.bind(client);
  const statements = new Map<string, Statement>();
  const uses = new Map<string, number>();
  const mergedParsers = new WeakMap<object, PGlite["parsers"]>();

  async function prepare(text: string): Promise<Statement> {
    const name = `slipway_s${statements.size + 1}`;
    const messages = await client.execProtocolStream(
      concat([protocol.serialize.parse({ name, text }), protocol.serialize.describe({ type: "S", name }), protocol.serialize.sync()]),
      { syncToFs: false },
    );
    const statement = { name, paramTypes: parse.parseDescribeStatementResults(messages) };
    statements.set(text, statement);
    return statement;
  }

  async function run<T>(text: string, params: unknown[], options: QueryOptions | undefined): Promise<Results<T>> {
    const statement = statements.get(text) ?? (await prepare(text));
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const oid = statement.paramTypes[i];
      const serialize = options?.serializers?.[oid] ?? client.serializers[oid];
      return serialize ? serialize(param) : String(param);
    });
    const messages = await client.execProtocolStream(
      concat([
        protocol.serialize.bind({ statement: statement.name, values }),
        protocol.serialize.describe({ type: "P" }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false },
    );
    if (!client.isInTransaction()) await client.syncToFs();
    // parseResults spreads the default parsers and the call's into a new object on every call (drizzle
    // passes the same `parsers` object with each query): merged once per such object instead.
    if (!options?.parsers) return parse.parseResults(messages, client.parsers, options)[0] as Results<T>;
    let parsers = mergedParsers.get(options.parsers);
    if (!parsers) mergedParsers.set(options.parsers, (parsers = { ...client.parsers, ...options.parsers }));
    return parse.parseResults(messages, parsers, { ...options, parsers: undefined })[0] as Results<T>;
  }

  const query = async <T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> => {
    if (options?.blob || options?.paramTypes || !statements.has(text)) {
      const n = (uses.get(text) ?? 0) + 1;
      if (options?.blob || options?.paramTypes || n < NAME_AFTER_USES || statements.size >= MAX_STATEMENTS) {
        if (uses.size >= MAX_TRACKED_TEXTS) uses.clear();
        uses.set(text, n);
        return original<T>(text, params, options);
      }
      uses.delete(text);
    }
    await client._checkReady();
    // The same locks as query(): never inside someone else's transaction, one statement at a time.
    return client._runExclusiveTransaction(() => client._runExclusiveQuery(() => run<T>(text, params ?? [], options)));
  };
  client.query = query as QueryFn;
}
