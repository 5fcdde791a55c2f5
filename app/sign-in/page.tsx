import { redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { hasUsers } from "@/server/users/has-users";
import { currentUser } from "@/server/auth/auth";
import { AuthCard } from "@/components/auth/auth-card";
import { SignInForm } from "@/components/auth/sign-in-form";

export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  if (!(await hasUsers(await getDb()))) redirect("/setup");
  const { next } = await searchParams;
  if (await currentUser()) redirect(next?.startsWith("/") ? next : "/");
  return (
    <AuthCard title="Sign in">
      <SignInForm next={next ?? "/"} />
    </AuthCard>
  );
}
