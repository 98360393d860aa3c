package store

import (
	"path/filepath"
	"testing"
	"time"

	"interlude/internal/seal"
)

// TestKeyCacheAfterCommit (EN-01, EN-05): a transaction's keys reach the
// cache only when it commits, and not at all when a key was destroyed
// while it ran, so a key read just before a shred is not brought back.
func TestKeyCacheAfterCommit(t *testing.T) {
	t.Parallel()
	kr, _, err := seal.LoadOrCreate(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := kr.NewDataKey("client")
	if err != nil {
		t.Fatal(err)
	}
	var c keyCache
	now := time.Now()

	rolledBack := c.begin()
	rolledBack.put("client", k)
	if _, ok := c.get("client", now); ok {
		t.Fatal("a key is cached before its transaction commits")
	}
	// A transaction that fails is never committed to the cache.

	committed := c.begin()
	committed.put("client", k)
	c.commit(committed)
	if _, ok := c.get("client", now); !ok {
		t.Fatal("a committed transaction's key is not cached")
	}

	reader := c.begin()
	reader.put("client", k) // read before the shred committed
	shred := c.begin()
	shred.destroy("client")
	c.drop("client") // destroyDataKey drops it at once
	c.commit(shred)
	c.commit(reader)
	if _, ok := c.get("client", now); ok {
		t.Fatal("a destroyed key came back into the cache")
	}
	if _, ok := shred.get("client"); ok {
		t.Fatal("the shredding transaction still holds the key")
	}
}
