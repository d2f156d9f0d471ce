package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMigrationsIdempotent(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ctx := context.Background()
		for i := range 3 {
			x, err := openDB(ctx, c.databaseURL, c.dbPath)
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			rows, err := x.query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			rows.Close()
			if diff := cmp.Diff([]int{1, 2, 3, 4}, got); diff != "" {
				t.Errorf("open %d: versions (-want +got):\n%s", i, diff)
			}
			x.Close()
		}
	})
}

func TestRestartKeepsUsersAndKey(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read persons:write", "")
		tok := ts.login(t, "alice", "pw-alice", "")
		if r := ts.do(t, "POST", "/persons", tok, personBody); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		kid, _ := tokenParts(t, tok)
		if err := ts.close(); err != nil {
			t.Fatal(err)
		}

		ts2 := newServer(t, c) // migrations run again, on the same database
		tok2 := ts2.login(t, "alice", "pw-alice", "")
		kid2, _ := tokenParts(t, tok2)
		if diff := cmp.Diff(kid["kid"], kid2["kid"]); diff != "" {
			t.Errorf("the signing key changed on restart (-want +got):\n%s", diff)
		}
		if r := ts2.do(t, "GET", "/persons/1", tok2, ""); r.status != 200 {
			t.Errorf("read after restart: %d %s", r.status, r.body)
		}
	})
}

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    dialect
		want string
	}{
		{"sqlite keeps ?", sqliteDialect, `SELECT a FROM t WHERE b = ? AND c = ?`},
		{"postgres numbers them", postgresDialect, `SELECT a FROM t WHERE b = $1 AND c = $2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := &db{d: tc.d}
			if diff := cmp.Diff(tc.want, x.q(`SELECT a FROM t WHERE b = ? AND c = ?`)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
