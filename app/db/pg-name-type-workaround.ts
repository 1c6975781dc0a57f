/**
 * Workaround for Prisma bug #27403 ("Column type 'name' could not be deserialized").
 *
 * `@prisma/adapter-pg` 6.19 has no decoder for PostgreSQL catalog columns of type `name` (OID 19) and
 * `"char"` (OID 18), which `prisma migrate` reads when it introspects a real PostgreSQL. We rewrite those
 * field type ids to `text` (OID 25) in node-postgres' row description; the wire values are already text.
 * Idempotent: installing twice is a no-op. Remove when Prisma ships the decoder (see
 * docs/decisions/003-prisma-6-offline-and-27403.md).
 */
import pg from "pg";

const PATCHED = Symbol.for("syncflow.pgNameTypeWorkaround");

export function installPgNameTypeWorkaround(): void {
  const proto = (pg as unknown as { Query: { prototype: Record<string | symbol, unknown> } }).Query.prototype;
  if (proto[PATCHED]) return;
  const original = proto.handleRowDescription as (msg: { fields: { dataTypeID: number }[] }) => void;
  proto.handleRowDescription = function (this: unknown, msg: { fields: { dataTypeID: number }[] }) {
    for (const field of msg.fields) {
      if (field.dataTypeID === 19 || field.dataTypeID === 18) field.dataTypeID = 25;
    }
    return original.call(this, msg);
  };
  proto[PATCHED] = true;
}
