import { intOption, usageError, type Command } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';

/**
 * `hushpoint bench <suite>`: runs scripts/bench/<suite>.ts. Each suite exports
 * `runBench({ runs, progress })` returning flat figures (medians of `runs` interleaved runs,
 * with any baseline measured in the same run). `--json` prints them as one JSON object. Each
 * suite finishes in about 3 minutes or less by default on a 2-core machine; `--runs N` measures
 * longer.
 */
export interface BenchSuite {
  /** Runs when --runs is not given (DEFAULT_RUNS unless the suite says otherwise). */
  defaultRuns?: number;
  runBench(options: {
    runs: number;
    progress: (line: string) => void;
  }): Promise<Record<string, number | string | boolean>>;
}

export const BENCH_SUITES = [
  'gateway',
  'hub',
  'api',
  'dp',
  'offers',
  'sim',
  'privacy',
  'synth',
  'recommend',
  'hq',
] as const;
const DEFAULT_RUNS = 5;

export const benchCommand: Command = {
  name: 'bench',
  summary: `run a benchmark suite (${BENCH_SUITES.join(', ')})`,
  positionals: ['SUITE'],
  options: {
    json: { type: 'boolean', description: 'print the figures as one JSON object on stdout (progress on stderr)' },
    runs: {
      type: 'string',
      value: 'N',
      description: `interleaved runs per figure; the median is reported (default ${DEFAULT_RUNS}; the gateway suite's 3, as each of its runs spends a minute at the UART rate)`,
    },
  },
  async run({ values, positionals }, { io }) {
    const suite = positionals[0];
    if (suite === undefined || !(BENCH_SUITES as readonly string[]).includes(suite)) {
      throw usageError(
        `SUITE is ${suite === undefined ? 'missing' : `"${suite}"`}, expected one of: ${BENCH_SUITES.join(', ')}`,
      );
    }
    const given = values.runs === undefined ? undefined : intOption(values, 'runs', { min: 1, max: 101 });
    const module = (await import(`../../scripts/bench/${suite}.ts`)) as BenchSuite;
    const runs = given ?? module.defaultRuns ?? DEFAULT_RUNS;
    const progress = (line: string): void => (values.json ? io.err(line) : io.out(line));
    const figures = await module.runBench({ runs, progress });
    if (values.json) {
      io.out(JSON.stringify(figures));
    } else {
      const width = Math.max(...Object.keys(figures).map((k) => k.length));
      for (const [key, value] of Object.entries(figures))
        io.out(`${key.padEnd(width)}  ${typeof value === 'number' ? Number(value.toPrecision(4)) : String(value)}`);
    }
    return EXIT.OK;
  },
};
