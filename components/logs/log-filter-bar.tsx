"use client";
import { useEffect, useState } from "react";
import { regexProblem } from "@/server/logs/log-pattern";
import type { LogFilters } from "./use-log-feed";

const INPUT = "rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900";

export type DeploymentChoice = { id: string; label: string };

/**
 * Deployment, instance, stream and text filters. Text applies after a short pause in typing; a bad
 * regular expression is shown under the field (the parse error) and never sent.
 */
export function LogFilterBar({
  filters,
  onChange,
  deployments,
  instances,
  serverTextError,
}: {
  filters: LogFilters;
  onChange: (f: LogFilters) => void;
  deployments: DeploymentChoice[];
  instances: string[];
  serverTextError: string | null;
}) {
  const [text, setText] = useState(filters.text ?? "");
  const [regex, setRegex] = useState(filters.regex);
  const problem = regex && text ? regexProblem(text) : null;
  useEffect(() => {
    if (problem) return;
    const wanted = text || undefined;
    if (wanted === filters.text && regex === filters.regex) return;
    // Wait for a pause in typing: one subscription per search, not per key.
    const t = setTimeout(() => onChange({ ...filters, text: wanted, regex }), 300);
    return () => clearTimeout(t);
  }, [text, regex, problem, filters, onChange]);
  const textError = problem ?? serverTextError;
  return (
    <div className="flex flex-wrap items-start gap-2 text-sm">
      <label className="flex flex-col gap-0.5">
        <span className="text-xs text-zinc-500">Deployment</span>
        <select className={INPUT} value={filters.deploymentId ?? ""} onChange={(e) => onChange({ ...filters, deploymentId: e.target.value || undefined })} aria-label="Deployment">
          <option value="">All deployments</option>
          {deployments.map((d) => (
            <option key={d.id} value={d.id}>
              {d.label}
            </option>
          ))}
          {filters.deploymentId && !deployments.some((d) => d.id === filters.deploymentId) ? <option value={filters.deploymentId}>{filters.deploymentId.slice(0, 8)}</option> : null}
        </select>
      </label>
      <label className="flex flex-col gap-0.5">
        <span className="text-xs text-zinc-500">Instance</span>
        <select className={INPUT} value={filters.instanceId ?? ""} onChange={(e) => onChange({ ...filters, instanceId: e.target.value || undefined })} aria-label="Instance">
          <option value="">All instances</option>
          {[...new Set([...instances, ...(filters.instanceId ? [filters.instanceId] : [])])].map((i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-0.5">
        <span className="text-xs text-zinc-500">Stream</span>
        <select className={INPUT} value={filters.stream ?? ""} onChange={(e) => onChange({ ...filters, stream: (e.target.value || undefined) as LogFilters["stream"] })} aria-label="Stream">
          <option value="">All streams</option>
          <option value="stdout">stdout</option>
          <option value="stderr">stderr</option>
          <option value="build">build</option>
          <option value="system">system</option>
        </select>
      </label>
      <div className="flex min-w-64 flex-1 flex-col gap-0.5">
        <label htmlFor="log-search" className="text-xs text-zinc-500">
          {regex ? "Regular expression" : "Search"}
        </label>
        <div className="flex items-center gap-2">
          <input
            id="log-search"
            className={`${INPUT} flex-1 font-mono ${textError ? "border-red-500" : ""}`}
            value={text}
            placeholder={regex ? "^GET /api/.*\\b5\\d\\d$" : "text in the line"}
            onChange={(e) => setText(e.target.value)}
            aria-invalid={textError ? true : undefined}
            aria-describedby={textError ? "log-search-error" : undefined}
          />
          <label className="flex items-center gap-1 text-xs">
            <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} />
            Regex
          </label>
        </div>
        {textError ? (
          <span id="log-search-error" role="alert" className="text-xs text-red-600">
            {textError}
          </span>
        ) : null}
      </div>
    </div>
  );
}
