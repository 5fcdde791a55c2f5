/** Told to owners in the console's header: what does not keep services apart on this machine, and the fix. */
export function IsolationBanner({ warnings }: { warnings: string[] }) {
  if (warnings.length === 0) return null;
  return (
    <div role="alert" data-testid="isolation-warning" className="border-t border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
      <ul className="mx-auto max-w-6xl list-none space-y-1 px-4 py-2 text-xs">
        {warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}
