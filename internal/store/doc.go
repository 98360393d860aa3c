// Package store holds all of Interlude's SQL. The statements are written by
// hand once, with $1 placeholders, and run unchanged on SQLite and on
// PostgreSQL; the engines (packages store/sqlite and store/postgres) supply
// connections, transactions and migrations.
//
// Every public method runs in exactly one transaction with a fixed "now".
// Writes go through Engine.Write, which on SQLite may share one durable
// commit among concurrent callers (group commit): a method's changes are
// durable when it returns nil, and discarded when it returns an error.
package store
