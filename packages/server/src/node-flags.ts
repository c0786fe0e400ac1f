/**
 * The node options machinad runs with: the installed wrappers pass them (the
 * Makefile's MACHINAD_NODE_FLAGS, which a test holds equal to this), the test
 * harness and `npm run bench` start the daemon with them, and the Augeas host
 * is started with them too.
 *
 * --max-semi-space-size=2: V8's young generation grows its semi-spaces from
 * 1 MiB to 16 under a steady load of calls, which was most of the daemon's
 * RSS growth (~15 % from 10k to 1M calls; 117 MB after 400k calls). Capped at
 * 2 MiB the RSS stays within ~1 % (94 MB); throughput was within the noise
 * (median of five runs of 50,000 pipelined calls, each way).
 *
 * No --enable-source-maps: it parses every source map at load (7 MB of RSS
 * and start-up time); a logged stack trace is mapped when it is logged
 * instead (stack-trace.ts).
 */
export const MACHINAD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=2"];
