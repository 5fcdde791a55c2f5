"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { fieldError, formError } from "@/components/ui/trpc-errors";

export function ProjectList({ orgId, orgSlug, canWrite }: { orgId: string; orgSlug: string; canWrite: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const projects = useQuery(trpc.project.list.queryOptions({ orgId }));
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation(
    trpc.project.create.mutationOptions({
      onSuccess: () => {
        setName("");
        setDescription("");
        return qc.invalidateQueries({ queryKey: trpc.project.list.queryKey({ orgId }) });
      },
    }),
  );
  return (
    <div className="grid gap-6 md:grid-cols-[1fr_18rem]">
      <div className="grid content-start gap-3 sm:grid-cols-2">
        {projects.isLoading ? <p className="text-sm text-zinc-500">Loading…</p> : null}
        {projects.data?.length === 0 ? <p className="text-sm text-zinc-500">No projects yet.</p> : null}
        {projects.data?.map((p) => (
          <Link key={p.id} href={`/o/${orgSlug}/p/${p.name}`} className="block">
            <Card className="hover:border-sky-400">
              <div className="font-medium">{p.name}</div>
              <div className="mt-1 text-sm text-zinc-500">{p.description || "No description"}</div>
              <div className="mt-2 text-xs text-zinc-500">
                {p.environmentCount} environment{p.environmentCount === 1 ? "" : "s"}
              </div>
            </Card>
          </Link>
        ))}
      </div>
      {canWrite ? (
        <Card>
          <h2 className="mb-3 text-sm font-semibold">New project</h2>
          <form
            className="flex flex-col gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate({ orgId, name, description });
            }}
          >
            {formError(create.error) ? <Alert>{formError(create.error)}</Alert> : null}
            <TextField label="Project name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} hint="Lowercase letters, digits and dashes." />
            <TextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} error={fieldError(create.error, "description")} />
            <Button type="submit" disabled={create.isPending}>
              Create project
            </Button>
          </form>
        </Card>
      ) : null}
    </div>
  );
}
