/** A stable colour per instance id, so lines of one instance are recognisable at a glance. */
const PALETTE = ["#0ea5e9", "#a855f7", "#f59e0b", "#10b981", "#ef4444", "#6366f1", "#ec4899", "#14b8a6", "#84cc16", "#f97316"];

export function instanceColor(instanceId: string | null): string {
  if (!instanceId) return "#71717a";
  let h = 0;
  for (let i = 0; i < instanceId.length; i++) h = (h * 31 + instanceId.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}

/** Instance ids are `<service>-<deployment prefix>-<n>`-like and long: the last part tells them apart. */
export const shortInstance = (instanceId: string | null): string => (instanceId ? instanceId.slice(-15) : "—");
