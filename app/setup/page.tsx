import { redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { hasUsers } from "@/server/users/has-users";
import { AuthCard } from "@/components/auth/auth-card";
import { OwnerSetupForm } from "@/components/auth/owner-setup-form";

export const dynamic = "force-dynamic";

export default async function SetupPage() {
  if (await hasUsers(await getDb())) redirect("/sign-in");
  return (
    <AuthCard title="Create the owner account" subtitle="This is a new Slipway. The first account owns it.">
      <OwnerSetupForm />
    </AuthCard>
  );
}
