/**
 * The staff accounts every test server has, made with the server's own CLI before it serves:
 * `faraday demo` (the Demo club: one account per role) and one account of another club.
 */

/** The password of every test account (`FARADAY_DEMO_PASSWORD` / `FARADAY_PASSWORD`). */
export const PASSWORD = "e2e-password-of-every-account";

export type Who = "owner" | "manager" | "desk" | "coach" | "other";

export const ACCOUNTS: Record<Who, { email: string; name: string; role: string; club: string }> = {
  owner: { email: "owner@demo.club", name: "Olivia Owner", role: "owner", club: "Demo club" },
  manager: { email: "manager@demo.club", name: "Max Manager", role: "manager", club: "Demo club" },
  desk: { email: "desk@demo.club", name: "Dana Desk", role: "front desk", club: "Demo club" },
  coach: { email: "coach@demo.club", name: "Colin Coach", role: "coach", club: "Demo club" },
  // The front desk of another club: its devices must never see the Demo club's members.
  other: { email: "desk@other.club", name: "Oskar Other", role: "front desk", club: "Other club" },
};

/** The environment the CLI reads the passwords from. */
export const ACCOUNT_ENV = { FARADAY_DEMO_PASSWORD: PASSWORD, FARADAY_PASSWORD: PASSWORD };

/** The CLI calls that make the accounts, as argument lists of `faraday`. The Demo club's log stays
 * empty (`--members 0`): every test makes the members it needs. */
export const ACCOUNT_COMMANDS: string[][] = [
  ["demo", "--members", "0"],
  ["user", "add", "--email", ACCOUNTS.other.email, "--name", ACCOUNTS.other.name, "--club", ACCOUNTS.other.club, "--role", "front_desk"],
];
