/**
 * Wire helpers shared by the AWS emulator's protocols: the Query protocol's form parameters (EC2 and Auto
 * Scaling), XML rendering in the shapes the SDK's deserializers read, SigV4 credential scopes, and paging
 * tokens.
 */
import { createHash } from 'node:crypto';

// ---- Query protocol parameters ----------------------------------------------------------------------------

export type QueryParams = Record<string, string>;

export function parseForm(body: string): QueryParams {
  const out: QueryParams = {};
  for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}

/** `Prefix.1`, `Prefix.2`, ... (EC2 lists) or `Prefix.member.1`, ... (Auto Scaling lists), in index order. */
export function listParam(params: QueryParams, prefix: string): string[] {
  const re = new RegExp(`^${escapeRe(prefix)}\\.(\\d+)$`);
  return indexed(params, re).map(([, v]) => v);
}

/** EC2 filters: `Filter.N.Name` with `Filter.N.Value.M`; Auto Scaling: `Filters.member.N.Name`, `...Values.member.M`. */
export function filtersParam(params: QueryParams, style: 'ec2' | 'autoscaling'): Map<string, string[]> {
  const base = style === 'ec2' ? 'Filter' : 'Filters.member';
  const values = style === 'ec2' ? 'Value' : 'Values.member';
  const out = new Map<string, string[]>();
  const re = new RegExp(`^${escapeRe(base)}\\.(\\d+)\\.Name$`);
  for (const [n, name] of indexed(params, re)) {
    out.set(name, listParam(params, `${base}.${n}.${values}`));
  }
  return out;
}

function indexed(params: QueryParams, re: RegExp): Array<[number, string]> {
  const hits: Array<[number, string]> = [];
  for (const [k, v] of Object.entries(params)) {
    const m = re.exec(k);
    if (m) hits.push([Number(m[1]), v]);
  }
  return hits.sort((a, b) => a[0] - b[0]);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---- XML ------------------------------------------------------------------------------------------------

/** A value to render: text, a nested element map, or a list (rendered with the protocol's item element). */
export type XmlValue = string | number | boolean | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** Escapes element text (the emulator writes no attributes from data). */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Renders `<name>value</name>`. Lists render each entry as `<item>` (EC2) or `<member>` (Auto Scaling);
 * undefined values are left out; an empty list is an empty element, as the services send it.
 */
export function xml(name: string, value: XmlValue, itemName: string): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return `<${name}/>`;
    return `<${name}>${value.map((v) => xml(itemName, v, itemName)).join('')}</${name}>`;
  }
  if (typeof value === 'object') {
    let inner = '';
    for (const [k, v] of Object.entries(value)) inner += xml(k, v, itemName);
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function xmlDocument(root: string, namespace: string, body: XmlObject, itemName: string): string {
  let inner = '';
  for (const [k, v] of Object.entries(body)) inner += xml(k, v, itemName);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespace}">${inner}</${root}>`;
}

// ---- SigV4 ------------------------------------------------------------------------------------------------

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** Reads `Credential=AKID/20250101/us-east-1/ec2/aws4_request` from a SigV4 Authorization header. */
export function credentialScope(authorization: string | undefined): CredentialScope | undefined {
  if (!authorization) return undefined;
  const m = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]! };
}

// ---- ids and paging ---------------------------------------------------------------------------------------

/** Deterministic hex digits from a seed text (ids derived from the world's names). */
export function hexOf(seed: string, length: number): string {
  let out = '';
  let i = 0;
  while (out.length < length) out += createHash('sha256').update(`${seed}#${i++}`).digest('hex');
  return out.slice(0, length);
}

/** A UUID-shaped id derived from a seed. */
export function uuidOf(seed: string): string {
  const h = hexOf(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Opaque paging token: the offset of the next page, bound to the operation that issued it. */
export function pageToken(operation: string, offset: number): string {
  return Buffer.from(JSON.stringify({ op: operation, o: offset })).toString('base64url');
}

export function readPageToken(operation: string, token: string | undefined): number | undefined {
  if (token === undefined || token === '') return 0;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { op?: unknown; o?: unknown };
    if (v.op !== operation || typeof v.o !== 'number' || !Number.isInteger(v.o) || v.o < 0) return undefined;
    return v.o;
  } catch {
    return undefined;
  }
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export function page<T>(operation: string, all: T[], offset: number, size: number): Page<T> {
  const items = all.slice(offset, offset + size);
  const next = offset + size;
  return { items, nextToken: next < all.length ? pageToken(operation, next) : undefined };
}
