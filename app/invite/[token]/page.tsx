import Link from "next/link";
import { TRPCError } from "@trpc/server";
import { getServerCaller } from "@/server/api/server-caller";
import { currentUser } from "@/server/auth/auth";
import { AuthCard } from "@/components/auth/auth-card";
import { Alert } from "@/components/ui/card";
import { InviteSignUpForm } from "@/components/auth/invite-sign-up-form";
import { AcceptInviteButton } from "@/components/auth/accept-invite-button";

export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const caller = await getServerCaller();
  let invite;
  try {
    invite = await caller.invitation.lookup({ token });
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    return (
      <AuthCard title="Invitation">
        <Alert>{err.message}</Alert>
      </AuthCard>
    );
  }
  const user = await currentUser();
  const subtitle = (
    <>
      You are invited to <strong>{invite.orgName}</strong> as <strong>{invite.role}</strong> ({invite.email}).
    </>
  );
  if (user) {
    return (
      <AuthCard title={`Join ${invite.orgName}`} subtitle={subtitle}>
        <AcceptInviteButton token={token} />
      </AuthCard>
    );
  }
  if (invite.hasAccount) {
    return (
      <AuthCard title={`Join ${invite.orgName}`} subtitle={subtitle}>
        <Link className="text-sm text-sky-600 underline" href={`/sign-in?next=${encodeURIComponent(`/invite/${token}`)}`}>
          Sign in as {invite.email} to accept
        </Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard title={`Join ${invite.orgName}`} subtitle={subtitle}>
      <InviteSignUpForm token={token} email={invite.email} />
    </AuthCard>
  );
}
