package store

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeNotification: whatever arrives on the channel, decoding
// neither panics nor yields a revocation without a user and a reason, and
// a revocation survives its own encoding.
func FuzzDecodeNotification(f *testing.F) {
	f.Add(wakePayload)
	f.Add(`{"kind":"revoke","user":"u1","session":"s1","reason":"session"}`)
	f.Add(`{"kind":"revoke","user":"u1","client":"c1","reason":"care-team"}`)
	f.Add(`{"kind":"revoke"}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, payload string) {
		wake, r, err := decodeNotification(payload)
		if err != nil {
			if wake || r != nil {
				t.Fatalf("an error with a result: %v %+v", wake, r)
			}
			return
		}
		if wake == (r != nil) {
			t.Fatalf("wake %v and revocation %+v", wake, r)
		}
		if r == nil {
			return
		}
		if r.UserID == "" || r.Reason == "" {
			t.Fatalf("a revocation without a user or reason: %+v", r)
		}
		p, err := json.Marshal(revokePayload{Kind: "revoke", User: r.UserID, Session: r.SessionID, Keep: r.KeepSessionID, Client: r.ClientID, Reason: r.Reason})
		if err != nil {
			t.Fatal(err)
		}
		_, again, err := decodeNotification(string(p))
		if err != nil || again == nil || *again != *r {
			t.Fatalf("round trip: %+v, then %+v (%v)", r, again, err)
		}
	})
}
