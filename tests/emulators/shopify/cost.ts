/**
 * Requested query cost and the per-shop leaky bucket, after
 * https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits :
 * scalar/enum 0, object/interface/union 1, connection = 2 + (first|last) × cost of one node,
 * each mutation root field 10. Single query limit 1000 points. Bucket refills at `restoreRate` points/s.
 */
import {
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from "graphql";

/** Shopify's single-query ceiling (points). */
export const MAX_SINGLE_QUERY_COST = 1000;

function argValue(field: FieldNode, name: string, variables: Record<string, unknown>): unknown {
  const a = field.arguments?.find((x) => x.name.value === name);
  return a ? valueFromASTUntyped(a.value, variables) : undefined;
}

/** Requested cost (points) of `operation` within `doc`, evaluated with `variables`. */
export function requestedCost(
  schema: GraphQLSchema,
  doc: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  if (operation.operation === "mutation") {
    return (
      operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD && !s.name.value.startsWith("__")).length *
      10
    );
  }
  const root = schema.getQueryType()!;
  return selectionCost(schema, root, operation.selectionSet, fragments, variables);
}

function selectionCost(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType,
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  vars: Record<string, unknown>,
): number {
  let total = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.INLINE_FRAGMENT) {
      const t = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) as GraphQLCompositeType) : parent;
      total += selectionCost(schema, t, sel.selectionSet, fragments, vars);
    } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
      const f = fragments.get(sel.name.value);
      if (f)
        total += selectionCost(
          schema,
          schema.getType(f.typeCondition.name.value) as GraphQLCompositeType,
          f.selectionSet,
          fragments,
          vars,
        );
    } else {
      total += fieldCost(schema, parent, sel, fragments, vars);
    }
  }
  return total;
}

function fieldCost(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType,
  field: FieldNode,
  fragments: Map<string, FragmentDefinitionNode>,
  vars: Record<string, unknown>,
): number {
  if (field.name.value.startsWith("__")) return 0;
  if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
  const def = parent.getFields()[field.name.value];
  if (!def) return 0;
  const named = getNamedType(def.type);
  if (!isCompositeType(named) || !field.selectionSet) return 0;
  if (named.name.endsWith("Connection") && isObjectType(named)) {
    const size = Number(argValue(field, "first", vars) ?? argValue(field, "last", vars) ?? 0) || 0;
    let perNode = 0;
    for (const sel of field.selectionSet.selections) {
      if (sel.kind !== Kind.FIELD) continue;
      const sub = named.getFields()[sel.name.value];
      if (!sub || !sel.selectionSet) continue;
      if (sel.name.value === "nodes")
        perNode = Math.max(
          perNode,
          1 + selectionCost(schema, getNamedType(sub.type) as GraphQLCompositeType, sel.selectionSet, fragments, vars),
        );
      if (sel.name.value === "edges") {
        const edgeType = getNamedType(sub.type);
        if (!isObjectType(edgeType)) continue;
        for (const e of sel.selectionSet.selections) {
          if (e.kind === Kind.FIELD && e.name.value === "node" && e.selectionSet) {
            perNode = Math.max(
              perNode,
              1 +
                selectionCost(
                  schema,
                  getNamedType(edgeType.getFields().node!.type) as GraphQLCompositeType,
                  e.selectionSet,
                  fragments,
                  vars,
                ),
            );
          }
        }
      }
    }
    return 2 + size * perNode;
  }
  return 1 + selectionCost(schema, named, field.selectionSet, fragments, vars);
}

/** Rough actual cost: one point per object in the response data, capped by the requested cost. */
export function actualCost(data: unknown, requested: number, isMutation: boolean): number {
  if (isMutation) return requested;
  let n = 0;
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      n++;
      Object.values(v).forEach(walk);
    }
  };
  if (data && typeof data === "object") Object.values(data).forEach(walk);
  return Math.min(requested, n);
}

/** Leaky bucket state for one shop (points). */
export interface Bucket {
  available: number;
  updatedAt: number;
}

/** Refill `bucket` for the time elapsed (ms clock `now`) at `restoreRate` points/s, capped at `size`. */
export function refill(bucket: Bucket, size: number, restoreRate: number, now = Date.now()): void {
  bucket.available = Math.min(size, bucket.available + ((now - bucket.updatedAt) / 1000) * restoreRate);
  bucket.updatedAt = now;
}
