"use client";
import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { SelectField, TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { fieldError, formError, type ApiError } from "@/components/ui/trpc-errors";
import type { ServiceSpec } from "@/server/services/service-spec";
import { emptyServiceForm, formFromSpec, specFromForm, type ServiceFormValues } from "./service-form-values";

type Props =
  | { mode: "create"; environmentId: string; baseHref: string }
  | { mode: "edit"; serviceId: string; name: string; type: "application" | "worker"; spec: ServiceSpec; baseHref: string; canWrite: boolean };

export function ServiceForm(props: Props) {
  const trpc = useTRPC();
  const router = useRouter();
  const qc = useQueryClient();
  const [v, setV] = useState<ServiceFormValues>(() => (props.mode === "edit" ? formFromSpec(props.name, props.type, props.spec) : emptyServiceForm()));
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<ServiceFormValues>) => {
    setSaved(false);
    setV((cur) => ({ ...cur, ...patch }));
  };
  const create = useMutation(
    trpc.service.create.mutationOptions({
      onSuccess: async (s) => {
        // The environment page's cards are cached: without this, going back shows the list without the new service.
        await qc.invalidateQueries({ queryKey: trpc.service.list.queryKey() });
        router.push(`${props.baseHref}/s/${s.name}`);
      },
    }),
  );
  const update = useMutation(
    trpc.service.update.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        router.refresh();
      },
    }),
  );
  const error: ApiError = create.error ?? update.error;
  const f = (key: string) => fieldError(error, key);
  const readOnly = props.mode === "edit" && !props.canWrite;

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const spec = specFromForm(v);
    if (props.mode === "create") create.mutate({ environmentId: props.environmentId, name: v.name, type: v.type, spec });
    else update.mutate({ serviceId: props.serviceId, spec });
  }

  return (
    <Card className="max-w-2xl">
      <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Service settings">
        {formError(error) ? <Alert>{formError(error)}</Alert> : null}
        {saved ? <Alert tone="success">Saved.</Alert> : null}
        <fieldset disabled={readOnly} className="contents">
          <div className="grid gap-3 sm:grid-cols-2">
            <TextField label="Service name" value={v.name} onChange={(e) => set({ name: e.target.value })} disabled={props.mode === "edit"} error={f("name")} />
            <SelectField label="Type" value={v.type} onChange={(e) => set({ type: e.target.value as ServiceFormValues["type"] })} disabled={props.mode === "edit"} error={f("type")}>
              <option value="application">application (serves HTTP)</option>
              <option value="worker">worker (no port)</option>
            </SelectField>
          </div>
          <div className="grid gap-3 sm:grid-cols-3">
            <SelectField label="Source" value={v.sourceKind} onChange={(e) => set({ sourceKind: e.target.value as ServiceFormValues["sourceKind"] })}>
              <option value="path">Local folder</option>
              <option value="git">Git repository</option>
            </SelectField>
            {v.sourceKind === "path" ? (
              <div className="sm:col-span-2">
                <TextField label="Folder path" value={v.path} onChange={(e) => set({ path: e.target.value })} error={f("spec.source.path") ?? f("spec.source")} placeholder="./examples/hello-node" />
              </div>
            ) : (
              <>
                <TextField label="Git URL" value={v.git} onChange={(e) => set({ git: e.target.value })} error={f("spec.source.git") ?? f("spec.source")} />
                <TextField label="Branch" value={v.branch} onChange={(e) => set({ branch: e.target.value })} error={f("spec.source.branch")} placeholder="main" />
              </>
            )}
          </div>
          <div className="grid gap-3 sm:grid-cols-2">
            <TextField label="Build command" value={v.buildCommand} onChange={(e) => set({ buildCommand: e.target.value })} error={f("spec.build.command")} hint="Detected when empty." />
            <TextField label="Start command" value={v.startCommand} onChange={(e) => set({ startCommand: e.target.value })} error={f("spec.run.command")} hint="Detected when empty." />
          </div>
          <div className="grid gap-3 sm:grid-cols-2">
            <TextField label="Port" inputMode="numeric" value={v.port} onChange={(e) => set({ port: e.target.value })} error={f("spec.port")} hint="The app reads it from $PORT." />
            <TextField label="Health-check path" value={v.healthPath} onChange={(e) => set({ healthPath: e.target.value })} error={f("spec.healthcheck.path")} placeholder="/healthz" />
          </div>
          <div className="grid gap-3 sm:grid-cols-4">
            <TextField label="Min instances" inputMode="numeric" value={v.minInstances} onChange={(e) => set({ minInstances: e.target.value })} error={f("spec.instances.min") ?? f("spec.instances")} />
            <TextField label="Max instances" inputMode="numeric" value={v.maxInstances} onChange={(e) => set({ maxInstances: e.target.value })} error={f("spec.instances.max")} />
            <TextField label="CPU (cores)" inputMode="decimal" value={v.cpu} onChange={(e) => set({ cpu: e.target.value })} error={f("spec.resources.cpu")} />
            <TextField label="Memory (MB)" inputMode="numeric" value={v.memoryMb} onChange={(e) => set({ memoryMb: e.target.value })} error={f("spec.resources.memoryMb")} />
          </div>
        </fieldset>
        {readOnly ? (
          <p className="text-sm text-zinc-500">Your role cannot change this service.</p>
        ) : (
          <div>
            <Button type="submit" disabled={create.isPending || update.isPending}>
              {props.mode === "create" ? "Create service" : "Save changes"}
            </Button>
          </div>
        )}
      </form>
    </Card>
  );
}
