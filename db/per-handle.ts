/**
 * `make(handle)` once per database (or transaction) handle, then the same value for that handle:
 * prepared statements and caches that belong to one database. A WeakMap, so a closed handle's go too.
 */
export function perHandle<H extends object, T>(make: (handle: H) => T): (handle: H) => T {
  const made = new WeakMap<H, { value: T }>();
  return (handle) => {
    let entry = made.get(handle);
    if (!entry) made.set(handle, (entry = { value: make(handle) }));
    return entry.value;
  };
}
