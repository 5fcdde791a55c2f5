import type { inferRouterInputs } from "@trpc/server";
import { appRouter, type AppRouter } from "@/server/api/root";
import type { Caller } from "./context";

type Inputs = inferRouterInputs<AppRouter>;
type RouterKey = keyof Inputs & string;

/** "project.create" and friends: every procedure path of the app router. */
export type ProcedurePath = { [R in RouterKey]: `${R}.${keyof Inputs[R] & string}` }[RouterKey];
export type InputOf<P extends ProcedurePath> = P extends `${infer R extends RouterKey}.${infer Q}` ? (Q extends keyof Inputs[R] ? Inputs[R][Q] : never) : never;

type ProcedureType = "query" | "mutation" | "subscription";
// At runtime `_def.procedures` is flat ("project.create" → procedure); its static type is the nested record.
const flat = appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureType } }>;

/** Every procedure of the router with its type, read from the router itself (so new ones show up). */
export const routerProcedures = (): { path: string; type: ProcedureType }[] => Object.entries(flat).map(([path, p]) => ({ path, type: p._def.type }));

/** Calls a procedure by path with any input, as the HTTP handler would resolve it (input is validated by the procedure). */
export function callPath(api: Caller, path: ProcedurePath, input: unknown): Promise<unknown> {
  const [router, name] = path.split(".");
  const fn = (api as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>)[router][name];
  return fn(input);
}
