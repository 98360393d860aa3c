// Package bench holds the workloads of "interlude bench".
//
// [Messages] measures secure messaging end to end (issue #6): it starts
// the interlude binary as "interlude serve" on a temporary database,
// seeds a clinic straight through the store, signs everyone in over the
// API (staff with their TOTP codes), and drives the server over HTTP and
// Server-Sent Events on loopback. Client i sends to their own thread;
// provider i, on their care team, has the real-time stream open, and the
// latency of a message is from the start of its POST to the arrival of its
// event on that stream. Idle recipients are clients with a stream open to
// whom nothing is sent. It reports, per run, the messages per second, the
// 50th and 99th percentile latencies, and the CPU time per message of the
// server and of the load generator, which share the machine.
//
// Nothing is weakened for the bench: the server is the production one, a
// separate process started from the same binary, with synchronous=FULL on
// SQLite, the audit trail and encryption; every message is sealed and
// audited in its own transaction as in production. The numbers are those
// a clinic would see on the same hardware, not those of a shortcut.
//
// The package imports nothing of cmd/interlude: the command parses the
// flags and gives [Messages] the binary to start and the way to open the
// store, so the seeding opens the database exactly as the server does.
package bench
