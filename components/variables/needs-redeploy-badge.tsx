/** Shown on a service whose effective variables changed since its running deployment. */
export function NeedsRedeployBadge() {
  return (
    <span
      data-testid="needs-redeploy"
      title="Variables changed since the running deployment: redeploy to apply them"
      className="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-950 dark:text-amber-300"
    >
      Needs redeploy
    </span>
  );
}
