/**
 * `clouds.cloudwatch` in the configuration, and the deployed function's wiring: CloudWatch is the metrics
 * store when it is configured and Prometheus is not. No call leaves the process: the checks use a query the
 * CloudWatch adapter refuses before any request.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import { ConfigError, isCloudError } from '../../shared/domain/errors.ts';
import { productionDeps } from '../../shared/runtime/production.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const demo = JSON.parse(readFileSync(path.join(repoRoot, 'config', 'demo.json'), 'utf8')) as {
  clouds: Record<string, unknown>;
};
const logger = { debug() {}, info() {}, warn() {}, error() {} };

const CLOUDWATCH = {
  namespace: 'GpuFleet',
  metrics: {
    gpu_utilization: { metricName: 'GPUUtilization', labels: { fleet: 'FleetId' }, dimensions: ['FleetId', 'Pool'] },
    alb_rps: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', stat: 'Sum', perSecond: true },
  },
};

function withClouds(clouds: Record<string, unknown>) {
  return { ...demo, clouds: { ...demo.clouds, ...clouds } };
}

describe('clouds.cloudwatch', () => {
  it('parses a namespace and metric mappings', () => {
    const config = parseConfig(withClouds({ cloudwatch: CLOUDWATCH }));
    expect(config.clouds.cloudwatch).toEqual(CLOUDWATCH);
  });

  it.each([
    { name: 'no namespace', cloudwatch: { metrics: {} } },
    { name: 'a key that is not a metric name', cloudwatch: { namespace: 'N', metrics: { 'gpu-util': {} } } },
    { name: 'an unknown field', cloudwatch: { namespace: 'N', metrics: { x: { statistic: 'Sum' } } } },
    { name: 'an empty dimension name', cloudwatch: { namespace: 'N', metrics: { x: { dimensions: [''] } } } },
  ])('refuses $name', ({ cloudwatch }) => {
    expect(() => parseConfig(withClouds({ cloudwatch }))).toThrow(ConfigError);
  });
});

describe('productionDeps', () => {
  const env = (config: unknown) => ({
    AUTOSCALER_CONFIG: JSON.stringify(config),
    TABLE_NAME: 'autoscaler',
    AWS_REGION: 'us-east-1',
  });

  it('builds the CloudWatch metrics port when configured without Prometheus', async () => {
    const deps = await productionDeps(logger, env(withClouds({ cloudwatch: CLOUDWATCH })));
    expect(deps.metrics).toBeDefined();
    // A PromQL query only the CloudWatch adapter refuses, and before any request.
    const err = await deps
      .metrics!.queryInstant({ promql: 'rate(fleet_rps[5m])' }, new Date())
      .catch((e: unknown) => e);
    expect(isCloudError(err) && err.code).toBe('UnsupportedQuery');
  });

  it('a statistic CloudWatch does not know fails at start, naming the field', async () => {
    const config = withClouds({ cloudwatch: { namespace: 'N', metrics: { x: { stat: 'Avg' } } } });
    await expect(productionDeps(logger, env(config))).rejects.toThrow(/metrics\.x\.stat/);
  });

  it('no metrics store without either', async () => {
    const deps = await productionDeps(logger, env(demo));
    expect(deps.metrics).toBeUndefined();
  });
});
