/**
 * The one option every component that talks to a partner over HTTP takes: how many connections it
 * keeps open to that partner. Written once so that every route file spells and bounds it alike.
 */

/** The JSON Schema of `{ maxSockets }` for a component's `config`. */
export function socketsConfig(partner: string, bounds: { max: number; default: number } = { max: 1024, default: 32 }): Record<string, unknown> {
  return {
    type: 'object', additionalProperties: false,
    properties: {
      maxSockets: { type: 'integer', minimum: 1, maximum: bounds.max, default: bounds.default, description: `Connections kept open to ${partner} for this component.` },
    },
  };
}

/** The `maxSockets` a route gave, checked already by the registry against socketsConfig. */
export const socketsOf = (options: Record<string, unknown>): number | undefined =>
  (typeof options.maxSockets === 'number' ? options.maxSockets : undefined);
