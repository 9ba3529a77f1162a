import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { type ApiError, setRolloutSchema, UPDATE_FEED_PATH, type UpdateFeedStatus } from '../../protocol/wire.js';
import { authenticateOfficeUser } from '../auth.js';
import type { ServiceContext } from '../context.js';
import type { OfficeDb } from '../db/connect.js';
import { findRollout, setRollout } from '../db/queries/updates.js';
import { ApiFailure } from '../errors.js';
import { parseWith } from '../requests.js';
import { type Release, readRelease, withRolloutShare } from '../updates/feed.js';

const MANIFEST = 'latest.yml';

/** The manifest and the release it names, read at each request: an administrator replaces them by copying a new build in. */
function currentManifest(updatesDir: string | undefined): { text: string; release: Release } | null {
  if (!updatesDir) return null;
  let text: string;
  try {
    text = readFileSync(join(updatesDir, MANIFEST), 'utf8');
  } catch {
    return null;
  }
  const release = readRelease(text);
  return release ? { text, release } : null;
}

async function feedStatus(db: OfficeDb, updatesDir: string | undefined): Promise<UpdateFeedStatus> {
  const release = currentManifest(updatesDir)?.release ?? null;
  const rollout = release ? await findRollout(db, release.version) : null;
  return { release, percentage: rollout?.percentage ?? 100, setAt: rollout?.setAt ?? null, setBy: rollout?.setBy ?? null };
}

/**
 * The fleet's desktop updates, from the office (cab laptops and gate kiosks often have no route to
 * the internet): electron-updater's generic feed from the updates directory, the manifest carrying
 * the share of installations an administrator offered the release to, and the administrator's
 * view and setting of that share. Only the files the manifest names are served.
 */
export async function registerUpdateRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const { db } = context.database;
  const { updatesDir } = context.config;

  app.get(`${UPDATE_FEED_PATH}${MANIFEST}`, async (_request, reply) => {
    const manifest = currentManifest(updatesDir);
    if (!manifest) {
      return reply.status(404).send({ code: 'not-found', message: 'this office has no desktop update to offer' } satisfies ApiError);
    }
    const rollout = await findRollout(db, manifest.release.version);
    // Installations ask at start and on an interval: they must see a new release or share at once.
    return reply
      .headers({ 'content-type': 'text/yaml; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' })
      .send(withRolloutShare(manifest.text, rollout?.percentage ?? 100));
  });

  if (updatesDir) {
    mkdirSync(updatesDir, { recursive: true });
    await app.register(fastifyStatic, {
      root: updatesDir,
      prefix: UPDATE_FEED_PATH,
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      cacheControl: false,
      // Nothing else an administrator leaves in the directory is published.
      allowedPath: (pathName) => currentManifest(updatesDir)?.release.files.includes(pathName.replace(/^\/+/, '')) ?? false,
      setHeaders: (response) => {
        response.setHeader('x-content-type-options', 'nosniff');
        // Installers are named by their version: a name never holds other bytes.
        response.setHeader('cache-control', 'public, max-age=31536000, immutable');
      },
    });
  }
  app.get('/v1/admin/updates', async (request) => {
    await authenticateOfficeUser(context, request, 'administer');
    return feedStatus(db, updatesDir);
  });

  app.put('/v1/admin/updates/rollout', async (request) => {
    const user = await authenticateOfficeUser(context, request, 'administer');
    const { version, percentage } = parseWith(setRolloutSchema, request.body);
    const offered = currentManifest(updatesDir)?.release.version;
    if (offered !== version) {
      throw new ApiFailure(409, 'conflict', offered ? `the feed offers ${offered}, not ${version}; reload and set the share for ${offered}` : 'the feed offers no release; copy a build into the updates directory first');
    }
    await setRollout(db, { version, percentage, setAt: context.clock.now(), setBy: user.id });
    request.log.info({ version, percentage, by: user.id }, 'desktop update rollout set');
    return feedStatus(db, updatesDir);
  });
}
