import { z } from "zod";
import { requiredMessage } from "./type-names";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Project, environment, service and organization names: they end up in hostnames. */
export const dnsLabel = (what: string) =>
  z
    .string({ error: requiredMessage(`${what} name is required`) })
    .min(1, { error: `${what} name is required` })
    .max(40, { error: `${what} name must be at most 40 characters` })
    .regex(DNS_LABEL, {
      error: `${what} name may use only lowercase letters, digits and dashes, and must not start or end with a dash`,
    });

export const uuidSchema = z.uuid({ error: "must be an id (uuid)" });
