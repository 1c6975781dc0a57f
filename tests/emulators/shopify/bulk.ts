/**
 * Bulk query operations for the emulated Shopify, after
 * https://shopify.dev/docs/api/usage/bulk-operations/queries and the 2026-10 Admin schema:
 *  - `bulkOperationRunQuery(query:, groupObjects:)` costs 10 points like any mutation field; the bulk run
 *    itself is not charged to the shop's leaky bucket;
 *  - the inner query must hold at least one connection, at most 5 connections, nested at most 2 deep, and a
 *    node that owns a nested connection must select `id` (userErrors code INVALID otherwise);
 *  - at most 5 bulk query operations run at once per shop (API ≥ 2026-01; userError LIMIT_REACHED);
 *  - status CREATED → RUNNING → COMPLETED; `objectCount`/`rootObjectCount` grow while it runs; the run takes
 *    `startupMs + objects / objectsPerSecond` (configurable: real throughput depends on load and shape);
 *  - the result is JSONL served by the emulator at `url` (unauthenticated, like Shopify's signed storage
 *    URL): one line per node; each node of a nested connection is its own line carrying `__parentId`, the
 *    `id` of the node it belongs to, written after its parent; non-connection nested objects stay inline.
 *    `url` is null when the query returned no objects.
 * `groupObjects: true` is accepted and produces the same (ungrouped) layout.
 */
import crypto from "node:crypto";
import {
  execute,
  getNamedType,
  isObjectType,
  isInterfaceType,
  isUnionType,
  Kind,
  parse,
  validate,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

type Obj = Record<string, unknown>;

/** Timing of bulk runs (ms and objects per second). */
export interface BulkTiming {
  /** Time before the first object is produced (queueing + planning), ms. Default 1000. */
  startupMs: number;
  /** Objects (JSONL lines) produced per second while running. Default 2000. */
  objectsPerSecond: number;
}

/** Default timing: ~1 s to start, 2000 objects/s (a 10 000-item, 1-location inventory export ≈ 11 s). */
export const DEFAULT_BULK_TIMING: BulkTiming = { startupMs: 1000, objectsPerSecond: 2000 };

/** Shopify's concurrency limit for bulk query operations per shop (API 2026-01 and later). */
export const MAX_CONCURRENT_BULK_QUERIES = 5;

/** One bulk operation. Times in ms since epoch. */
export interface EmuBulkOperation {
  id: number;
  gid: string;
  shop: string;
  type: "QUERY";
  query: string;
  createdAt: number;
  /** When it starts producing objects / when it completes (computed at creation). */
  startsAt: number;
  completesAt: number;
  canceledAt: number | null;
  lines: string[];
  rootObjectCount: number;
  fileSize: number;
  token: string;
}

/** Result of validating a bulk query: errors as BulkOperationUserError objects, or the parsed document. */
type Checked = { errors: Obj[] } | { doc: DocumentNode; op: OperationDefinitionNode };

const userError = (message: string, code = "INVALID", field: string[] = ["query"]) => ({
  __typename: "BulkOperationUserError",
  field,
  message,
  code,
});

/** Bulk operations of every shop of one emulator. */
export class BulkOperations {
  readonly ops = new Map<number, EmuBulkOperation>();
  timing: BulkTiming;
  private seq = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly baseUrl: () => string,
    timing: Partial<BulkTiming> = {},
  ) {
    this.timing = { ...DEFAULT_BULK_TIMING, ...timing };
  }

  /** Validates `query` as a bulk query (syntax, schema, connection rules). */
  check(query: string): Checked {
    let doc: DocumentNode;
    try {
      doc = parse(query);
    } catch (e) {
      return { errors: [userError(`Invalid bulk query: ${(e as Error).message}`)] };
    }
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (ops.length !== 1 || ops[0]!.operation !== "query")
      return { errors: [userError("Bulk queries must contain exactly one query operation.")] };
    const errs = validate(this.schema, doc);
    if (errs.length) return { errors: errs.map((e) => userError(`Invalid bulk query: ${e.message}`)) };
    const op = ops[0]!;
    const problems: string[] = [];
    let connections = 0;
    const walk = (parent: GraphQLCompositeType, set: SelectionSetNode, depth: number) => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.INLINE_FRAGMENT) {
          const t = sel.typeCondition
            ? (this.schema.getType(sel.typeCondition.name.value) as GraphQLCompositeType)
            : parent;
          walk(t, sel.selectionSet, depth);
          continue;
        }
        if (sel.kind !== Kind.FIELD || !sel.selectionSet) continue;
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
        const def = parent.getFields()[sel.name.value];
        if (!def) continue;
        const named = getNamedType(def.type) as GraphQLCompositeType;
        if (named.name.endsWith("Connection") && isObjectType(named)) {
          connections++;
          if (depth >= 2)
            problems.push(
              `Bulk queries cannot contain connections with a nesting depth greater than 2 (${sel.name.value}).`,
            );
          if (depth >= 1 && !hasIdSibling(set))
            problems.push(`The parent of the nested connection '${sel.name.value}' must select the 'id' field.`);
          const nodeType = connectionNodeType(named);
          for (const s of sel.selectionSet.selections) {
            if (s.kind !== Kind.FIELD || !s.selectionSet) continue;
            if (s.name.value === "nodes") walk(nodeType, s.selectionSet, depth + 1);
            if (s.name.value === "edges") {
              for (const e of s.selectionSet.selections) {
                if (e.kind === Kind.FIELD && e.name.value === "node" && e.selectionSet) {
                  const edgeType = getNamedType(named.getFields().edges!.type);
                  if (isObjectType(edgeType))
                    walk(
                      getNamedType(edgeType.getFields().node!.type) as GraphQLCompositeType,
                      e.selectionSet,
                      depth + 1,
                    );
                }
              }
            }
          }
        } else {
          walk(named, sel.selectionSet, depth);
        }
      }
    };
    walk(this.schema.getQueryType()!, op.selectionSet, 0);
    if (connections === 0) problems.push("Bulk queries must contain at least one connection.");
    if (connections > 5) problems.push(`Bulk queries cannot contain more than 5 connections (found ${connections}).`);
    if (problems.length) return { errors: problems.map((p) => userError(p)) };
    return { doc, op };
  }

  /**
   * Starts a bulk query for `shop`: validates, enforces the concurrency limit, executes it against a
   * snapshot (through `rootValue`, a query root whose connections ignore first/last) and schedules completion.
   * @returns the BulkOperationRunQueryPayload (resolver view).
   */
  run(
    shop: string,
    query: string,
    rootValue: Obj,
    unbounded: <T>(fn: () => T) => T = (fn) => fn(),
    now = Date.now(),
  ): Obj {
    const running = [...this.ops.values()].filter(
      (o) => o.shop === shop && this.status(o, now) !== "COMPLETED" && this.status(o, now) !== "CANCELED",
    );
    if (running.length >= MAX_CONCURRENT_BULK_QUERIES) {
      return {
        bulkOperation: null,
        userErrors: [
          userError(
            `A shop can run at most ${MAX_CONCURRENT_BULK_QUERIES} bulk query operations at a time.`,
            "LIMIT_REACHED",
            [],
          ),
        ],
      };
    }
    const checked = this.check(query);
    if ("errors" in checked) return { bulkOperation: null, userErrors: checked.errors };
    const withTypes = addTypenames(checked.doc);
    const result = unbounded(() =>
      execute({
        schema: this.schema,
        document: withTypes,
        rootValue,
        typeResolver: (v) => (v as Obj).__typename as string,
      }),
    ) as { data?: Obj | null; errors?: readonly Error[] };
    if (result instanceof Promise) throw new Error("async execution not supported");
    if (result.errors?.length)
      return {
        bulkOperation: null,
        userErrors: result.errors.map((e) => userError(`Invalid bulk query: ${e.message}`)),
      };
    const { lines, roots } = toJsonl(this.schema, result.data ?? {});
    const id = Number(`${Date.now() % 1_000_000}${++this.seq}`);
    const startsAt = now + this.timing.startupMs;
    const op: EmuBulkOperation = {
      id,
      gid: `gid://shopify/BulkOperation/${id}`,
      shop,
      type: "QUERY",
      query,
      createdAt: now,
      startsAt,
      completesAt: startsAt + Math.ceil((lines.length / Math.max(1e-6, this.timing.objectsPerSecond)) * 1000),
      canceledAt: null,
      lines,
      rootObjectCount: roots,
      fileSize: lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
      token: crypto.randomBytes(12).toString("hex"),
    };
    this.ops.set(id, op);
    return { bulkOperation: this.view(op, now), userErrors: [] };
  }

  /** Cancels a running operation (BulkOperationCancelPayload view). */
  cancel(shop: string, gid: string, now = Date.now()): Obj {
    const op = this.byGid(shop, gid);
    if (!op)
      return {
        bulkOperation: null,
        userErrors: [{ __typename: "UserError", field: ["id"], message: "Bulk operation does not exist" }],
      };
    const st = this.status(op, now);
    if (st === "COMPLETED" || st === "CANCELED") {
      return {
        bulkOperation: this.view(op, now),
        userErrors: [
          {
            __typename: "UserError",
            field: null,
            message: `A bulk operation cannot be canceled when it is ${st.toLowerCase()}`,
          },
        ],
      };
    }
    op.canceledAt = now;
    return { bulkOperation: this.view(op, now), userErrors: [] };
  }

  /** Operation of `shop` by GID, or null. */
  byGid(shop: string, gid: string): EmuBulkOperation | null {
    const m = /^gid:\/\/shopify\/BulkOperation\/(\d+)$/.exec(gid);
    const op = m ? this.ops.get(Number(m[1])) : undefined;
    return op && op.shop === shop ? op : null;
  }

  /** The shop's most recent operation (what `currentBulkOperation` returns). */
  current(shop: string): EmuBulkOperation | null {
    let last: EmuBulkOperation | null = null;
    for (const o of this.ops.values()) if (o.shop === shop && (!last || o.createdAt >= last.createdAt)) last = o;
    return last;
  }

  /** The shop's operations, newest first. */
  list(shop: string): EmuBulkOperation[] {
    return [...this.ops.values()]
      .filter((o) => o.shop === shop)
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  }

  /** Status at `now`. */
  status(op: EmuBulkOperation, now = Date.now()): "CREATED" | "RUNNING" | "COMPLETED" | "CANCELED" {
    if (op.canceledAt != null) return "CANCELED";
    if (now < op.startsAt) return "CREATED";
    if (now < op.completesAt) return "RUNNING";
    return "COMPLETED";
  }

  /** BulkOperation resolver view at `now`. UnsignedInt64 fields are strings, as Shopify serialises them. */
  view(op: EmuBulkOperation, now = Date.now()): Obj {
    const status = this.status(op, now);
    const end = op.canceledAt ?? now;
    const produced =
      status === "COMPLETED"
        ? op.lines.length
        : Math.max(
            0,
            Math.min(op.lines.length, Math.floor(((end - op.startsAt) / 1000) * this.timing.objectsPerSecond)),
          );
    const rootShare = op.lines.length ? Math.round((produced / op.lines.length) * op.rootObjectCount) : 0;
    const done = status === "COMPLETED";
    return {
      __typename: "BulkOperation",
      id: op.gid,
      type: op.type,
      status,
      query: op.query,
      errorCode: null,
      createdAt: new Date(op.createdAt).toISOString(),
      completedAt: done ? new Date(op.completesAt).toISOString() : null,
      objectCount: String(produced),
      rootObjectCount: String(done ? op.rootObjectCount : rootShare),
      fileSize: done && op.lines.length ? String(op.fileSize) : null,
      url: done && op.lines.length ? `${this.baseUrl()}/__bulk/${op.id}/${op.token}.jsonl` : null,
      partialDataUrl: null,
    };
  }

  /** JSONL body for a download path `/__bulk/<id>/<token>.jsonl`, or null (404). */
  download(id: number, token: string, now = Date.now()): string | null {
    const op = this.ops.get(id);
    if (!op || op.token !== token || this.status(op, now) !== "COMPLETED" || !op.lines.length) return null;
    return op.lines.join("\n") + "\n";
  }
}

/** The node type of a connection type (via `nodes`, else `edges.node`). */
function connectionNodeType(conn: GraphQLCompositeType): GraphQLCompositeType {
  if (!isObjectType(conn)) return conn;
  const f = conn.getFields();
  if (f.nodes) return getNamedType(f.nodes.type) as GraphQLCompositeType;
  const edge = getNamedType(f.edges!.type);
  return isObjectType(edge) ? (getNamedType(edge.getFields().node!.type) as GraphQLCompositeType) : conn;
}

function hasIdSibling(set: SelectionSetNode): boolean {
  return set.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "id" && !s.alias);
}

/** Adds `__typename` to every selection set so the flattener knows each object's runtime type. */
function addTypenames(doc: DocumentNode): DocumentNode {
  return visit(doc, {
    SelectionSet(node) {
      if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "__typename" && !s.alias))
        return undefined;
      return {
        ...node,
        selections: [
          ...node.selections,
          { kind: Kind.FIELD, name: { kind: Kind.NAME, value: "__typename" } } as FieldNode,
        ],
      };
    },
  });
}

/**
 * Flattens an executed bulk result into JSONL lines: root connection nodes are lines without `__parentId`;
 * nodes of a nested connection are lines with `__parentId` = the owning node's `id`, written after it.
 * `__typename` (added for typing) is removed.
 */
function toJsonl(schema: GraphQLSchema, data: Obj): { lines: string[]; roots: number } {
  const lines: string[] = [];
  let roots = 0;
  const typeOf = (o: Obj, fallback: GraphQLCompositeType): GraphQLCompositeType =>
    (typeof o.__typename === "string" ? (schema.getType(o.__typename) as GraphQLCompositeType) : null) ?? fallback;

  const connectionNodes = (value: Obj): Obj[] => {
    if (Array.isArray(value.nodes)) return value.nodes as Obj[];
    if (Array.isArray(value.edges)) return (value.edges as Obj[]).map((e) => e.node as Obj).filter(Boolean);
    return [];
  };

  /** Copies `obj` without its connections (emitted as child lines with __parentId). */
  const flatten = (obj: Obj, type: GraphQLCompositeType, children: { nodes: Obj[]; parentId: unknown }[]): Obj => {
    const out: Obj = {};
    const t = typeOf(obj, type);
    const fields = isObjectType(t) || isInterfaceType(t) ? t.getFields() : {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === "__typename") continue;
      const def = fields[k];
      const named = def ? getNamedType(def.type) : null;
      if (v && typeof v === "object" && named && named.name.endsWith("Connection") && !Array.isArray(v)) {
        children.push({ nodes: connectionNodes(v as Obj), parentId: obj.id });
        continue;
      }
      out[k] = inline(v, named as GraphQLCompositeType | null);
    }
    return out;
  };
  /** Inline (non-connection) values: objects keep their nested objects, without __typename. */
  const inline = (v: unknown, type: GraphQLCompositeType | null): unknown => {
    if (Array.isArray(v)) return v.map((x) => inline(x, type));
    if (!v || typeof v !== "object") return v;
    const o = v as Obj;
    const t = type && (isObjectType(type) || isInterfaceType(type) || isUnionType(type)) ? typeOf(o, type) : null;
    const fields = t && (isObjectType(t) || isInterfaceType(t)) ? t.getFields() : {};
    const out: Obj = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === "__typename") continue;
      const def = fields[k];
      out[k] = inline(x, def ? (getNamedType(def.type) as GraphQLCompositeType) : null);
    }
    return out;
  };
  const emit = (node: Obj, type: GraphQLCompositeType, parentId: unknown) => {
    const idx = lines.length;
    lines.push("");
    const children: { nodes: Obj[]; parentId: unknown }[] = [];
    const flat = flatten(node, type, children);
    if (parentId !== undefined) flat.__parentId = parentId;
    lines[idx] = JSON.stringify(flat);
    for (const c of children) {
      for (const n of c.nodes) emit(n, typeOf(n, type), c.parentId);
    }
  };

  const root = schema.getQueryType()!;
  for (const [k, v] of Object.entries(data)) {
    if (!v || typeof v !== "object") continue;
    const def = root.getFields()[k];
    const named = def ? (getNamedType(def.type) as GraphQLCompositeType) : root;
    if (named.name.endsWith("Connection") && isObjectType(named)) {
      const nodeType = connectionNodeType(named);
      for (const n of connectionNodes(v as Obj)) {
        roots++;
        emit(n, nodeType, undefined);
      }
    } else {
      roots++;
      emit(v as Obj, named, undefined);
    }
  }
  return { lines, roots };
}
