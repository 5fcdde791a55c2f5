"use client";
import { useParams, useRouter } from "next/navigation";

const NEW = "__new__";

export function OrgSwitcher({ orgs }: { orgs: { slug: string; name: string }[] }) {
  const router = useRouter();
  const params = useParams<{ org?: string }>();
  return (
    <select
      aria-label="Organization"
      className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900"
      value={params.org ?? ""}
      onChange={(e) => router.push(e.target.value === NEW ? "/orgs/new" : `/o/${e.target.value}`)}
    >
      {params.org ? null : <option value="">Choose an organization…</option>}
      {orgs.map((o) => (
        <option key={o.slug} value={o.slug}>
          {o.name}
        </option>
      ))}
      <option value={NEW}>+ New organization…</option>
    </select>
  );
}
