import { randomBytes } from "node:crypto";

let idCounter = 0;
/**
 * A new primary key shaped like Prisma's `cuid()` default (`c` + time + counter + random, base 36, 25
 * characters), for rows inserted with raw SQL, where Prisma's client-side default does not apply.
 */
export function newId(): string {
  idCounter = (idCounter + 1) % 1_679_616; // 36^4
  const rand = Array.from(randomBytes(12), (b) => (b % 36).toString(36)).join("");
  return `c${Date.now().toString(36)}${idCounter.toString(36).padStart(4, "0")}${rand}`.slice(0, 25);
}
