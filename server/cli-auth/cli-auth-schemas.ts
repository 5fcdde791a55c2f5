import { z } from "zod";

export const cliLoginInput = z.object({
  email: z.string().trim().min(1, { error: "email is required" }).max(320),
  password: z.string().min(1, { error: "password is required" }).max(200),
  /** The organization's slug; needed only when the person belongs to several. */
  org: z.string().trim().min(1).max(60).optional(),
  /** Names the token `cli@<hostname>` so a person can tell their machines' tokens apart. */
  hostname: z.string().trim().max(60).optional(),
});

export type CliLoginInput = z.infer<typeof cliLoginInput>;
