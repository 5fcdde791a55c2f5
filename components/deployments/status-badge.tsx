const DEPLOYMENT_TONE: Record<string, string> = {
  QUEUED: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  PRECHECK: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  BUILDING: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  DEPLOYING: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  DEPLOYED: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  BUILD_ERROR: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  DEPLOYMENT_ERROR: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  CANCELING: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  CANCELED: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
};

export function DeploymentStatusBadge({ status, testId = "deployment-status" }: { status: string; testId?: string }) {
  return (
    <span data-testid={testId} className={`rounded px-1.5 py-0.5 font-mono text-xs font-semibold ${DEPLOYMENT_TONE[status] ?? DEPLOYMENT_TONE.QUEUED}`}>
      {status}
    </span>
  );
}

const RUNNING: Record<string, { label: string; dot: string }> = {
  NOT_DEPLOYED: { label: "Not deployed", dot: "bg-zinc-400" },
  STARTING: { label: "Starting", dot: "bg-sky-500 animate-pulse" },
  RUNNING: { label: "Running", dot: "bg-emerald-500" },
  DEGRADED: { label: "Degraded", dot: "bg-amber-500" },
  STOPPED: { label: "Stopped", dot: "bg-zinc-500" },
  ERROR: { label: "Error", dot: "bg-red-500" },
};

export function RunningStatus({ status }: { status: string }) {
  const s = RUNNING[status] ?? RUNNING.NOT_DEPLOYED;
  return (
    <span className="inline-flex items-center gap-1.5">
      <span className={`inline-block h-2 w-2 rounded-full ${s.dot}`} aria-hidden />
      <span data-testid="service-status">{s.label}</span>
    </span>
  );
}
