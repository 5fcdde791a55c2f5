/** What reading a request's headers needs: a fetch `Headers`, or an adapter over Node's. */
export type HeaderReader = Pick<Headers, "get">;

/** The caller's address as the first proxy (Next's own server, or the console's fast lane) saw it. */
export function clientAddress(headers: HeaderReader): string {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || headers.get("x-real-ip") || "unknown";
}
