/**
 * The console's "next run" of a pull agrees with node-cron, which fires the scheduler's triggers:
 * the instant found is one node-cron's own matcher fires at, and no instant before it is.
 */
import assert from 'node:assert/strict';
import cron from 'node-cron';
import { nextRun } from '../../console/schedule.ts';

describe('console: next run of a cron schedule', () => {
  const cases: [string, number][] = [
    // expression, how far ahead (s) to check every second for an earlier firing
    ['*/15 * * * *', 15 * 60], ['0 3 * * 1-5', 4 * 86_400], ['30 2 1 * *', 8 * 86_400], ['0 0 L * *', 8 * 86_400],
    ['*/10 * * * * *', 10], ['5 4 * * 0', 8 * 86_400], ['0 0 13 * 5', 8 * 86_400], ['0 12 * 2 *', 8 * 86_400],
  ];
  const starts = [new Date(2026, 11, 5, 7, 31, 12), new Date(2026, 1, 28, 23, 59, 59), new Date(2027, 0, 31, 0, 0, 0)];

  for (const [expr, horizon] of cases) {
    it(`"${expr}" as node-cron fires it`, async () => {
      const task = cron.createTask(expr, () => {});
      try {
        for (const from of starts) {
          const next = nextRun(expr, from);
          assert.ok(next, `${expr} from ${from.toString()}`);
          assert.ok(next.getTime() > from.getTime());
          assert.equal(task.match(next), true, `node-cron fires ${expr} at ${next.toString()}`);
          // Nothing earlier: every whole second in between (within the horizon) is not a firing.
          const end = Math.min(next.getTime(), from.getTime() + horizon * 1000);
          const step = expr.split(' ').length === 6 ? 1000 : 60_000;
          for (let t = Math.ceil((from.getTime() + 1) / step) * step; t < end; t += step) {
            assert.equal(task.match(new Date(t)), false, `${expr} does not fire at ${new Date(t).toString()}`);
          }
        }
      } finally {
        await task.destroy();
      }
    });
  }

  it('answers nothing for an expression that never fires or that it cannot read, rather than a wrong instant', () => {
    assert.equal(nextRun('0 0 30 2 *', new Date(2026, 0, 1)), null, 'the 30th of February');
    assert.equal(nextRun('not cron'), null);
    assert.equal(nextRun('0 0 * * 1#2'), null, 'an nth weekday');
  });
});
