// Package harness is the benchmark engine behind sockety-bench.
//
// # Processes
//
// A Controller runs each benchmark with fresh worker processes: the same
// binary re-run with WorkerEnv set ("server" or "client"); main calls
// MaybeRunWorker first thing (tests do it in TestMain). The controller talks to
// each worker over its stdin/stdout, one JSON object per line (protocol.go):
//
//	server: serve -> mark, mark -> stop
//	client: prepare -> start -> mark, mark -> drain -> stop
//
// A mark closes the current interval and opens the next; the controller sends
// it to every worker at once at the window's start and end. Each worker answers
// with its own monotonic time and CPU times (gopsutil) at that edge; servers add
// their cumulative counters, clients their figures and HDR histogram (V2
// compressed, base64) for the interval just closed. The mark at the window's
// end halts the clients' load; drain then lets the operations in flight end
// by themselves for min(OpTimeout, 10 s) and reports what became of them
// (Result.Drain): some still running, or all failing, means the target was
// lost, a failure. With Verify, local one-way rows then wait (bounded) until
// the servers have counted every message the clients sent; the rest are
// missing (MessageCheck), verify errors. Workers live in their own
// process group with Pdeathsig (Linux), ignore SIGINT and exit when stdin
// closes, so none survives the controller, Ctrl-C included.
//
// # Load
//
// A client worker runs Concurrency goroutines per timed part (Driver): closed
// loop by default, or constant rate (latency from the intended send time, as
// wrk2 does). Every result lands in a Recorder shard (about 15 ns, no
// allocation: BenchmarkRecord); errors are counted, and a bounded sample of
// their messages is kept. A watchdog cancels operations past OpTimeout.
//
// SOCKETY_BENCH_DEBUG=marks makes workers and the controller log how long each
// mark took (on an overloaded machine the edges of workers' windows drift
// apart; each worker's figures use its own window, so they stay consistent).
//
// # Extension points
//
//   - Remote mode (issue 6, remote.go, control.go): ServeOnly runs a suite's
//     server workers for --server-only and answers "hello" and "mark" on a
//     TCP control port (one JSON line each way, token compared in constant
//     time, sizes and times bounded, figures only). On the client host a
//     RemoteTarget's controlEndpoint is an endpoint for each remote server
//     worker, so the controller's window logic and results() are unchanged;
//     without a control channel the server side is absent and server CPU
//     shows n/a.
//   - Merging hosts (issue 6, merge.go): MergeReports combines the results
//     of several client hosts from the per-worker raw figures (Workers), the
//     windows' wall-clock starts and the merged histograms.
//   - Repetitions (issue 8): Runner.Run's loop; Result.Run is the repetition
//     index and RunConfig.Count the number of repetitions.
package harness
