/**
 * One function says how well services are kept apart; health, the header and the start log read it.
 * Non-root and a missing sandbox are given as its inputs (the tests run as root: nothing is faked there).
 */
import { describe, expect, it } from "vitest";
import { isolationInputs, isolationStatus } from "@/server/runtime/process/isolation-status";

describe("isolationStatus", () => {
  it("says plainly that services are not isolated when the console cannot switch users", () => {
    const s = isolationStatus({ canSwitchUsers: false, bubblewrap: "/usr/bin/bwrap", consoleUid: 1000 });
    expect(s).toMatchObject({ level: "none", servicesIsolated: false, sandbox: true });
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/^Services are not isolated from each other: the console is not running as root/);
    expect(s.warnings[0]).toContain("uid 1000");
    expect(s.warnings[0]).toContain("Run the console as root");
  });

  it("names the package when bubblewrap is missing", () => {
    const s = isolationStatus({ canSwitchUsers: true, bubblewrap: null });
    expect(s).toMatchObject({ level: "users-only", servicesIsolated: true, sandbox: false });
    expect(s.warnings).toEqual([expect.stringContaining("bubblewrap is not installed")]);
    expect(s.warnings[0]).toContain("apt-get install bubblewrap");
  });

  it("names the setting when the sandbox is turned off", () => {
    const s = isolationStatus({ canSwitchUsers: true, bubblewrap: null, sandboxSetting: "off" });
    expect(s.warnings).toEqual([expect.stringContaining("SLIPWAY_SANDBOX=off")]);
    expect(s.warnings[0]).not.toContain("apt-get");
  });

  it("gives both warnings when neither holds, and none when both do", () => {
    const neither = isolationStatus({ canSwitchUsers: false, bubblewrap: null });
    expect(neither.level).toBe("none");
    expect(neither.warnings).toHaveLength(2);
    // Without the sandbox nothing masks the data folder from code running as the console's user.
    expect(neither.warnings[0]).toContain("its data folder and keys included");
    expect(isolationStatus({ canSwitchUsers: true, bubblewrap: "/usr/bin/bwrap" })).toEqual({ level: "sandboxed", servicesIsolated: true, sandbox: true, warnings: [] });
  });

  it("reads this machine: root can switch users", () => {
    expect(isolationInputs().canSwitchUsers).toBe(process.getuid?.() === 0);
  });
});
