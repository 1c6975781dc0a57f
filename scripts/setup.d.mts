/** Types of scripts/setup.mjs (plain JavaScript so it runs before packages are installed). */
/** Why the packages in `dir` need installing ("node_modules is missing", "package-lock.json changed …"), or null. */
export function installReason(dir?: string): string | null;
