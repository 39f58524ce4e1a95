package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/xinyong/xinyong/internal/store"
)

// replicas are the streaming replicas reads marked store.ReplicaOK go to,
// in turn; the counts say where reads went.
type replicas struct {
	pools            []*pgxpool.Pool
	dbs              []*sql.DB
	next             atomic.Uint64
	primary, replica atomic.Int64
}

// pick returns the pool and database a read of ctx goes to: a replica for
// a marked read, else the primary's.
func (r *replicas) pick(ctx context.Context, pool *pgxpool.Pool, db *sql.DB) (*pgxpool.Pool, *sql.DB) {
	if r == nil || len(r.pools) == 0 {
		return pool, db
	}
	if !store.IsReplicaOK(ctx) {
		r.primary.Add(1)
		return pool, db
	}
	r.replica.Add(1)
	i := int(r.next.Add(1) % uint64(len(r.pools)))
	return r.pools[i], r.dbs[i]
}

// AddReplicas connects to streaming replicas of the database (hot
// standbys, read-only): reads marked store.ReplicaOK go to them in turn;
// every other read and every write stays on the primary.
func (s *Store) AddReplicas(ctx context.Context, dsns []string) error {
	r := &replicas{}
	for _, dsn := range dsns {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return fmt.Errorf("parse replica DSN: %w", err)
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return err
		}
		var standby bool
		if err := pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
			pool.Close()
			return fmt.Errorf("connect to replica at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
		}
		if !standby {
			pool.Close()
			return fmt.Errorf("--db-replica %s:%d is not a standby (pg_is_in_recovery() is false)", cfg.ConnConfig.Host, cfg.ConnConfig.Port)
		}
		r.pools = append(r.pools, pool)
		r.dbs = append(r.dbs, stdlib.OpenDBFromPool(pool))
	}
	s.replicas = r
	s.reads.replicas = r
	if rd, ok := s.Store.R.(sqlReader); ok {
		rd.replicas = r
		s.Store.R = rd
	}
	return nil
}

// ReadCounts implements store.ReplicaStats.
func (s *Store) ReadCounts() (primary, replica int64) {
	if s.replicas == nil {
		return 0, 0
	}
	return s.replicas.primary.Load(), s.replicas.replica.Load()
}

func (r *replicas) close() {
	if r == nil {
		return
	}
	for i := range r.pools {
		r.dbs[i].Close()
		r.pools[i].Close()
	}
}
