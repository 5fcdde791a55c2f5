import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";

const DAY = 86_400_000;
/** The widest range a chart may ask for: the hour tier's retention. */
export const MAX_RANGE_DAYS = Number(process.env.SLIPWAY_METRICS_HOUR_DAYS || 90);

const instant = z.coerce.date({ error: "must be a date and time" });

/** A time range: `to` after `from`, no wider than retention. Errors name the field that is wrong. */
function checkRange(r: { from: Date; to: Date }, ctx: z.RefinementCtx) {
  if (Number.isNaN(r.from.getTime()) || Number.isNaN(r.to.getTime())) return;
  if (r.to.getTime() <= r.from.getTime()) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  else if (r.to.getTime() - r.from.getTime() > MAX_RANGE_DAYS * DAY)
      ctx.addIssue({ code: "custom", path: ["from"], message: `the range from … to is wider than the ${MAX_RANGE_DAYS}-day retention` });
  else if (r.from.getTime() < Date.now() - MAX_RANGE_DAYS * DAY)
      ctx.addIssue({ code: "custom", path: ["from"], message: `is older than the ${MAX_RANGE_DAYS}-day retention` });
}

export const serviceMetricsInput = z.object({ serviceId: uuidSchema, from: instant, to: instant }).superRefine(checkRange);
export const environmentMetricsInput = z.object({ environmentId: uuidSchema });
export const watchMetricsInput = z.object({ serviceId: uuidSchema, lastEventId: z.string().regex(/^\d+$/).optional() });
export const watchEnvironmentMetricsInput = z.object({ environmentId: uuidSchema, lastEventId: z.string().regex(/^\d+$/).optional() });
