package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"interlude/internal/care"
	"interlude/internal/seal"
)

// dataKeyTTL is how long an unwrapped data key stays in memory. Go cannot
// wipe memory reliably, so keys are kept briefly; a key destroyed by
// another process stays usable here for at most this long.
const dataKeyTTL = 5 * time.Minute

// keyCache holds recently unwrapped data keys by owner.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]cachedKey
}

type cachedKey struct {
	key     seal.DataKey
	expires time.Time
}

func (c *keyCache) get(owner string, now time.Time) (seal.DataKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[owner]
	if !ok || now.After(k.expires) {
		delete(c.keys, owner)
		return seal.DataKey{}, false
	}
	return k.key, true
}

func (c *keyCache) put(owner string, k seal.DataKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[string]cachedKey{}
	}
	c.keys[owner] = cachedKey{key: k, expires: now.Add(dataKeyTTL)}
}

func (c *keyCache) drop(owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, owner)
}

// ErrShredded is the answer for data whose key was destroyed (EN-05): the
// record existed and is gone for good.
var ErrShredded = &care.Error{Code: care.Gone, Message: "this record was deleted"}

// integrityError is a sealed value that failed to open (IN-01): copied from
// another row, edited, or sealed under another key. It names where, never
// what.
type integrityError struct {
	clinic, client, table, column, row string
}

func (e *integrityError) Error() string {
	return fmt.Sprintf("integrity: %s.%s of row %s does not open", e.table, e.column, e.row)
}

// Unwrap makes it a care error with its own code, shown as 500.
func (e *integrityError) Unwrap() error {
	return &care.Error{Code: care.Integrity, Message: "a stored record failed its integrity check; the incident was recorded"}
}

// dataKey returns the data key of owner, creating it when create is set
// and it does not exist yet.
func (s *Store) dataKey(ctx context.Context, tx tx, clinicID, owner string, create bool) (seal.DataKey, error) {
	if k, ok := s.keys.get(owner, time.Now()); ok {
		return k, nil
	}
	var wrapped []byte
	var destroyed sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT wrapped, destroyed_at FROM data_keys WHERE owner_id = $1`, owner).Scan(&wrapped, &destroyed)
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		if err := s.newDataKey(ctx, tx, clinicID, owner); err != nil {
			return seal.DataKey{}, err
		}
		k, _ := s.keys.get(owner, time.Now())
		return k, nil
	case errors.Is(err, sql.ErrNoRows):
		return seal.DataKey{}, fmt.Errorf("no data key for owner %s", owner)
	case err != nil:
		return seal.DataKey{}, err
	case destroyed.Valid:
		return seal.DataKey{}, ErrShredded
	}
	k, err := s.keyring.Unwrap(owner, wrapped)
	if err != nil {
		return seal.DataKey{}, fmt.Errorf("data key of %s: %w", owner, err)
	}
	s.keys.put(owner, k, time.Now())
	return k, nil
}

// warmKey loads owner's data key into the cache, if it can, before a loop
// that opens values while a result set is open: on PostgreSQL a
// transaction cannot run the key's query then (the connection is busy
// reading rows, and the driver reports a bad connection), which a cold
// cache, after a restart, would otherwise hit. A failure is left for the
// loop's openValue to report.
func (s *Store) warmKey(ctx context.Context, tx tx, clinicID, owner string) {
	s.dataKey(ctx, tx, clinicID, owner, false)
}

// newDataKey creates the data key of a new owner, in the cache too.
func (s *Store) newDataKey(ctx context.Context, tx tx, clinicID, owner string) error {
	k, w, err := s.keyring.NewDataKey(owner)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO data_keys (owner_id, clinic_id, wrapped, version, created_at) VALUES ($1, $2, $3, $4, $5)`,
		owner, clinicID, w, s.keyring.Current(), micros(tx.now)); err != nil {
		return err
	}
	s.keys.put(owner, k, time.Now())
	return nil
}

// field names a sealed column of a row. owner is whose data key seals it:
// the client, or for values that belong to no client, the clinic or the
// invitation.
type field struct {
	clinic, client, owner, table, column, row string
}

func (f field) seal() seal.Field {
	return seal.Field{Clinic: f.clinic, Client: f.client, Table: f.table, Column: f.column, Row: f.row}
}

// sealValue encrypts plaintext for f, creating the owner's key if needed.
// A nil plaintext stays NULL.
func (s *Store) sealValue(ctx context.Context, tx tx, f field, plaintext []byte) ([]byte, error) {
	if plaintext == nil {
		return nil, nil
	}
	k, err := s.dataKey(ctx, tx, f.clinic, f.owner, true)
	if err != nil {
		return nil, err
	}
	return k.Seal(f.seal(), plaintext), nil
}

// openValue decrypts a value sealed for f. NULL opens to nil. A value that
// fails to open is an *integrityError, never an empty value.
func (s *Store) openValue(ctx context.Context, tx tx, f field, sealed []byte) ([]byte, error) {
	if sealed == nil {
		return nil, nil
	}
	k, err := s.dataKey(ctx, tx, f.clinic, f.owner, false)
	if err != nil {
		return nil, err
	}
	v, err := k.Open(f.seal(), sealed)
	if err != nil {
		return nil, &integrityError{clinic: f.clinic, client: f.client, table: f.table, column: f.column, row: f.row}
	}
	return v, nil
}

// reportIntegrity records an integrity failure found by a finished
// transaction in the audit trail (IN-01), and returns err.
func (s *Store) reportIntegrity(ctx context.Context, err error) error {
	var ie *integrityError
	if !errors.As(err, &ie) {
		return err
	}
	ev := care.AuditEvent{Action: "integrity.open", EntityType: ie.table + "." + ie.column, EntityID: ie.row,
		ClientID: ie.client, ClinicID: ie.clinic, Outcome: care.OutcomeIntegrity}
	if aerr := s.Audit(ctx, ev); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// DestroyDataKey crypto-shreds owner's data: the wrapped key is erased and
// every value sealed under it can never be opened again (EN-05).
func (tx tx) destroyDataKey(ctx context.Context, s *Store, owner string) error {
	_, err := tx.ExecContext(ctx,
		`UPDATE data_keys SET wrapped = NULL, destroyed_at = $1 WHERE owner_id = $2 AND destroyed_at IS NULL`,
		micros(tx.now), owner)
	s.keys.drop(owner)
	return err
}

// RewrapDataKeys moves every data key wrapped under an older master-key
// version onto the current one (EN-02), in batches, and returns how many
// it rewrapped. Values sealed under the data keys do not change, so it
// runs while Interlude serves.
func (s *Store) RewrapDataKeys(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.write(ctx, func(ctx context.Context, tx tx) error {
			n = 0
			rows, err := tx.QueryContext(ctx,
				`SELECT owner_id, wrapped FROM data_keys WHERE wrapped IS NOT NULL AND version < $1 LIMIT 500`,
				s.keyring.Current())
			if err != nil {
				return err
			}
			type key struct {
				owner   string
				wrapped []byte
			}
			var todo []key
			for rows.Next() {
				var k key
				if err := rows.Scan(&k.owner, &k.wrapped); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, k)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, k := range todo {
				w, _, err := s.keyring.Rewrap(k.owner, k.wrapped)
				if err != nil {
					return fmt.Errorf("rewrapping the data key of %s: %w", k.owner, err)
				}
				if _, err := tx.ExecContext(ctx,
					`UPDATE data_keys SET wrapped = $1, version = $2 WHERE owner_id = $3 AND wrapped IS NOT NULL`,
					w, s.keyring.Current(), k.owner); err != nil {
					return err
				}
			}
			n = len(todo)
			return nil
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// DataKeyVersions counts live data keys by the master-key version that
// wraps them.
func (s *Store) DataKeyVersions(ctx context.Context) (map[int]int, error) {
	out := map[int]int{}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT version, count(*) FROM data_keys WHERE wrapped IS NOT NULL GROUP BY version`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v, n int
			if err := rows.Scan(&v, &n); err != nil {
				return err
			}
			out[v] = n
		}
		return rows.Err()
	})
	return out, err
}

// UseKeyring replaces the master keys, after a rotation.
func (s *Store) UseKeyring(kr *seal.Keyring) { s.keyring = kr }
