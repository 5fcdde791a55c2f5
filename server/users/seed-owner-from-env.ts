import "server-only";
import type { Db } from "@/db/client";
import { createOwner } from "./create-owner";
import { hasUsers } from "./has-users";
import { createOwnerInput } from "./user-schemas";

/** SLIPWAY_ADMIN_EMAIL + SLIPWAY_ADMIN_PASSWORD create the owner without a browser, on first start only. */
export async function seedOwnerFromEnv(db: Db): Promise<void> {
  const email = process.env.SLIPWAY_ADMIN_EMAIL;
  const password = process.env.SLIPWAY_ADMIN_PASSWORD;
  if (!email || !password || (await hasUsers(db))) return;
  const parsed = createOwnerInput.safeParse({ name: email.split("@")[0], email, password });
  if (!parsed.success) {
    throw new Error(`SLIPWAY_ADMIN_EMAIL / SLIPWAY_ADMIN_PASSWORD are not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  await createOwner({ db, input: parsed.data, meta: { source: "api", ip: null } });
  console.log(`[slipway] created the owner account ${parsed.data.email} from SLIPWAY_ADMIN_EMAIL`);
}
