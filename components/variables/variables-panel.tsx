"use client";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { VariableTable } from "./variable-table";
import { VariableForm } from "./variable-form";
import { EnvTextEditor } from "./env-text-editor";
import { ImportEnvDialog } from "./import-env-dialog";
import { ExportEnvButton } from "./export-env-button";
import type { VariableScope } from "./variable-types";

type Props = { scope: VariableScope; canWrite: boolean; exportName: string; title?: string };

/** One scope's variables: table with in-place edit/delete, an add form, bulk .env editing, import and export. */
export function VariablesPanel({ scope, canWrite, exportName, title = "Variables" }: Props) {
  const [bulk, setBulk] = useState(false);
  const [importing, setImporting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (summary: string) => {
    setNotice(summary);
    setBulk(false);
    setImporting(false);
  };
  return (
    <section aria-label={title} className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">{title}</h2>
        <div className="flex flex-wrap items-start gap-2">
          {canWrite ? (
            <>
              <Button variant="secondary" onClick={() => {
                  setNotice(null);
                  setBulk((b) => !b);
                }} aria-pressed={bulk}>
                {bulk ? "Back to table" : "Edit as .env"}
              </Button>
              <Button variant="secondary" onClick={() => {
                  setNotice(null);
                  setImporting(true);
                }}>
                Import .env
              </Button>
            </>
          ) : null}
          <ExportEnvButton scope={scope} fileName={exportName} />
        </div>
      </div>
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {bulk ? (
        <EnvTextEditor scope={scope} onClose={() => setBulk(false)} onSaved={done} />
      ) : (
        <div className={canWrite ? "grid gap-4 lg:grid-cols-[1fr_18rem]" : ""}>
          <VariableTable scope={scope} canWrite={canWrite} />
          {canWrite ? (
            <Card className="self-start">
              <h3 className="mb-3 text-sm font-semibold">New variable</h3>
              <VariableForm scope={scope} />
            </Card>
          ) : null}
        </div>
      )}
      {importing ? <ImportEnvDialog scope={scope} onClose={() => setImporting(false)} onImported={done} /> : null}
    </section>
  );
}
