"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { SelectField, TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert, Badge, Card } from "@/components/ui/card";
import { fieldError, formError } from "@/components/ui/trpc-errors";

const MODES = ["production", "staging", "development", "preview"] as const;
type Mode = (typeof MODES)[number];

export function EnvironmentList({ projectId, baseHref, canWrite }: { projectId: string; baseHref: string; canWrite: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const envs = useQuery(trpc.environment.list.queryOptions({ projectId }));
  const [name, setName] = useState("");
  const [mode, setMode] = useState<Mode>("staging");
  const create = useMutation(
    trpc.environment.create.mutationOptions({
      onSuccess: () => {
        setName("");
        return qc.invalidateQueries({ queryKey: trpc.environment.list.queryKey({ projectId }) });
      },
    }),
  );
  return (
    <div className="grid gap-6 md:grid-cols-[1fr_18rem]">
      <div className="grid content-start gap-3 sm:grid-cols-2">
        {envs.data?.length === 0 ? <p className="text-sm text-zinc-500">No environments yet.</p> : null}
        {envs.data?.map((e) => (
          <Link key={e.id} href={`${baseHref}/e/${e.name}`}>
            <Card className="hover:border-sky-400">
              <div className="flex items-center justify-between">
                <span className="font-medium">{e.name}</span>
                <Badge>{e.mode}</Badge>
              </div>
              <div className="mt-2 text-xs text-zinc-500">
                {e.serviceCount} service{e.serviceCount === 1 ? "" : "s"} · runtime {e.runtime}
              </div>
            </Card>
          </Link>
        ))}
      </div>
      {canWrite ? (
        <Card>
          <h2 className="mb-3 text-sm font-semibold">New environment</h2>
          <form
            className="flex flex-col gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate({ projectId, name, mode });
            }}
          >
            {formError(create.error) ? <Alert>{formError(create.error)}</Alert> : null}
            <TextField label="Environment name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} />
            <SelectField label="Mode" value={mode} onChange={(e) => setMode(e.target.value as Mode)} error={fieldError(create.error, "mode")}>
              {MODES.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </SelectField>
            <Button type="submit" disabled={create.isPending}>
              Create environment
            </Button>
          </form>
        </Card>
      ) : null}
    </div>
  );
}
