import type { TRPCClientErrorLike } from "@trpc/client";
import type { AppRouter } from "@/server/api/root";

export type ApiError = TRPCClientErrorLike<AppRouter> | null;

/** Messages for one field from a failed mutation (zod or service-level), keyed like "spec.port". */
export const fieldError = (error: ApiError, field: string) => error?.data?.fieldErrors?.[field] ?? null;

/** The form-level message, when the error is not about any one field. */
export const formError = (error: ApiError) => (error && !error.data?.fieldErrors ? error.message : null);
