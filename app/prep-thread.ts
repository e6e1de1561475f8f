/** What each prep-pool thread loads: the engine's batch preparation over the bundled components. */
import { builtinRegistry } from './components.ts';
import { threadPreparer } from '../engine/runtime/prep-thread.ts';

export default threadPreparer(builtinRegistry());
