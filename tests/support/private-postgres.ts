/**
 * A private PostgreSQL 15 cluster for tests that restart or starve the database: its own data folder,
 * port and socket folder, never the shared cluster on 5432 that other suites use. Needs root (initdb and
 * the server run as the `postgres` user) and Debian's postgresql-15 binaries.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

/** Why a private cluster cannot run here, or null if it can. */
export function privatePostgresUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (initdb runs as the postgres user)";
  if (!fs.existsSync(path.join(PG_BIN, "initdb"))) return `no PostgreSQL 15 binaries in ${PG_BIN}`;
  try {
    execFileSync("id", ["-u", "postgres"]);
  } catch {
    return "no postgres user";
  }
  return null;
}

export type PrivatePostgres = {
  /** postgres://postgres@127.0.0.1:<port>/<db> for a database created with createDatabase. */
  url: (db: string) => string;
  port: number;
  dataDir: string;
  createDatabase: (name: string) => Promise<string>;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when this resolves. */
  restart: () => void;
  stop: () => void;
  /** Stops the server (if running) and removes its folders. */
  remove: () => void;
};

function ids(): { uid: number; gid: number } {
  return { uid: Number(execFileSync("id", ["-u", "postgres"]).toString().trim()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString().trim()) };
}

/**
 * initdb + pg_ctl start on `port`, trust authentication on loopback only. `dataDir` (default: a new temp
 * folder) may be a mount point the caller prepared (a small tmpfs); `walDir` keeps the WAL elsewhere,
 * so that a full data folder fails writes (53100) instead of stopping the server.
 */
export function startPrivatePostgres({ port, dataDir, walDir }: { port: number; dataDir?: string; walDir?: string }): PrivatePostgres {
  const { uid, gid } = ids();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-pg-"));
  fs.chownSync(root, uid, gid);
  const data = dataDir ?? path.join(root, "data");
  fs.mkdirSync(data, { recursive: true });
  fs.chownSync(data, uid, gid);
  fs.chmodSync(data, 0o700);
  const sockets = path.join(root, "sockets");
  fs.mkdirSync(sockets);
  fs.chownSync(sockets, uid, gid);
  const logFile = path.join(root, "server.log");
  const asPostgres = (file: string, args: string[]) => execFileSync(path.join(PG_BIN, file), args, { uid, gid, cwd: root, stdio: "pipe", timeout: 60_000 });
  const initArgs = ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync"];
  if (walDir) {
    fs.mkdirSync(walDir, { recursive: true });
    fs.chownSync(walDir, uid, gid);
    initArgs.push("--waldir", walDir);
  }
  asPostgres("initdb", initArgs);
  const opts = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const pgCtl = (...args: string[]) => asPostgres("pg_ctl", ["-D", data, "-l", logFile, "-w", "-t", "60", ...args]);
  pgCtl("-o", opts, "start");
  let running = true;
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    url,
    port,
    dataDir: data,
    createDatabase: async (name) => {
      const { Client } = await import("pg");
      const c = new Client({ connectionString: url("postgres") });
      await c.connect();
      try {
        await c.query(`create database ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    restart: () => {
      pgCtl("-m", "fast", "-o", opts, "restart");
    },
    stop: () => {
      if (!running) return;
      running = false;
      try {
        pgCtl("-m", "immediate", "stop");
      } catch {
        // already stopped
      }
    },
    remove() {
      this.stop();
      if (!dataDir) fs.rmSync(root, { recursive: true, force: true });
      else {
        for (const f of fs.readdirSync(data)) fs.rmSync(path.join(data, f), { recursive: true, force: true });
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
