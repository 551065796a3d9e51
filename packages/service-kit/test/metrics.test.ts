import { describe, expect, it } from 'vitest';
import { startHealthServer } from '../src/health.js';
import { metricSample } from '../../../test/support/fixtures.js';
import { createMetrics, initMetrics, metrics, metricsEndpoint, timeKubeCall } from '../src/metrics.js';

const sample = metricSample;

describe('metrics', () => {
  it('renders counters and histograms with their labels and the service label', async () => {
    const m = createMetrics();
    m.registry.setDefaultLabels({ service: 'policy' });
    m.messagesHandled.inc({ consumer: 'policy-requests' });
    m.messagesHandled.inc({ consumer: 'policy-requests' });
    m.messagesFailed.inc({ consumer: 'policy-requests', reason: 'schema' });
    m.messageHandleSeconds.observe({ consumer: 'policy-requests' }, 0.02);
    m.httpRequestSeconds.observe({ method: 'POST', route: '/v1/agent-runs', status: '201' }, 0.1);

    const { body, type } = await m.render();
    expect(type).toContain('text/plain');
    expect(sample(body, 'jangar_messages_handled_total', { consumer: 'policy-requests', service: 'policy' })).toBe(2);
    expect(sample(body, 'jangar_messages_failed_total', { consumer: 'policy-requests', reason: 'schema', service: 'policy' })).toBe(1);
    expect(sample(body, 'jangar_message_handle_seconds_count', { consumer: 'policy-requests', service: 'policy' })).toBe(1);
    expect(sample(body, 'jangar_message_handle_seconds_bucket', { consumer: 'policy-requests', le: '0.025' })).toBe(1);
    expect(sample(body, 'jangar_http_request_duration_seconds_count', { route: '/v1/agent-runs', method: 'POST', status: '201' })).toBe(1);
    // Default Node metrics are only in the process registry.
    expect(body).not.toContain('process_cpu_user_seconds_total');
  });

  it('reads consumer gauges on scrape, once per scrape, and leaves out a consumer whose info fails', async () => {
    const m = createMetrics();
    let calls = 0;
    m.trackConsumer('audit-outcomes', async () => {
      calls++;
      return { num_pending: 7, num_ack_pending: 3, num_redelivered: 1 };
    });
    m.trackConsumer('audit-decisions', async () => {
      throw new Error('nats is away');
    });

    const { body } = await m.render();
    expect(sample(body, 'jangar_consumer_pending', { consumer: 'audit-outcomes' })).toBe(7);
    expect(sample(body, 'jangar_consumer_ack_pending', { consumer: 'audit-outcomes' })).toBe(3);
    expect(sample(body, 'jangar_consumer_redelivered', { consumer: 'audit-outcomes' })).toBe(1);
    expect(body).not.toContain('consumer="audit-decisions"');
    expect(calls).toBe(1);
    await m.render();
    expect(calls).toBe(2);
  });

  it('times Kubernetes calls by verb, kind and answer code', async () => {
    await timeKubeCall('create', 'AgentRun', async () => 'ok', 201);
    await expect(
      timeKubeCall('get', 'Agent', async () => {
        throw Object.assign(new Error('not found'), { code: 404 });
      }),
    ).rejects.toThrow('not found');
    await expect(
      timeKubeCall('get', 'Agent', async () => {
        throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      }),
    ).rejects.toThrow('refused');

    const { body } = await metrics().render();
    expect(sample(body, 'jangar_kube_request_seconds_count', { verb: 'create', kind: 'AgentRun', code: '201' })).toBe(1);
    expect(sample(body, 'jangar_kube_request_seconds_count', { verb: 'get', kind: 'Agent', code: '404' })).toBe(1);
    expect(sample(body, 'jangar_kube_request_seconds_count', { verb: 'get', kind: 'Agent', code: 'error' })).toBe(1);
  });

  it('serves the process registry, default metrics included, at /metrics of the health server', async () => {
    initMetrics('audit');
    const health = await startHealthServer({ host: '127.0.0.1', port: 0, checks: () => [], extra: metricsEndpoint });
    try {
      const res = await fetch(`http://127.0.0.1:${health.port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(sample(text, 'process_cpu_user_seconds_total', { service: 'audit' })).toBeGreaterThan(0);
      expect(sample(text, 'nodejs_eventloop_lag_seconds', { service: 'audit' })).toBeGreaterThanOrEqual(0);
      expect((await fetch(`http://127.0.0.1:${health.port}/nothing`)).status).toBe(404);
    } finally {
      await health.close();
    }
  });

  it('answers 500 when an extra path fails, and keeps serving', async () => {
    const health = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      checks: () => [],
      extra: async () => {
        throw new Error('collector broke');
      },
    });
    try {
      const res = await fetch(`http://127.0.0.1:${health.port}/metrics`);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ message: 'collector broke' });
      expect((await fetch(`http://127.0.0.1:${health.port}/livez`)).status).toBe(200);
    } finally {
      await health.close();
    }
  });
});
