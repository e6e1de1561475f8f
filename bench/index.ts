/**
 * `npm run bench [-- bulk|ministry|checks|query|eservices|startup]`: benchmarks (`checks` is `ministry`: the statistics and the
 * nine cross-checks on a national year with PMLP's register for 250k persons). Figures are medians of repeated runs where a run is short,
 * and every figure comes with a baseline measured in the same run, because this 2-core machine
 * varies ±30% from run to run: the ratio is what to compare across runs, not the absolute number.
 */
const which = process.argv.slice(2).filter((a, i, all) => !a.startsWith('-') && !(i > 0 && all[i - 1].startsWith('--')) && a !== 'bench');
const suites = which.length ? which : ['bulk'];
for (const s of suites) {
  if (s === 'bulk') await (await import('./bulk.ts')).run(process.argv.slice(2));
  else if (s === 'ministry' || s === 'checks') await (await import('./ministry.ts')).run(process.argv.slice(2));
  else if (s === 'query') await (await import('./query.ts')).run(process.argv.slice(2));
  else if (s === 'eservices') await (await import('./eservices.ts')).run(process.argv.slice(2));
  else if (s === 'startup') await (await import('./startup.ts')).run(process.argv.slice(2));
  else {
    process.stderr.write(`unknown benchmark "${s}"; valid: bulk, ministry (or checks), query, eservices, startup\n`);
    process.exitCode = 2;
  }
}
process.exit(process.exitCode ?? 0);
