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

// keyCache holds recently unwrapped data keys by owner. A transaction
// caches the keys it meets only once it has committed (txKeys): a key
// created by a write that rolls back is stored nowhere, and sealing under
// it from the cache would lose what is sealed (EN-01).
type keyCache struct {
	mu   sync.Mutex
	keys map[string]cachedKey
	gen  uint64 // counts drops; see begin
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

// drop forgets owner's key, and keeps the transactions running now from
// caching any key when they end: one of them may have read owner's key
// before it was destroyed (EN-05).
func (c *keyCache) drop(owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, owner)
	c.gen++
}

// txKeys are the data keys a transaction unwrapped or created, and the
// owners whose keys it destroyed.
type txKeys struct {
	gen       uint64 // the cache's gen when the transaction began
	keys      map[string]seal.DataKey
	destroyed []string
}

// begin returns the key set of a transaction that begins now.
func (c *keyCache) begin() *txKeys {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &txKeys{gen: c.gen}
}

// commit caches the keys of a transaction that committed, unless a key
// was destroyed since it began, and drops the keys it destroyed again:
// a transaction that read one of them before the destruction committed
// must not bring it back.
func (c *keyCache) commit(t *txKeys) {
	if t == nil {
		return
	}
	for _, owner := range t.destroyed {
		c.drop(owner)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != t.gen || len(t.keys) == 0 {
		return
	}
	if c.keys == nil {
		c.keys = map[string]cachedKey{}
	}
	expires := time.Now().Add(dataKeyTTL)
	for owner, k := range t.keys {
		c.keys[owner] = cachedKey{key: k, expires: expires}
	}
}

func (t *txKeys) get(owner string) (seal.DataKey, bool) {
	if t == nil {
		return seal.DataKey{}, false
	}
	k, ok := t.keys[owner]
	return k, ok
}

func (t *txKeys) put(owner string, k seal.DataKey) {
	if t == nil {
		return
	}
	if t.keys == nil {
		t.keys = map[string]seal.DataKey{}
	}
	t.keys[owner] = k
}

func (t *txKeys) destroy(owner string) {
	if t == nil {
		return
	}
	delete(t.keys, owner)
	t.destroyed = append(t.destroyed, owner)
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
// and it does not exist yet. The key is cached once tx commits.
func (s *Store) dataKey(ctx context.Context, tx tx, clinicID, owner string, create bool) (seal.DataKey, error) {
	if k, ok := tx.keys.get(owner); ok {
		return k, nil
	}
	if k, ok := s.keys.get(owner, time.Now()); ok {
		return k, nil
	}
	wrapped, destroyed, err := loadDataKey(ctx, tx, owner)
	if errors.Is(err, sql.ErrNoRows) && create {
		k, created, nerr := s.newDataKey(ctx, tx, clinicID, owner)
		if nerr != nil {
			return seal.DataKey{}, nerr
		}
		if created {
			tx.keys.put(owner, k)
			return k, nil
		}
		// Another transaction stored owner's key first: use that one.
		wrapped, destroyed, err = loadDataKey(ctx, tx, owner)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return seal.DataKey{}, fmt.Errorf("no data key for owner %s", owner)
	case err != nil:
		return seal.DataKey{}, err
	case destroyed:
		return seal.DataKey{}, ErrShredded
	}
	k, err := s.keyring.Unwrap(owner, wrapped)
	if err != nil {
		return seal.DataKey{}, fmt.Errorf("data key of %s: %w", owner, err)
	}
	tx.keys.put(owner, k)
	return k, nil
}

// loadDataKey reads owner's wrapped data key, and whether it was destroyed.
func loadDataKey(ctx context.Context, tx tx, owner string) (wrapped []byte, destroyed bool, err error) {
	var at sql.NullInt64
	err = tx.QueryRowContext(ctx,
		`SELECT wrapped, destroyed_at FROM data_keys WHERE owner_id = $1`, owner).Scan(&wrapped, &at)
	return wrapped, at.Valid, err
}

// warmKey loads owner's data key into the cache, if it can, before a loop
// that opens values while a result set is open: on PostgreSQL a
// transaction cannot run the key's query then (the connection is busy
// reading rows, and the driver reports a bad connection), which a cold
// cache, after a restart, would otherwise hit. A failure is left for the
// loop's openValue to report.
func (s *Store) warmKey(ctx context.Context, tx tx, clinicID, owner string) {
	s.dataKey(ctx, tx, clinicID, owner, false) //nolint:errcheck // a failure is the loop's openValue's to report, as said above
}

// newDataKey creates the data key of a new owner. created is false, and
// the key is not stored, when another transaction stored a key for owner
// first: on PostgreSQL the insert waits for that transaction, and does
// nothing once it commits.
func (s *Store) newDataKey(ctx context.Context, tx tx, clinicID, owner string) (k seal.DataKey, created bool, err error) {
	k, w, err := s.keyring.NewDataKey(owner)
	if err != nil {
		return seal.DataKey{}, false, err
	}
	// The version of the wrap itself, not Current(): the keyring may take
	// a rotation in between (a reload), and a key recorded on a version
	// newer than its wrap would never be rewrapped.
	v, err := seal.WrapVersion(w)
	if err != nil {
		return seal.DataKey{}, false, err
	}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO data_keys (owner_id, clinic_id, wrapped, version, created_at) VALUES ($1, $2, $3, $4, $5)
		 ON CONFLICT (owner_id) DO NOTHING`,
		owner, clinicID, w, v, micros(tx.now))
	if err != nil {
		return seal.DataKey{}, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return seal.DataKey{}, false, err
	}
	return k, n == 1, nil
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
	tx.keys.destroy(owner) // and dropped again once tx commits
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
			defer rows.Close()
			type key struct {
				owner   string
				wrapped []byte
			}
			var todo []key
			for rows.Next() {
				var k key
				if err := rows.Scan(&k.owner, &k.wrapped); err != nil {
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
				v, err := seal.WrapVersion(w)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx,
					`UPDATE data_keys SET wrapped = $1, version = $2 WHERE owner_id = $3 AND wrapped IS NOT NULL`,
					w, v, k.owner); err != nil {
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
