/**
 * EC2 DescribeSpotInstanceRequests over the world's spot instances: one one-time request per spot instance of
 * an AWS pool (`sir-` id derived from the instance, as DescribeInstances' `spotInstanceRequestId` says), its
 * state and status code following the instance, as EC2 documents the request lifecycle
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-request-status.html):
 *
 *   instance pending                     -> open,   `pending-fulfillment`
 *   running or ready                     -> active, `fulfilled`
 *   under an interruption notice         -> active, `marked-for-termination` (EC2 marks the request when it
 *                                           sends the two-minute warning)
 *   taken back at the notice's end       -> closed, `instance-terminated-no-capacity`
 *   being ended by the user / ended      -> closed, `instance-terminated-by-user`
 *
 * Filters: `instance-id`, `spot-instance-request-id`, `state`, `status-code`; `SpotInstanceRequestId.N`
 * names requests (an unknown one is `InvalidSpotInstanceRequestID.NotFound`). Element names follow the EC2
 * API reference (`spotInstanceRequestSet/item`, `status/code`, `launchedAvailabilityZone`).
 */
import type { WorldInstance } from '../world.ts';
import { AwsApiError, awsPools, isoOf, type RequestContext, recentlyTerminated } from './context.ts';
import { filtersParam, hexOf, listParam, page, type QueryParams, readPageToken, type XmlObject } from './wire.ts';

export function spotRequestId(i: { id: string }): string {
  return `sir-${hexOf(`sir/${i.id}`, 8)}`;
}

interface RequestStatus {
  state: 'open' | 'active' | 'closed';
  code: string;
  message: string;
  updatedAt: number;
}

function statusOf(i: WorldInstance, userTerminated: boolean): RequestStatus {
  if (i.state === 'pending')
    return {
      state: 'open',
      code: 'pending-fulfillment',
      message: 'Your Spot request is pending fulfillment.',
      updatedAt: i.launchedAt,
    };
  if (i.state === 'terminating' && i.interrupted?.kind === 'spot')
    return {
      state: 'active',
      code: 'marked-for-termination',
      message: 'Spot Instance is marked for termination.',
      updatedAt: i.interrupted.noticeAt,
    };
  if (i.state === 'terminated' && i.interrupted?.kind === 'spot')
    return {
      state: 'closed',
      code: 'instance-terminated-no-capacity',
      message: 'Spot Instance terminated due to no available capacity.',
      updatedAt: i.terminatedAt ?? i.interrupted.deadline,
    };
  if (i.state === 'terminating' || i.state === 'terminated' || userTerminated)
    return {
      state: 'closed',
      code: 'instance-terminated-by-user',
      message: 'Spot Instance terminated due to user-initiated termination.',
      updatedAt: i.terminatedAt ?? i.terminateAt ?? i.launchedAt,
    };
  return {
    state: 'active',
    code: 'fulfilled',
    message: 'Your Spot request is fulfilled.',
    updatedAt: i.runningAt,
  };
}

function describeSpotInstanceRequests(ctx: RequestContext, params: QueryParams): XmlObject {
  const pools = new Map(awsPools(ctx).map((p) => [p.id, p]));
  const isSpot = (i: WorldInstance) => pools.get(i.poolId)?.capacityType === 'spot';
  const rows = [
    ...ctx.world
      .allInstances()
      .filter(isSpot)
      .map((i) => ({ i, ended: false })),
    ...recentlyTerminated(ctx)
      .map((t) => t.instance)
      .filter(isSpot)
      .map((i) => ({ i, ended: true })),
  ].map(({ i, ended }) => ({ i, id: spotRequestId(i), status: statusOf(i, ended) }));
  const ids = listParam(params, 'SpotInstanceRequestId');
  const unknown = ids.filter((id) => !rows.some((r) => r.id === id));
  if (unknown.length)
    throw new AwsApiError(
      400,
      'InvalidSpotInstanceRequestID.NotFound',
      `The spot instance request ID '${unknown[0]}' does not exist`,
    );
  const filters = filtersParam(params, 'ec2');
  for (const name of filters.keys())
    if (!['instance-id', 'spot-instance-request-id', 'state', 'status-code'].includes(name))
      throw new AwsApiError(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
  const selected = rows.filter((r) => {
    if (ids.length && !ids.includes(r.id)) return false;
    const values: Record<string, string> = {
      'instance-id': r.i.id,
      'spot-instance-request-id': r.id,
      state: r.status.state,
      'status-code': r.status.code,
    };
    for (const [name, wanted] of filters) if (!wanted.includes(values[name]!)) return false;
    return true;
  });
  const raw = params.MaxResults;
  const size = raw === undefined ? 1000 : Number(raw);
  if (!Number.isInteger(size) || size < 5 || size > 1000)
    throw new AwsApiError(400, 'InvalidParameterValue', `Value (${raw}) for parameter MaxResults is invalid.`);
  const offset = readPageToken('DescribeSpotInstanceRequests', params.NextToken);
  if (offset === undefined)
    throw new AwsApiError(400, 'InvalidPaginationToken', 'The specified pagination token is not valid or is expired.');
  const p = page('DescribeSpotInstanceRequests', selected, offset, size);
  return {
    spotInstanceRequestSet: p.items.map(({ i, id, status }) => {
      const pool = pools.get(i.poolId)!;
      return {
        spotInstanceRequestId: id,
        spotPrice: pool.hourlyPrice.toFixed(6),
        type: 'one-time',
        state: status.state,
        status: { code: status.code, updateTime: isoOf(status.updatedAt), message: status.message },
        launchSpecification: { instanceType: i.instanceType, placement: { availabilityZone: i.zone } },
        instanceId: i.id,
        createTime: isoOf(i.launchedAt),
        productDescription: 'Linux/UNIX',
        launchedAvailabilityZone: i.zone,
        instanceInterruptionBehavior: 'terminate',
      };
    }),
    nextToken: p.nextToken,
  };
}

export const SPOT_REQUEST_ACTIONS = { DescribeSpotInstanceRequests: describeSpotInstanceRequests };
