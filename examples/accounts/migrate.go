package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migrations are the schema's versions, applied in order, each once: the
// version of the latest applied one is in schema_migrations. Append new
// ones; never edit an applied one. {{identity}} is the dialect's
// auto-incrementing primary key; everything else is the same SQL for SQLite
// and PostgreSQL. Times are Unix seconds (BIGINT), so that both read them
// the same way.
var migrations = []string{
	1: `CREATE TABLE users (
		id {{identity}},
		username TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		scopes TEXT NOT NULL DEFAULT '',
		roles TEXT NOT NULL DEFAULT '',
		disabled BOOLEAN NOT NULL DEFAULT FALSE,
		tokens_valid_after BIGINT NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL
	)`,
	2: `CREATE TABLE signing_keys (
		kid TEXT PRIMARY KEY,
		private_key TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		retired_at BIGINT
	)`,
	3: `CREATE TABLE persons (
		id {{identity}},
		owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		gender TEXT NOT NULL,
		age DOUBLE PRECISION NOT NULL,
		checked BOOLEAN NOT NULL
	)`,
	4: `CREATE INDEX persons_owner_id ON persons (owner_id)`,
}

// migrate creates schema_migrations if needed and applies, each in its own
// transaction with its version, the migrations not yet applied. Run at
// every start, it does nothing when the schema is current.
func (x *db) migrate(ctx context.Context) error {
	if _, err := x.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	var current int
	if err := x.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	for v := current + 1; v < len(migrations); v++ {
		if err := x.apply(ctx, v); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

// apply runs migration v and records it, in one transaction: a version
// recorded twice (two processes starting at once) fails on the primary
// key and rolls back.
func (x *db) apply(ctx context.Context, v int) error {
	tx, err := x.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt := strings.ReplaceAll(migrations[v], "{{identity}}", x.d.identity)
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, x.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, time.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}
