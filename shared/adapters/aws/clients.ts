/**
 * SDK clients built from configuration, lazily (on first use) and once per service and region. Endpoints
 * and credentials come from the environment in production (the SDK's default chain) and from the options
 * locally (the emulator's URL, fake keys). Retries use `BackoffRetryStrategy`; timeouts are the request
 * handler's: a request that takes longer than `requestTimeoutMs` fails with a `TimeoutError`, which the SDK
 * retries as transient.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { BackoffRetryStrategy, type RetryOptions } from './retry.ts';

export type AwsCredentials = EC2ClientConfig['credentials'];

export interface AwsEndpoints {
  ec2?: string;
  autoscaling?: string;
  eks?: string;
  events?: string;
}

export interface AwsClientOptions {
  region: string;
  /** Endpoint overrides (the emulator); the SDK's regional endpoints when absent. */
  endpoints?: AwsEndpoints;
  /** Credentials or a provider; the SDK's default chain (environment, web identity, container, ...) when absent. */
  credentials?: AwsCredentials;
  retry?: RetryOptions;
  /** Longest a single request may take before it is abandoned and retried (default 10 s). */
  requestTimeoutMs?: number;
  /** Longest the connection may take to open (default 3 s). */
  connectTimeoutMs?: number;
}

type Service = keyof AwsEndpoints;

export class AwsClients {
  private readonly options: AwsClientOptions;
  private readonly cache = new Map<string, EC2Client | AutoScalingClient | EKSClient | EventBridgeClient>();

  constructor(options: AwsClientOptions) {
    this.options = options;
  }

  get region(): string {
    return this.options.region;
  }

  ec2(region = this.options.region): EC2Client {
    return this.client('ec2', region, (c) => new EC2Client(c));
  }

  autoscaling(region = this.options.region): AutoScalingClient {
    return this.client('autoscaling', region, (c) => new AutoScalingClient(c));
  }

  eks(region = this.options.region): EKSClient {
    return this.client('eks', region, (c) => new EKSClient(c));
  }

  events(region = this.options.region): EventBridgeClient {
    return this.client('events', region, (c) => new EventBridgeClient(c));
  }

  /** Releases the clients' sockets. */
  destroy(): void {
    for (const c of this.cache.values()) c.destroy();
    this.cache.clear();
  }

  private client<T extends EC2Client | AutoScalingClient | EKSClient | EventBridgeClient>(
    service: Service,
    region: string,
    make: (config: CommonConfig) => T,
  ): T {
    const key = `${service}|${region}`;
    let client = this.cache.get(key) as T | undefined;
    if (!client) {
      client = make(this.config(service, region));
      this.cache.set(key, client);
    }
    return client;
  }

  private config(service: Service, region: string): CommonConfig {
    const retry = new BackoffRetryStrategy(this.options.retry);
    return {
      region,
      endpoint: this.options.endpoints?.[service],
      credentials: this.options.credentials,
      maxAttempts: this.options.retry?.maxAttempts ?? 4,
      retryStrategy: retry,
      requestHandler: {
        requestTimeout: this.options.requestTimeoutMs ?? 10_000,
        connectionTimeout: this.options.connectTimeoutMs ?? 3_000,
        throwOnRequestTimeout: true,
      },
    };
  }
}

interface CommonConfig {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentials;
  maxAttempts: number;
  retryStrategy: BackoffRetryStrategy;
  requestHandler: { requestTimeout: number; connectionTimeout: number; throwOnRequestTimeout: boolean };
}
