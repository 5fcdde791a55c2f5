"use client";
import { formatBytes, formatNumber } from "./format";

type Sample = { t: number; perInstance: { id: string; cpu: number; rss: number }[] };

/** Each instance's CPU and memory in the newest sample (pushed live). */
export function InstanceTable({ sample }: { sample: Sample | undefined }) {
  if (!sample) return null;
  return (
    <div className="mt-5">
      <h3 className="mb-2 text-sm font-semibold">Instances now</h3>
      {sample.perInstance.length === 0 ? (
        <p className="text-sm text-zinc-500">No instance running.</p>
      ) : (
        <table className="w-full max-w-xl text-left text-sm" aria-label="Instances now">
          <thead className="text-xs text-zinc-500">
            <tr>
              <th className="py-1 font-medium">Instance</th>
              <th className="py-1 font-medium">CPU %</th>
              <th className="py-1 font-medium">Memory</th>
            </tr>
          </thead>
          <tbody>
            {sample.perInstance.map((i) => (
              <tr key={i.id} className="border-t border-zinc-100 dark:border-zinc-800">
                <td className="py-1 font-mono text-xs">{i.id}</td>
                <td className="py-1">{formatNumber(i.cpu)}</td>
                <td className="py-1">{formatBytes(i.rss)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="mt-1 text-xs text-zinc-500">sampled {new Date(sample.t).toLocaleTimeString()}</p>
    </div>
  );
}
