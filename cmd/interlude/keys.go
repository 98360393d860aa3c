package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"interlude/internal/care"
	"interlude/internal/seal"
)

// keys is "interlude keys rotate": a new master-key version, then every
// data key rewrapped under it (EN-02). Interlude may keep serving: the
// old versions stay in the key file and keep unwrapping until the rewrap
// is done, and the values sealed under the data keys do not change.
// Servers already running read the key file again as soon as they meet a
// data key on the new version or make a data key (seal.Keyring, #17), so
// no request fails and new data keys are wrapped under the new version.
func keys(ctx context.Context, e *env, args []string) (err error) {
	if len(args) == 0 || args[0] != "rotate" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			_, err := fmt.Fprintln(e.stdout, "Usage: interlude keys rotate [flags]")
			return err
		}
		return errors.New("keys: say 'interlude keys rotate'")
	}
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	var db dbFlags
	db.register(fs, e)
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	st, eng, _, err := db.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeJoined(&err, eng)
	kr, _, err := seal.LoadOrCreate(db.keyringPath())
	if err != nil {
		return err
	}
	v, err := kr.Rotate(db.keyringPath())
	if err != nil {
		return fmt.Errorf("keys rotate: %v", err)
	}
	st.UseKeyring(kr)
	n, err := st.RewrapDataKeys(ctx)
	if err != nil {
		return fmt.Errorf("keys rotate: master key version %d was added, but rewrapping stopped: %v (run it again)", v, err)
	}
	ev := care.AuditEvent{Action: "keys.rotate", EntityType: "master-key", EntityID: fmt.Sprint(v), Outcome: care.OutcomeSuccess}
	if err := st.Audit(ctx, ev); err != nil {
		return err
	}
	counts, err := st.DataKeyVersions(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "master key version %d is current; %d data keys rewrapped; data keys by version: %v\n", v, n, counts)
	return err
}
