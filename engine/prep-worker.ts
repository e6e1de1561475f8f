/** The body of a prep-pool thread: the bundled components, and prepareBatch over them. */
import { builtinRegistry } from './builtins.ts';
import { prepareBatch, type PrepareInput, type Prepared } from './pipeline.ts';

const registry = builtinRegistry();

export default function prepare(input: PrepareInput): Prepared {
  return prepareBatch(registry, input);
}
