"use client";
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "@/components/trpc/trpc";
import type { ApiError } from "@/components/ui/trpc-errors";
import { FeedStore } from "./feed-store";

export type LogFilters = { deploymentId?: string; instanceId?: string; stream?: "stdout" | "stderr" | "build" | "system"; text?: string; regex: boolean };
/** A stored window to show instead of the live tail: lines from `from` (to `until`), or up to `until`. */
export type LogRange = { from?: Date; until?: Date };

const PAGE = 1000;
const LIVE_TAIL = 500;

export const resumeKey = (serviceId: string, f: LogFilters) => `slipway.logs:${serviceId}:${JSON.stringify([f.deploymentId, f.instanceId, f.stream, f.text, f.regex])}`;

function readResume(key: string): number | null {
  try {
    const v = Number(sessionStorage.getItem(key));
    return Number.isInteger(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}

/**
 * The viewer's data for one filter set and range (the caller remounts it when they change): a bounded
 * buffer fed by the live subscription, or by history pages for a range, with older pages on demand.
 * After a reload the live tail resumes from the newest line shown before (sessionStorage, per service
 * and filters): the lines up to it come back from history and the stream continues after it, so
 * nothing is shown twice and nothing is missed. Client-only (it reads sessionStorage when created).
 */
export function useLogFeed({
  serviceId,
  filters,
  range,
  onInstances,
  onError,
}: {
  serviceId: string;
  filters: LogFilters;
  range: LogRange | null;
  /** Instance ids seen in new lines. */
  onInstances: (ids: string[]) => void;
  onError: (err: ApiError) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [{ store, resumeFrom }] = useState(() => {
    const key = range ? null : resumeKey(serviceId, filters);
    return { store: new FeedStore(key, onInstances), resumeFrom: key ? readResume(key) : null };
  });
  const view = useSyncExternalStore(store.subscribe, store.getView, store.getView);
  // Live without a resume point: older lines may exist; the first "load older" finds out.
  const [more, setMore] = useState({ older: range === null && resumeFrom === null, newer: false });
  const [loading, setLoading] = useState(range !== null);
  const [shift, setShift] = useState({ rows: 0 });

  const history = useCallback(
    (input: { direction: "backward" | "forward"; beforeId?: number; afterId?: number; from?: Date; to?: Date }) =>
      queryClient.fetchQuery({ ...trpc.logs.history.queryOptions({ serviceId, ...filters, limit: PAGE, ...input }), staleTime: 0 }),
    [queryClient, trpc, serviceId, filters],
  );

  // The first page: a range's window, or (resuming after a reload) the lines up to the newest shown.
  useEffect(() => {
    if (!range && resumeFrom === null) return;
    let cancelled = false;
    const forward = range?.from !== undefined;
    const first = range ? history({ direction: forward ? "forward" : "backward", from: range.from, to: range.until }) : history({ direction: "backward", beforeId: (resumeFrom ?? 0) + 1 });
    first
      .then((page) => {
        if (cancelled) return;
        store.prepend(page.lines);
        setMore(forward ? { older: false, newer: page.more } : { older: page.more, newer: false });
      })
      .catch((err: ApiError) => !cancelled && onError(err))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [range, resumeFrom, history, store, onError]);
  useEffect(() => () => store.dispose(), [store]);

  const input = useMemo(() => ({ serviceId, ...filters, ...(resumeFrom !== null ? { lastEventId: String(resumeFrom), tail: 0 } : { tail: LIVE_TAIL }) }), [serviceId, filters, resumeFrom]);
  const subscription = useSubscription(
    trpc.logs.watch.subscriptionOptions(input, {
      enabled: range === null,
      onData: ({ data }) => {
        if (data.type === "skipped") store.push({ id: data.toId, skipped: data.count });
        else for (const line of data.lines) store.push(line);
      },
      onError,
    }),
  );

  const loadOlder = useCallback(async () => {
    const first = store.buffer.firstId;
    if (first === null) return;
    setLoading(true);
    try {
      const page = await history({ direction: "backward", beforeId: first, from: range?.from, to: range?.until });
      setShift({ rows: store.prepend(page.lines) });
      setMore((m) => ({ ...m, older: page.more }));
    } catch (err) {
      onError(err as ApiError);
    } finally {
      setLoading(false);
    }
  }, [history, range, store, onError]);

  const loadNewer = useCallback(async () => {
    const last = store.buffer.lastId;
    if (last === null) return;
    setLoading(true);
    try {
      const page = await history({ direction: "forward", afterId: last, from: range?.from, to: range?.until });
      store.append(page.lines);
      setMore((m) => ({ ...m, newer: page.more }));
    } catch (err) {
      onError(err as ApiError);
    } finally {
      setLoading(false);
    }
  }, [history, range, store, onError]);

  const live = range === null;
  return { view, loading, live, status: live ? subscription.status : "idle", moreOlder: more.older, moreNewer: more.newer, loadOlder, loadNewer, shift };
}
