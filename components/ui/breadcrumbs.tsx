import Link from "next/link";
import { Fragment } from "react";

export type Crumb = { href: string; label: string };

/** The path above a page's title: each step a link, each followed by " /". */
export function Breadcrumbs({ items }: { items: Crumb[] }) {
  return (
    <p className="mb-1 text-xs text-zinc-500">
      {items.map((c) => (
        <Fragment key={c.href}>
          <Link href={c.href} className="hover:underline">
            {c.label}
          </Link>{" "}
          /{" "}
        </Fragment>
      ))}
    </p>
  );
}
