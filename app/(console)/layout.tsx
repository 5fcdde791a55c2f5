import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { currentUser } from "@/server/auth/auth";
import { getServerCaller } from "@/server/api/server-caller";
import { signOutAction } from "@/server/actions/auth-actions";
import { OrgSwitcher } from "@/components/orgs/org-switcher";
import { IsolationBanner } from "@/components/ui/isolation-banner";
import { isolationStatus } from "@/server/runtime/process/isolation-status";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  const orgs = await (await getServerCaller()).organization.list();
  // Owners decide where the console runs: they are told plainly when services are not kept apart.
  const isolationWarnings = orgs.some((o) => o.role === "owner") ? isolationStatus().warnings : [];
  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-10 border-b border-zinc-200 bg-white/90 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/90">
        <div className="mx-auto flex h-12 max-w-6xl items-center gap-4 px-4">
          <Link href="/" className="text-sm font-semibold text-sky-600">
            Slipway
          </Link>
          <OrgSwitcher orgs={orgs.map((o) => ({ slug: o.slug, name: o.name }))} />
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-zinc-500" data-testid="current-user">
              {user.email}
            </span>
            <form action={signOutAction}>
              <button type="submit" className="rounded px-2 py-1 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
                Sign out
              </button>
            </form>
          </div>
        </div>
        <IsolationBanner warnings={isolationWarnings} />
      </header>
      <div className="mx-auto max-w-6xl px-4 py-6">{children}</div>
    </div>
  );
}
