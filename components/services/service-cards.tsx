"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Badge, Card } from "@/components/ui/card";
import { describeSource } from "./describe-source";

export function ServiceCards({ environmentId, baseHref }: { environmentId: string; baseHref: string }) {
  const trpc = useTRPC();
  const services = useQuery(trpc.service.list.queryOptions({ environmentId }));
  if (services.data?.length === 0) return <p className="text-sm text-zinc-500">No services yet.</p>;
  return (
    <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Services">
      {services.data?.map((s) => (
        <li key={s.id}>
          <Link href={`${baseHref}/s/${s.name}`}>
            <Card className="hover:border-sky-400">
              <div className="flex items-center justify-between gap-2">
                <span className="font-medium">{s.name}</span>
                <Badge>{s.type}</Badge>
              </div>
              <div className="mt-1 truncate text-xs text-zinc-500">{describeSource(s.spec.source)}</div>
              <div className="mt-3 flex items-center gap-2 text-xs">
                {/* Running status arrives with the engine; until then only the desired state is known. */}
                <span className="inline-block h-2 w-2 rounded-full bg-zinc-400" aria-hidden />
                <span data-testid="service-status">Not deployed</span>
                <span className="text-zinc-500">· desired {s.desiredState}</span>
                {s.spec.port ? <span className="text-zinc-500">· port {s.spec.port}</span> : null}
              </div>
            </Card>
          </Link>
        </li>
      ))}
    </ul>
  );
}
