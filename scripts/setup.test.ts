/**
 * The quick start (README, decision 174): two commands, each installing packages only when needed, so the
 * second does not reinstall what the first installed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { installReason } from "./setup.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");

describe("scripts/setup.mjs installReason", () => {
  it("installs when node_modules is missing, not when npm's record of the install is as new as the lock, again when the lock changes", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "syncflow-setup-"));
    try {
      fs.writeFileSync(path.join(dir, "package-lock.json"), "{}");
      expect(installReason(dir)).toBe("node_modules is missing");
      fs.mkdirSync(path.join(dir, "node_modules"));
      expect(installReason(dir)).toBe("node_modules is missing"); // an interrupted install left no record
      fs.writeFileSync(path.join(dir, "node_modules", ".package-lock.json"), "{}");
      const t = Date.now() / 1000;
      fs.utimesSync(path.join(dir, "package-lock.json"), t - 60, t - 60);
      fs.utimesSync(path.join(dir, "node_modules", ".package-lock.json"), t - 30, t - 30);
      expect(installReason(dir)).toBeNull();
      fs.utimesSync(path.join(dir, "package-lock.json"), t, t); // git pull brought a new lock
      expect(installReason(dir)).toMatch(/package-lock.json changed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("README quick start", () => {
  it("is exactly two commands, and both install packages first only when needed", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(
      readme.indexOf("## Quick start"),
      readme.indexOf("\n## ", readme.indexOf("## Quick start") + 5),
    );
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const commands = block
      .split("\n")
      .map((l) => l.replace(/#.*$/, "").trim())
      .filter(Boolean);
    expect(commands).toEqual(["npm run demo", "npm test"]);
    const scripts = (
      JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.demo).toMatch(/^node scripts\/setup\.mjs && /);
    expect(scripts.test).toMatch(/^node scripts\/setup\.mjs && /);
    // .ci/run runs the README's test command.
    expect(fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });
});
