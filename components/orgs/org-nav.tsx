"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export function OrgNav({ slug, name, role }: { slug: string; name: string; role: string }) {
  const pathname = usePathname();
  const base = `/o/${slug}`;
  const tabs = [
    { href: base, label: "Projects", active: pathname === base || pathname.startsWith(`${base}/p/`) },
    { href: `${base}/members`, label: "Members" },
    { href: `${base}/tokens`, label: "API tokens" },
    { href: `${base}/audit`, label: "Audit log" },
  ];
  return (
    <nav aria-label="Organization" className="mb-6 flex items-center gap-1 border-b border-zinc-200 dark:border-zinc-800">
      <span className="mr-3 pb-2 text-sm font-semibold">
        {name} <span className="font-normal text-zinc-500">· {role}</span>
      </span>
      {tabs.map((t) => {
        const active = t.active ?? pathname.startsWith(t.href);
        return (
          <Link
            key={t.href}
            href={t.href}
            aria-current={active ? "page" : undefined}
            className={`-mb-px border-b-2 px-3 pb-2 text-sm ${active ? "border-sky-600 text-zinc-900 dark:text-zinc-100" : "border-transparent text-zinc-500 hover:text-zinc-800 dark:hover:text-zinc-200"}`}
          >
            {t.label}
          </Link>
        );
      })}
    </nav>
  );
}
