import type { FastifyInstance } from 'fastify';
import type { EServiceDeps } from '../common/deps.ts';

// Being built (issue 13): registers nothing yet.
export function registerStateReports(_app: FastifyInstance, _deps: EServiceDeps): void {}
