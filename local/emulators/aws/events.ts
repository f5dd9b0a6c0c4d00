/**
 * EventBridge JSON 1.1 API: PutEvents. Every accepted entry is recorded as the event a rule target would
 * receive (the EventBridge envelope: version, id, detail-type, source, account, time, region, resources,
 * detail). Entries are validated one by one like the real service: a missing Source, DetailType or Detail is
 * an `InvalidArgument` entry, a Detail that is not a JSON object is `MalformedDetail`; more than 10 entries
 * fail the whole call with a `ValidationException`. An unknown EventBusName is accepted, as EventBridge
 * accepts it (the event is dropped there; here it is recorded with its bus name). A test can have valid entries
 * refused one by one (`AwsEmulator.events.refuse`), as the service refuses some under load.
 */
import { AwsApiError, nextId, type ReceivedEvent, type RequestContext } from './context.ts';

interface EntryIn {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Resources?: unknown;
  Time?: unknown;
  EventBusName?: unknown;
}

type EntryOut = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const MAX_ENTRIES = 10;
/** EventBridge's limit on a request's total entry size (256 KB). */
const MAX_REQUEST_BYTES = 256 * 1024;

function invalidArgument(field: string): EntryOut {
  return {
    ErrorCode: 'InvalidArgument',
    ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
  };
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function timeOf(ctx: RequestContext, v: unknown): string {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000).toISOString().replace('.000Z', 'Z');
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v).toISOString().replace('.000Z', 'Z');
  return ctx.world.nowIso().replace(/\.\d{3}Z$/, 'Z');
}

export function putEvents(ctx: RequestContext, body: unknown): unknown {
  const entries = (body as { Entries?: unknown } | undefined)?.Entries;
  if (!Array.isArray(entries)) {
    throw new AwsApiError(
      400,
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
    throw new AwsApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  if (Buffer.byteLength(JSON.stringify(entries)) > MAX_REQUEST_BYTES) {
    throw new AwsApiError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
  }
  const out: EntryOut[] = [];
  let failed = 0;
  for (const raw of entries as EntryIn[]) {
    const result = accept(ctx, raw ?? {});
    if ('ErrorCode' in result) failed += 1;
    out.push(result);
  }
  return { FailedEntryCount: failed, Entries: out };
}

function accept(ctx: RequestContext, e: EntryIn): EntryOut {
  if (!isNonEmptyString(e.Source)) return invalidArgument('Source');
  if (!isNonEmptyString(e.DetailType)) return invalidArgument('DetailType');
  if (!isNonEmptyString(e.Detail)) return invalidArgument('Detail');
  let detail: unknown;
  try {
    detail = JSON.parse(e.Detail);
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  const refused = ctx.state.refuseEvent?.({
    source: e.Source,
    detailType: e.DetailType,
    detail: detail as Record<string, unknown>,
  });
  if (refused) return { ErrorCode: refused.code, ErrorMessage: refused.message };
  const id = nextId(ctx, 'event');
  const event: ReceivedEvent = {
    version: '0',
    id,
    'detail-type': e.DetailType,
    source: e.Source,
    account: ctx.options.accountId,
    time: timeOf(ctx, e.Time),
    region: ctx.region,
    resources: Array.isArray(e.Resources) ? e.Resources.filter((r): r is string => typeof r === 'string') : [],
    detail,
    eventBusName: isNonEmptyString(e.EventBusName) ? e.EventBusName : 'default',
  };
  ctx.state.received.push(event);
  ctx.state.onEvent?.(event);
  return { EventId: id };
}
