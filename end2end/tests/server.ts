import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ACCOUNT_COMMANDS, ACCOUNT_ENV } from "./accounts";

/** The checkout, where the server runs (as in playwright.config.ts's webServer). */
export const repoRoot = path.resolve(__dirname, "../..");
/** The same release binary and site the suite's own server uses. */
export const faradayBin = path.resolve(process.env.FARADAY_BIN ?? path.join(repoRoot, "target/release/faraday"));
const siteRoot = path.resolve(repoRoot, process.env.LEPTOS_SITE_ROOT ?? "target/site");

/** The suite's shared server's database (set by playwright.config.ts). */
export function suiteDatabaseUrl(): string {
  const url = process.env.FARADAY_E2E_DATABASE_URL;
  if (!url) throw new Error("FARADAY_E2E_DATABASE_URL is not set (see playwright.config.ts)");
  return url;
}

/** Runs a `faraday` command (export, import, new-epoch, user, …) on a database. */
export function faraday(databaseUrl: string, ...args: string[]): string {
  return execFileSync(faradayBin, args, {
    cwd: repoRoot,
    env: { ...process.env, ...ACCOUNT_ENV, DATABASE_URL: databaseUrl, RUST_LOG: "warn" },
    encoding: "utf8",
  });
}

/** Databases that have the test accounts already (`user add` refuses an e-mail twice). */
const withAccounts = new Set<string>();

/** Makes the test accounts (see accounts.ts) in a database, once. */
export function makeAccounts(databaseUrl: string) {
  if (withAccounts.has(databaseUrl)) return;
  for (const args of ACCOUNT_COMMANDS) faraday(databaseUrl, ...args);
  withAccounts.add(databaseUrl);
}

/** A fresh SQLite database file for a server of a test's own. */
export function freshDatabase(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faraday-e2e-"));
  return "sqlite://" + path.join(dir, `${name}.db`);
}

/**
 * A `faraday serve` of a test's own, on its own port (so its own origin: its own IndexedDB and
 * service worker in the browser), for tests that stop, restore or restart the server.
 */
export class OwnServer {
  private process?: ChildProcess;

  constructor(
    readonly port: number,
    public databaseUrl: string,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    makeAccounts(this.databaseUrl);
    const child = spawn(faradayBin, ["serve"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: this.databaseUrl,
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: siteRoot,
        RUST_LOG: "warn",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    this.process = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`faraday serve exited with ${child.exitCode}`);
      try {
        if ((await fetch(this.url + "/manifest.webmanifest")).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`faraday serve did not answer on ${this.url}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops it as an operator would (SIGTERM), or for good after 10 s. */
  async stop() {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The file of a `sqlite://` database URL. */
export function sqliteFile(databaseUrl: string): string {
  if (!databaseUrl.startsWith("sqlite://")) throw new Error(`not a SQLite database: ${databaseUrl}`);
  return databaseUrl.slice("sqlite://".length);
}

/**
 * A file-level backup of a SQLite database (the database, its write-ahead log and shared memory),
 * taken while no server runs on it; `restoreBackup` puts it back.
 */
export function takeBackup(databaseUrl: string): string {
  const file = sqliteFile(databaseUrl);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faraday-backup-"));
  for (const suffix of ["", "-wal", "-shm"]) {
    if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, path.join(dir, "db" + suffix));
  }
  return dir;
}

export function restoreBackup(backup: string, databaseUrl: string) {
  const file = sqliteFile(databaseUrl);
  for (const suffix of ["", "-wal", "-shm"]) {
    fs.rmSync(file + suffix, { force: true });
    const saved = path.join(backup, "db" + suffix);
    if (fs.existsSync(saved)) fs.copyFileSync(saved, file + suffix);
  }
}
