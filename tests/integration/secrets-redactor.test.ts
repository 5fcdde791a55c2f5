/** The redactor: every secret, in each encoding, anywhere in a line; nothing else touched. */
import { describe, expect, it } from "vitest";
import { createRedactor, REDACTED } from "@/server/secrets/redactor";

describe("createRedactor", () => {
  it("masks values as written, base64- and URL-encoded, at any position, longest first", () => {
    const secret = "s3cr3t/value+=ü";
    const r = createRedactor([secret, "s3cr3t", "abc"]);
    expect(r(`x ${secret} y`)).toBe(`x ${REDACTED} y`);
    expect(r(Buffer.from(secret).toString("base64"))).toBe(REDACTED);
    expect(r(`?q=${encodeURIComponent(secret)}&z=1`)).toBe(`?q=${REDACTED}&z=1`);
    expect(r(`${secret}${secret}`)).toBe(`${REDACTED}${REDACTED}`);
    expect(r(`s3cr3t!`)).toBe(`${REDACTED}!`);
    // Shorter than 4: never masked (it would shred every line).
    expect(r("abc abc")).toBe("abc abc");
    expect(r("nothing here")).toBe("nothing here");
    expect(r("")).toBe("");
    expect(r("s3c")).toBe("s3c");
  });

  it("leaves no secret behind in random text (overlapping and repeated secrets included)", () => {
    const alphabet = "ab01/+=✓ ";
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const text = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    for (let round = 0; round < 200; round++) {
      const secrets = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => text(4 + Math.floor(rand() * 6)));
      const r = createRedactor(secrets);
      const line = text(Math.floor(rand() * 80));
      // The redacted line never contains a secret, and unmatched text stays byte for byte.
      const out = r(line);
      for (const s of secrets) if (s.length >= 4) expect(out.includes(s) && !REDACTED.includes(s), `${JSON.stringify(line)} → ${JSON.stringify(out)} still has ${JSON.stringify(s)}`).toBe(false);
      expect(out.split(REDACTED).join("").length).toBeLessThanOrEqual(line.length);
    }
  });
});
