package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"interlude/internal/audit"
	"interlude/internal/store"
)

// auditCmd is "interlude audit verify" and "interlude audit checkpoint"
// (AD-04).
func auditCmd(ctx context.Context, e *env, args []string) error {
	const help = "Usage: interlude audit verify [--checkpoint FILE] [flags]\n       interlude audit checkpoint [flags]"
	if len(args) == 0 {
		return errors.New("audit: say 'interlude audit verify' or 'interlude audit checkpoint'")
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, e, args[1:])
	case "checkpoint":
		return auditCheckpoint(ctx, e, args[1:])
	case "-h", "--help", "help":
		_, err := fmt.Fprintln(e.stdout, help)
		return err
	}
	return fmt.Errorf("audit: unknown command %q (say verify or checkpoint)", args[0])
}

// auditVerify recomputes the chain. It checks it against the latest
// checkpoint under --data and against --checkpoint, a checkpoint kept off
// the machine. Exit status 0: intact; 1: the first bad row is named.
func auditVerify(ctx context.Context, e *env, args []string) (err error) {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	cpFile := fs.String("checkpoint", "", "a signed checkpoint file kept elsewhere; the log must contain it")
	vkey := fs.String("verifier-key", "", "the audit verifier key (default: the one under --data)")
	var db dbFlags
	db.register(fs, e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *vkey == "" {
		k, err := audit.VerifierKey(db.data)
		if err != nil && *cpFile != "" {
			return fmt.Errorf("audit verify: %v (give --verifier-key)", err)
		}
		*vkey = k
	}
	var cps []audit.Checkpoint
	if c, ok, err := audit.Latest(db.data); err != nil {
		return fmt.Errorf("audit verify: latest checkpoint: %v", err)
	} else if ok {
		cps = append(cps, c)
	}
	if *cpFile != "" {
		msg, err := os.ReadFile(*cpFile)
		if err != nil {
			return fmt.Errorf("audit verify: %v", err)
		}
		c, err := audit.ParseCheckpoint(msg, *vkey)
		if err != nil {
			return fmt.Errorf("audit verify: %s: %v", *cpFile, err)
		}
		cps = append(cps, c)
	}
	eng, _, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeJoined(&err, eng)
	st := store.New(eng, nil, time.Now) // verification opens no sealed value
	v := audit.NewVerifier(cps...)
	unsealed, err := st.WalkAudit(ctx, v.Add)
	if err != nil {
		return fmt.Errorf("audit verify: %v", err)
	}
	if err := v.Done(); err != nil {
		if _, werr := fmt.Fprintf(e.stdout, "audit log NOT intact: %v\n", err); werr != nil {
			return errors.Join(fmt.Errorf("audit log NOT intact: %v", err), werr)
		}
		return exitError{1}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "audit log intact: %d rows chained, head %x", v.Rows(), v.Head())
	for _, c := range cps {
		fmt.Fprintf(&b, "; contains the checkpoint at row %d", c.Seq)
	}
	if unsealed > 0 {
		fmt.Fprintf(&b, "; %d newer rows are not chained yet", unsealed)
	}
	b.WriteString("\n")
	_, err = io.WriteString(e.stdout, b.String())
	return err
}

// auditCheckpoint prints the latest signed checkpoint, to copy off the
// machine.
func auditCheckpoint(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("audit checkpoint", flag.ContinueOnError)
	var db dbFlags
	db.register(fs, e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	c, ok, err := audit.Latest(db.data)
	if err != nil {
		return fmt.Errorf("audit checkpoint: %v", err)
	}
	if !ok {
		return fmt.Errorf("audit checkpoint: there is no checkpoint under %s yet ('interlude serve' writes them)", db.data)
	}
	_, err = e.stdout.Write(c.Note)
	return err
}

// sealer chains new audit events every interval and signs a checkpoint
// whenever the chain grew and the last checkpoint is older than
// checkpointEvery, or at least every 1,000 rows; and once more when ctx
// ends.
type sealer struct {
	store           *store.Store
	signer          *audit.Signer
	log             *slog.Logger
	interval        time.Duration
	checkpointEvery time.Duration
	signedSeq       int64
	signedAt        time.Time
}

func (s *sealer) run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.seal(context.WithoutCancel(ctx), true)
			return
		case <-t.C:
			s.seal(ctx, false)
		}
	}
}

func (s *sealer) seal(ctx context.Context, final bool) {
	var head int64
	var hash []byte
	for {
		n, h, hh, err := s.store.SealAudit(ctx, 1000)
		if err != nil {
			s.log.Error("audit sealing failed", "error", err.Error())
			return
		}
		head, hash = h, hh
		if n < 1000 {
			break
		}
	}
	if head == s.signedSeq || head == 0 {
		return
	}
	if !final && head-s.signedSeq < 1000 && time.Since(s.signedAt) < s.checkpointEvery {
		return
	}
	if _, err := s.signer.Sign(head, hash, time.Now()); err != nil {
		s.log.Error("audit checkpoint failed", "error", err.Error())
		return
	}
	s.signedSeq, s.signedAt = head, time.Now()
	s.log.Info("audit checkpoint", "seq", head)
}
