/**
 * The patch formats the API server accepts: JSON merge patch (RFC 7386) and JSON patch (RFC 6902).
 * Strategic merge patch is served as a JSON merge patch: for the fields this emulator keeps (replicas,
 * limits, weight, unschedulable, labels, annotations, taints) the two give the same result, except that a
 * strategic patch of `spec.taints` would merge by key where a merge patch replaces the list.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** RFC 7386: objects merge key by key, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return clone(patch as Json);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** A JSON patch that cannot be applied (bad operation, missing path, failed `test`). */
export class PatchError extends Error {
  override name = 'PatchError';
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; key: string } {
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (next === undefined) throw new PatchError(`path ${path} does not exist`);
    node = next;
  }
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function get(doc: Json, path: string): Json {
  let node: Json | undefined = doc;
  for (const t of pointer(path)) {
    node = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (node === undefined) throw new PatchError(`path ${path} does not exist`);
  }
  return node;
}

function remove(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new PatchError('cannot remove the document root');
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new PatchError(`path ${path} does not exist`);
    return parent.splice(i, 1)[0]!;
  }
  if (!isObject(parent) || !(key in parent)) throw new PatchError(`path ${path} does not exist`);
  const old = parent[key]!;
  delete parent[key];
  return old;
}

function add(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) {
      throw new PatchError(`path ${path} is out of range`);
    }
    parent.splice(i, replace ? 1 : 0, clone(value));
  } else if (isObject(parent)) {
    if (replace && !(key in parent)) throw new PatchError(`path ${path} does not exist`);
    parent[key] = clone(value);
  } else {
    throw new PatchError(`path ${path} does not exist`);
  }
  return doc;
}

/** RFC 6902 on a copy of `target`. */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops as Operation[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError('every JSON patch operation needs "op" and "path"');
    }
    switch (raw.op) {
      case 'add':
      case 'replace':
        if (raw.value === undefined) throw new PatchError(`operation ${raw.op} ${raw.path} needs a value`);
        doc = add(doc, raw.path, raw.value, raw.op === 'replace');
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'test':
        if (JSON.stringify(get(doc, raw.path)) !== JSON.stringify(raw.value)) {
          throw new PatchError(`test operation failed at ${raw.path}`);
        }
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw new PatchError(`operation ${raw.op} needs "from"`);
        const value = raw.op === 'move' ? remove(doc, raw.from) : clone(get(doc, raw.from));
        doc = add(doc, raw.path, value, false);
        break;
      }
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify(raw.op)}`);
    }
  }
  return doc;
}

/** Applies a patch body of the given content type; the caller checked the type is accepted. */
export function applyPatch(contentType: string, target: Json, patch: unknown): Json {
  if (contentType === JSON_PATCH) return jsonPatch(target, patch);
  if (!isObject(patch)) throw new PatchError('a merge patch must be a JSON object');
  return mergePatch(target, patch);
}
