import "server-only";
import { sandboxCapabilities } from "./sandbox";

/**
 * How well this console keeps services apart, said once: `/api/health`, the console's header (owners)
 * and the log at start all read this. As root each service runs as its own user (files, environment
 * and processes of another service are refused by the kernel); bubblewrap adds a private /tmp and /proc
 * and hides the whole work tree but a command's own folders. Without root nothing separates services.
 */
export type IsolationLevel = "sandboxed" | "users-only" | "none";

export type IsolationStatus = {
  level: IsolationLevel;
  /** Whether each service runs as its own user (only root can switch users). */
  servicesIsolated: boolean;
  sandbox: boolean;
  /** Plain sentences for people, empty when everything is in place. */
  warnings: string[];
};

export type IsolationInputs = {
  canSwitchUsers: boolean;
  /** bwrap's path, or null. */
  bubblewrap: string | null;
  /** SLIPWAY_SANDBOX as set (only "off" means anything). */
  sandboxSetting?: string;
  /** The console's own uid, named in the warning. */
  consoleUid?: number;
};

export function isolationInputs(): IsolationInputs {
  const caps = sandboxCapabilities();
  return { canSwitchUsers: caps.canSwitchUsers, bubblewrap: caps.bubblewrap, sandboxSetting: process.env.SLIPWAY_SANDBOX, consoleUid: process.getuid?.() };
}

export function isolationStatus(inputs: IsolationInputs = isolationInputs()): IsolationStatus {
  const warnings: string[] = [];
  if (!inputs.canSwitchUsers) {
    const who = inputs.consoleUid === undefined ? "the console's own user" : `the console's own user (uid ${inputs.consoleUid})`;
    warnings.push(
      `Services are not isolated from each other: the console is not running as root, so every build and app runs as ${who} ` +
        "and can read the other services' files and secrets, signal their processes, and reach whatever the console's user can" +
        (inputs.bubblewrap ? "" : " (its data folder and keys included)") +
        ". Run the console as root to give each service its own user.",
    );
  }
  if (!inputs.bubblewrap) {
    const why = inputs.sandboxSetting === "off" ? "the sandbox is turned off (SLIPWAY_SANDBOX=off)" : "bubblewrap is not installed";
    warnings.push(
      `Builds and apps run without a sandbox: ${why}, so they share the host's /tmp, see every process on the host and every world-readable file. ` +
        (inputs.sandboxSetting === "off" ? "Unset SLIPWAY_SANDBOX to use bubblewrap." : "Install it: apt-get install bubblewrap"),
    );
  }
  const level: IsolationLevel = !inputs.canSwitchUsers ? "none" : inputs.bubblewrap ? "sandboxed" : "users-only";
  return { level, servicesIsolated: inputs.canSwitchUsers, sandbox: inputs.bubblewrap !== null, warnings };
}
