import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';
import { startService } from '../../server/main.js';
import { call, startTestServer } from '../support/server.js';

describe('configuration', () => {
  it('defaults to the embedded database on 127.0.0.1', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8787, database: { url: undefined, schema: 'public' }, logLevel: 'info' });
    expect(loadConfig({ WAYPOST_PORT: '', WAYPOST_HOST: '' }).port).toBe(8787);
  });

  it('reports every bad variable at once, by name', () => {
    const attempt = () =>
      loadConfig({ WAYPOST_PORT: 'eighty', DATABASE_URL: 'mysql://db/waypost', WAYPOST_SERVER_KEY: 'secret', WAYPOST_ADMIN_TOKEN: 'short' });
    expect(attempt).toThrow(ConfigError);
    const problems = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return '';
    })();
    for (const variable of ['WAYPOST_PORT', 'DATABASE_URL', 'WAYPOST_SERVER_KEY', 'WAYPOST_ADMIN_TOKEN']) expect(problems).toContain(variable);
  });

  it('bounds every wait on the database, from the environment or by default', () => {
    const defaults = loadConfig({});
    expect(defaults.database.timeouts).toEqual({ connectMs: 5000, statementMs: 15_000, idleInTransactionMs: 30_000, queryMs: 20_000 });
    expect(defaults.readyTimeoutMs).toBe(1000);
    // The wait for an answer follows the statement timeout unless set, and must outlast it.
    expect(loadConfig({ WAYPOST_DB_STATEMENT_TIMEOUT_MS: '60000' }).database.timeouts.queryMs).toBe(65_000);
    expect(() => loadConfig({ WAYPOST_DB_STATEMENT_TIMEOUT_MS: '10000', WAYPOST_DB_QUERY_TIMEOUT_MS: '5000' })).toThrow(
      /WAYPOST_DB_QUERY_TIMEOUT_MS must be longer than WAYPOST_DB_STATEMENT_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ WAYPOST_DB_CONNECT_TIMEOUT_MS: 'soon', WAYPOST_READY_TIMEOUT_MS: '0' })).toThrow(/WAYPOST_DB_CONNECT_TIMEOUT_MS[\s\S]*WAYPOST_READY_TIMEOUT_MS/);
  });

  it('refuses combinations that cannot work', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://127.0.0.1/test' })).toThrow(/WAYPOST_SERVER_KEY or WAYPOST_SERVER_KEY_FILE is required/);
    expect(() => loadConfig({ WAYPOST_SERVER_KEY: 'a'.repeat(64), WAYPOST_SERVER_KEY_FILE: '/tmp/key' })).toThrow(/set one, not both/);
  });
});

describe('service entry point', () => {
  const schema = `test_service_${process.pid}`;
  afterAll(async () => {
    if (!process.env.DATABASE_URL) return;
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('starts from the environment, is healthy and ready, serves the bootstrap admin, and stops on request', async () => {
    const adminToken = 'wpo_bootstrap-admin-token-for-tests';
    const service = await startService({
      WAYPOST_PORT: '0',
      WAYPOST_LOG_LEVEL: 'silent',
      WAYPOST_ADMIN_TOKEN: adminToken,
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, WAYPOST_DB_SCHEMA: schema, WAYPOST_SERVER_KEY: 'ab'.repeat(32) } : {}),
    });
    expect(new URL(service.url).hostname).toBe('127.0.0.1');
    try {
      expect((await call(service, 'GET', '/health')).body).toEqual({ status: 'ok' });
      expect((await call(service, 'GET', '/ready')).body).toEqual({ status: 'ready' });
      const created = await call(service, 'POST', '/v1/admin/organisations', { token: adminToken, body: { name: 'Harbor Haulage' } });
      expect(created.status).toBe(201);
      const refused = await call(service, 'POST', '/v1/admin/organisations', { token: 'wpo_some-other-token-value', body: { name: 'X' } });
      expect(refused.status).toBe(401);
    } finally {
      await service.stop();
    }
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();
  });

  it('refuses to start with a configuration error and says which variable', async () => {
    await expect(startService({ WAYPOST_PORT: '99999' })).rejects.toThrow(/WAYPOST_PORT/);
  });
});

describe('readiness', () => {
  it('reports not ready, with the reason, once the database is gone', async () => {
    const server = await startTestServer();
    try {
      expect((await call(server, 'GET', '/ready')).status).toBe(200);
      await server.database.close();
      const answer = await call(server, 'GET', '/ready');
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe('unavailable');
      expect(answer.body.message).toMatch(/database/);
      expect((await call(server, 'GET', '/health')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers unknown routes with the wire error shape', async () => {
    const server = await startTestServer();
    try {
      const answer = await call(server, 'GET', '/v1/nothing-here');
      expect(answer).toEqual({ status: 404, body: { code: 'not-found', message: 'no route GET /v1/nothing-here' } });
    } finally {
      await server.close();
    }
  });
});

describe('request bodies', () => {
  it('answers a JSON endpoint sent another content type, or a body without one, 415 saying to send application/json', async () => {
    const server = await startTestServer();
    try {
      const push = JSON.stringify({ schemaVersion: 1, deviceId: 'cab-1', sentAt: 0, entries: [] });
      const asText = await fetch(`${server.url}/v1/sync/push`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: push });
      expect(asText.status).toBe(415);
      expect(await asText.json()).toEqual({
        code: 'unsupported-media-type',
        message: 'this endpoint does not take a body of type "text/plain"; send JSON as application/json',
      });
      const untyped = await server.app.inject({ method: 'POST', url: '/v1/sync/push', payload: push });
      expect(untyped.statusCode).toBe(415);
      expect(untyped.json()).toEqual({
        code: 'unsupported-media-type',
        message: 'this endpoint does not take a body without a content type; send JSON as application/json',
      });
    } finally {
      await server.close();
    }
  });
});
